"""Early warnings (point 7, privacy rule 4): each rule with a positive and a negative case,
raised once, severe ones told to HR at once without content or who rated, handled in chat."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.hr_admin import end_mentorship
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates
from conversations.sweep.alerts import PAIR_ENDED, detect, digest_text, raise_alerts
from conversations.texts import Texts, strip_user_marks
from storage.db import transaction
from storage.models import (
    Agreement,
    Alert,
    AuditLog,
    CheckIn,
    Evaluation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Outbox,
    Person,
    Phase,
    Programme,
)
from tests.chat import ACTOR, HR, Chat, onboard
from tests.conftest import START

pytestmark = pytest.mark.postgres

NOW = START + timedelta(days=60)
_NUMBERS = itertools.count(100)


def _pair(
    session: Session,
    *,
    phase: Phase = Phase.DEVELOPMENT,
    age: timedelta = timedelta(days=30),
    supervisor: bool = False,
    programme: Programme | None = None,
    mentor: Person | None = None,
    n: int | None = None,
) -> Mentorship:
    n = next(_NUMBERS) if n is None else n
    programme = programme or session.scalars(select(Programme)).first()
    if programme is None:
        programme = Programme(name="P", created_at=START)
        session.add(programme)
    sup = Person(email=f"s{n}@x.fi", name=f"Sup {n}", created_at=START) if supervisor else None
    actor = Person(email=f"a{n}@x.fi", name=f"Actor {n}", supervisor=sup, created_at=START)
    mentor = mentor or Person(email=f"m{n}@x.fi", name=f"Mentor {n}", created_at=START)
    m = Mentorship(
        programme=programme,
        mentor=mentor,
        actor=actor,
        phase=phase,
        created_at=NOW - age,
        started_at=NOW - age + timedelta(days=2) if phase != Phase.START else None,
    )
    accepted = NOW - age + timedelta(days=2) if phase != Phase.START else None
    m.agreement = Agreement(
        duration_months=6, actor_accepted_at=accepted, mentor_accepted_at=accepted
    )
    session.add(m)
    session.flush()
    return m


def _meetings(session: Session, m: Mentorship, statuses: list[MeetingStatus]) -> list[Meeting]:
    out = []
    for seq, status in enumerate(statuses, 1):
        mt = Meeting(
            mentorship=m,
            seq=seq,
            uid=f"{m.id}-{seq}",
            scheduled_at=NOW - timedelta(days=14 * (len(statuses) - seq + 1)),
            status=status,
        )
        session.add(mt)
        out.append(mt)
    session.flush()
    return out


def _signals(session: Session) -> set[str]:
    return {s.signal for s in detect(session, NOW)}


HELD, MISSED = MeetingStatus.HELD, MeetingStatus.MISSED
Setup = Callable[[Session], None]


def no_meetings_yes(s: Session) -> None:
    _pair(s, age=timedelta(days=22))


def no_meetings_no(s: Session) -> None:
    _pair(s, age=timedelta(days=20))
    _meetings(s, _pair(s, age=timedelta(days=40)), [HELD])


def agreement_yes(s: Session) -> None:
    _pair(s, phase=Phase.START, age=timedelta(days=15))


def agreement_no(s: Session) -> None:
    _pair(s, phase=Phase.START, age=timedelta(days=13))


def missed_yes(s: Session) -> None:
    _meetings(s, _pair(s), [HELD, MISSED, MISSED, HELD])


def missed_no(s: Session) -> None:
    _meetings(s, _pair(s), [MISSED, HELD, MISSED, HELD])


def _rapport(s: Session, ratings: list[tuple[int, int]], n: int | None = None) -> None:
    m = _pair(s, n=n)
    meetings = _meetings(s, m, [HELD] * len(ratings))
    for mt, (actor_r, mentor_r) in zip(meetings, ratings, strict=True):
        for person_id, r in ((m.actor_id, actor_r), (m.mentor_id, mentor_r)):
            s.add(
                CheckIn(meeting_id=mt.id, person_id=person_id, held=True, rapport=r, created_at=NOW)
            )


def rapport_yes(s: Session) -> None:
    _rapport(s, [(2, 5), (1, 4), (4, 4)])


def rapport_no(s: Session) -> None:
    _rapport(s, [(2, 5), (3, 4), (4, 4)])


def supervisor_yes(s: Session) -> None:
    m = _pair(s, supervisor=True, age=timedelta(days=31))
    _meetings(s, m, [HELD])


def supervisor_no(s: Session) -> None:
    m = _pair(s, supervisor=True, age=timedelta(days=31))
    _meetings(s, m, [HELD])
    m.agreement.supervisor_goals_discussed_at = NOW - timedelta(days=20)
    _meetings(s, _pair(s, supervisor=True, age=timedelta(days=20)), [HELD])
    _meetings(s, _pair(s, supervisor=False, age=timedelta(days=40)), [HELD])


def _overload(s: Session, actors: int) -> None:
    first = _pair(s)
    _meetings(s, first, [HELD])
    for _ in range(1, actors):
        _meetings(s, _pair(s, mentor=first.mentor), [HELD])


def overload_yes(s: Session) -> None:
    _overload(s, 3)


def overload_no(s: Session) -> None:
    _overload(s, 2)


def _interim(s: Session, realistic: str) -> None:
    m = _pair(s)
    _meetings(s, m, [HELD])
    s.add(
        Evaluation(
            mentorship_id=m.id,
            person_id=m.actor_id,
            kind="interim",
            goals_realistic=realistic,
            created_at=NOW,
        )
    )


def unrealistic_yes(s: Session) -> None:
    _interim(s, "no")


def unrealistic_no(s: Session) -> None:
    _interim(s, "partly")


RULES = [
    ("no_meetings", no_meetings_yes, no_meetings_no),
    ("agreement_pending", agreement_yes, agreement_no),
    ("missed_twice", missed_yes, missed_no),
    ("low_rapport", rapport_yes, rapport_no),
    ("supervisor_silent", supervisor_yes, supervisor_no),
    ("mentor_overload", overload_yes, overload_no),
    ("unrealistic_goals", unrealistic_yes, unrealistic_no),
]


@pytest.mark.parametrize(("signal", "positive", "negative"), RULES, ids=[r[0] for r in RULES])
def test_each_early_warning_rule_fires_on_its_signal_and_not_otherwise(
    factory: sessionmaker[Session], signal: str, positive: Setup, negative: Setup
) -> None:
    with transaction(factory) as session:
        negative(session)
        assert signal not in _signals(session)
    with transaction(factory) as session:
        positive(session)
        assert signal in _signals(session)


def _hr(session: Session) -> Person:
    hr = Person(email="hr@x.fi", name="Heidi HR", is_hr=True, created_at=START)
    session.add(hr)
    session.flush()
    return hr


def test_a_severe_alert_reaches_hr_at_once_once_without_content_or_who_rated(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        _hr(session)
        _rapport(session, [(2, 5), (1, 4), (4, 4)], n=0)
        agreement_yes(session)  # a digest-only signal: no immediate message
    with transaction(factory) as session:
        rows = raise_alerts(session, NOW)
        insert_ignoring_duplicates(session, rows)
    with transaction(factory) as session:
        assert raise_alerts(session, NOW + timedelta(hours=1)) == []  # raised once
    with factory() as session:
        alerts = {a.signal: a.severity for a in session.scalars(select(Alert))}
        assert alerts == {"low_rapport": "severe", "agreement_pending": "digest"}
        sent = session.scalars(select(Outbox).where(Outbox.kind == "hr.alert")).all()
        assert len(sent) == 1
        text = strip_user_marks(Message.model_validate(sent[0].payload).plain_text())
        digest = digest_text(session, Texts("en"))
    assert "not getting on well" in text and "confidential talk" in text
    assert "Mentor 0" in text and "Actor 0" in text
    for leak in ("1", "2", "rapport", "gave", "rated"):
        assert leak not in text.replace("Mentor 0", "").replace("Actor 0", ""), leak
    assert digest is not None and "2 open early-warning alerts" in digest


def test_hr_lists_alerts_in_chat_and_marks_one_handled(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        missed_yes(session)
        insert_ignoring_duplicates(session, raise_alerts(session, NOW))
        missed = session.scalars(select(Alert).where(Alert.signal == "missed_twice")).one()
        total = len(session.scalars(select(Alert)).all())
    onboard(chat, [HR, ACTOR])
    chat.say(HR, "alerts")
    seen = chat.text_seen_by(HR)
    assert f"{total} open alerts" in seen and "Two meetings in a row were missed." in seen
    chat.press(HR, "hr.alert_handled", str(missed.id))
    assert "Marked handled." in chat.last(HR)
    chat.press(HR, "hr.alert_handled", str(missed.id))
    assert "already handled" in chat.last(HR)
    chat.say(HR, "alerts")
    assert f"{total - 1} open alert" in chat.text_seen_by(HR)
    chat.say(ACTOR, "alerts")
    assert "Only the programme's HR" in chat.last(ACTOR)
    with factory() as session:
        alert = session.get(Alert, missed.id)
        assert alert is not None and alert.handled_by == HR and alert.handled_at is not None
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert "alert.handled" in actions and "alerts.list" in actions


def test_ending_a_pair_early_closes_its_open_alerts(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        m = _pair(session)
        _meetings(session, m, [HELD, MISSED, MISSED, HELD])
        insert_ignoring_duplicates(session, raise_alerts(session, NOW))
        assert [a.handled_at for a in session.scalars(select(Alert))] == [None]
        end_mentorship(session, NOW, HR, m, "moved to another unit")
    with factory() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.handled_at is not None and alert.handled_by == PAIR_ENDED
        assert digest_text(session, Texts("en")) is None  # HR is not nagged about it weekly
        assert raise_alerts(session, NOW + timedelta(days=7)) == []


def test_alerts_on_a_mentorship_go_away_with_it(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        missed_yes(session)
        raise_alerts(session, NOW)
    with transaction(factory) as session:
        session.delete(session.scalars(select(Mentorship)).one())
    with factory() as session:
        assert session.scalars(select(Alert)).all() == []


def test_the_sweep_raises_alerts_and_lists_open_ones_in_the_weekly_hr_digest(
    factory: sessionmaker[Session],
) -> None:
    from bot.clock import run_sweep

    with transaction(factory) as session:
        _hr(session)
        _rapport(session, [(2, 5), (1, 4)], n=0)
        agreement_yes(session)
    monday = NOW + timedelta(days=(7 - NOW.weekday()) % 7)
    monday_morning = monday.replace(hour=10, minute=0)
    run_sweep(factory, monday_morning)
    run_sweep(factory, monday_morning + timedelta(minutes=5))
    with factory() as session:
        kinds = [o.kind for o in session.scalars(select(Outbox).order_by(Outbox.id))]
        assert kinds.count("hr.alert") == 1  # only the severe one, once
        digest = session.scalars(select(Outbox).where(Outbox.kind == "hr.digest")).one()
        text = Message.model_validate(digest.payload).plain_text()
    assert "2 open early-warning alerts" in text and "not accepted two weeks" in text
