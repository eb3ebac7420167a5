"""Early warnings (alerts) for HR, computed by the sweep (privacy rule 4).

``raise_alerts(session, now)`` reads a few result sets (statements built once, at import),
decides which signals hold, inserts only the alerts whose key is new (the steady state inserts
nothing) and returns the outbox rows that tell HR at once about the severe ones, with the names
of all new severe alerts read in one query. The rest are listed in the weekly HR digest
(``digest_text``). An alert names the signal and a suggested action — never the content of the
mentoring, and never which party gave a low rating.

Signals (key ``<signal>:<mentorship>`` unless said otherwise):

- ``no_meetings`` — nothing booked 3 weeks after pairing (digest).
- ``agreement_pending`` — agreement not accepted by both within 2 weeks of pairing (digest).
- ``missed_twice`` — two consecutive meetings missed (severe).
- ``low_rapport`` — rapport ≤ 2 in two check-ins of the pair, whoever gave them (severe).
- ``supervisor_silent`` — the supervisor discussion not confirmed 4 weeks after the start
  (digest).
- ``mentor_overload`` — a mentor with more active actors than the programme allows; key
  ``mentor_overload:<programme>:<mentor>`` (digest).
- ``unrealistic_goals`` — an interim evaluation judged the goals unrealistic (digest).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, union_all, update
from sqlalchemy.orm import Session, aliased

from conversations.messages import Button, Message
from conversations.outbox import outbox_row
from conversations.sweep.plan import Recipient
from conversations.sweep.reads import recipient
from conversations.texts import Texts, user_text
from conversations.worktime import next_working_moment
from storage import sweep_reads
from storage.dialect import insert_ignore
from storage.models import (
    ACTIVE_PHASES,
    Agreement,
    Alert,
    AlertSeverity,
    CheckIn,
    Evaluation,
    EvaluationKind,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Programme,
)
from storage.rows import read_rows

NO_MEETINGS_AFTER = timedelta(weeks=3)
AGREEMENT_WITHIN = timedelta(weeks=2)
SUPERVISOR_WITHIN = timedelta(weeks=4)
LOW_RAPPORT = 2
LOW_RAPPORT_CHECKINS = 2

SEVERE = frozenset({"missed_twice", "low_rapport"})
SIGNALS = (
    "no_meetings",
    "agreement_pending",
    "missed_twice",
    "low_rapport",
    "supervisor_silent",
    "mentor_overload",
    "unrealistic_goals",
)
ACTIVE = [p.value for p in ACTIVE_PHASES]
MEETING_PHASES = [Phase.DEVELOPMENT.value, Phase.CLOSING.value]


def _signal(name: str) -> Any:
    return literal_column(f"'{name}'").label("signal")


_NO_MEETINGS = select(_signal("no_meetings"), Mentorship.id, Mentorship.programme_id).where(
    Mentorship.phase.in_([Phase.START.value, Phase.DEVELOPMENT.value]),
    Mentorship.created_at <= bindparam("no_meetings_before"),
    ~select(Meeting.id).where(Meeting.mentorship_id == Mentorship.id).exists(),
)
_AGREEMENT_PENDING = (
    select(_signal("agreement_pending"), Mentorship.id, Mentorship.programme_id)
    .join(Agreement, Agreement.mentorship_id == Mentorship.id)
    .where(
        Mentorship.phase == Phase.START.value,
        Mentorship.created_at <= bindparam("agreement_before"),
        (Agreement.actor_accepted_at.is_(None)) | (Agreement.mentor_accepted_at.is_(None)),
    )
)
_OUTCOMES = (
    select(Mentorship.id, Mentorship.programme_id, Meeting.status)
    .join(Meeting, Meeting.mentorship_id == Mentorship.id)
    .where(
        Mentorship.phase.in_(ACTIVE),
        Meeting.status.in_([MeetingStatus.HELD.value, MeetingStatus.MISSED.value]),
    )
    .order_by(Mentorship.id, Meeting.seq)
)
_LOW_RAPPORT = (
    select(_signal("low_rapport"), Mentorship.id, Mentorship.programme_id)
    .join(Meeting, Meeting.mentorship_id == Mentorship.id)
    .join(CheckIn, CheckIn.meeting_id == Meeting.id)
    .where(Mentorship.phase.in_(ACTIVE), CheckIn.rapport <= LOW_RAPPORT)
    .group_by(Mentorship.id, Mentorship.programme_id)
    .having(func.count(CheckIn.id) >= LOW_RAPPORT_CHECKINS)
)
_actor = aliased(Person, name="actor")
_SUPERVISOR_SILENT = (
    select(_signal("supervisor_silent"), Mentorship.id, Mentorship.programme_id)
    .join(Agreement, Agreement.mentorship_id == Mentorship.id)
    .join(_actor, _actor.id == Mentorship.actor_id)
    .where(
        Mentorship.phase.in_(MEETING_PHASES),
        _actor.supervisor_id.is_not(None),
        Mentorship.started_at.is_not(None),
        Mentorship.started_at <= bindparam("started_before"),
        Agreement.supervisor_goals_discussed_at.is_(None),
    )
)
_OVERLOAD = (  # the mentor in the mentorship column
    select(_signal("mentor_overload"), Mentorship.mentor_id, Mentorship.programme_id)
    .join(Programme, Programme.id == Mentorship.programme_id)
    .where(Mentorship.phase.in_(ACTIVE))
    .group_by(Mentorship.programme_id, Mentorship.mentor_id, Programme.max_actors_per_mentor)
    .having(func.count(Mentorship.id) > Programme.max_actors_per_mentor)
)
_UNREALISTIC = (
    select(_signal("unrealistic_goals"), Mentorship.id, Mentorship.programme_id)
    .join(Evaluation, Evaluation.mentorship_id == Mentorship.id)
    .where(
        Mentorship.phase.in_(ACTIVE),
        Evaluation.kind == EvaluationKind.INTERIM.value,
        Evaluation.goals_realistic == "no",
    )
    .distinct()
)
# every signal but missed meetings (they need each pair's meetings in order) in one statement
_SIGNALS = union_all(
    _NO_MEETINGS, _AGREEMENT_PENDING, _LOW_RAPPORT, _SUPERVISOR_SILENT, _OVERLOAD, _UNREALISTIC
)
# every key detect() can produce already raised: pairs in progress, and mentor overloads
_KNOWN_KEYS = select(Alert.key).where(
    Alert.mentorship_id.is_(None)
    | Alert.mentorship_id.in_(select(Mentorship.id).where(Mentorship.phase.in_(ACTIVE)))
)
_mentor = aliased(Person, name="mentor")
_SUBJECTS = (
    select(Mentorship.id, _mentor.name, _actor.name, Programme.name, Programme.holiday_country)
    .join(_mentor, _mentor.id == Mentorship.mentor_id)
    .join(_actor, _actor.id == Mentorship.actor_id)
    .join(Programme, Programme.id == Mentorship.programme_id)
    .where(Mentorship.id.in_(bindparam("ids", expanding=True)))
)
_OPEN_SIGNALS = select(Alert.signal).where(Alert.handled_at.is_(None))
_OPEN_ALERTS = select(Alert).where(Alert.handled_at.is_(None)).order_by(Alert.id)


@dataclass(frozen=True)
class Signal:
    key: str
    signal: str
    programme_id: int
    mentorship_id: int | None = None
    mentor_id: int | None = None


def detect(session: Session, now: datetime) -> list[Signal]:
    """Every signal that holds at ``now`` (whether or not an alert exists for it yet)."""
    found: list[Signal] = []

    def pair(signal: str, mentorship_id: int, programme_id: int) -> None:
        found.append(Signal(f"{signal}:{mentorship_id}", signal, programme_id, mentorship_id))

    params = {
        "no_meetings_before": now - NO_MEETINGS_AFTER,
        "agreement_before": now - AGREEMENT_WITHIN,
        "started_before": now - SUPERVISOR_WITHIN,
    }
    for signal, mid, pid in read_rows(session, _SIGNALS, params):
        if signal == "mentor_overload":
            key = f"mentor_overload:{pid}:{mid}"
            found.append(Signal(key, signal, pid, mentor_id=mid))
        else:
            pair(signal, mid, pid)
    statuses: dict[tuple[int, int], list[str]] = defaultdict(list)
    for mid, pid, status in read_rows(session, _OUTCOMES):
        statuses[(mid, pid)].append(status)
    for (mid, pid), seq in statuses.items():
        if any(a == b == MeetingStatus.MISSED for a, b in itertools.pairwise(seq)):
            pair("missed_twice", mid, pid)
    order = {signal: i for i, signal in enumerate(SIGNALS)}
    found.sort(key=lambda s: (order[s.signal], s.mentorship_id or 0, s.mentor_id or 0))
    return found


def raise_alerts(
    session: Session, now: datetime, hr_people: Sequence[Recipient] | None = None
) -> list[dict[str, Any]]:
    """Insert the alerts not raised before; return the outbox rows telling every HR person
    (``hr_people``, read when not given) of the new severe ones."""
    known = set(read_rows(session, _KNOWN_KEYS).scalars())
    new = [s for s in {s.key: s for s in detect(session, now)}.values() if s.key not in known]
    if not new:
        return []
    alerts = [
        {
            "key": s.key,
            "signal": s.signal,
            "severity": (
                AlertSeverity.SEVERE.value if s.signal in SEVERE else AlertSeverity.DIGEST.value
            ),
            "programme_id": s.programme_id,
            "mentorship_id": s.mentorship_id,
            "mentor_id": s.mentor_id,
            "raised_at": now,
        }
        for s in new
    ]
    inserted = insert_ignore(
        session, Alert, alerts, conflict=["key"], returning=("id", "signal", "mentorship_id")
    )
    severe = [
        (alert_id, signal, mid)
        for alert_id, signal, mid in inserted
        if signal in SEVERE and mid is not None
    ]
    if not severe:
        return []
    if hr_people is None:
        hr_people = [recipient(row) for row in sweep_reads.hr_people(session)]
    names = {
        mid: (mentor, actor, programme, country)
        for mid, mentor, actor, programme, country in read_rows(
            session, _SUBJECTS, {"ids": sorted({mid for *_, mid in severe})}
        )
    }
    out = []
    for alert_id, signal, mid in sorted(severe):
        mentor, actor, programme, country = names[mid]  # the pair's programme's holidays
        for hr in hr_people:
            tx = hr.texts()
            subject = tx.t(
                "hr.alert_pair",
                mentor=user_text(mentor),
                actor=user_text(actor),
                programme=user_text(programme),
            )
            out.append(
                outbox_row(
                    person_id=hr.id,
                    kind="hr.alert",
                    message=_alert_message(tx, alert_id, signal, subject, immediate=True),
                    dedupe_key=f"alert:{alert_id}:{hr.id}",
                    due_at=next_working_moment(now, hr.tz, country),
                    now=now,
                )
            )
    return out


def subject_text(session: Session, tx: Texts, alert: Alert) -> str:
    """Who the alert is about: the pair's names, or the mentor's (rule 3: names, no content)."""
    if alert.mentorship_id is not None:
        m = session.get(Mentorship, alert.mentorship_id)
        if m is not None:
            return tx.t(
                "hr.alert_pair",
                mentor=user_text(m.mentor.name),
                actor=user_text(m.actor.name),
                programme=user_text(m.programme.name),
            )
    mentor = session.get(Person, alert.mentor_id) if alert.mentor_id else None
    programme = session.get(Programme, alert.programme_id)
    return tx.t(
        "hr.alert_mentor",
        mentor=user_text(mentor.name if mentor else "–"),
        programme=user_text(programme.name if programme else "–"),
    )


def alert_message(session: Session, tx: Texts, alert: Alert, immediate: bool = False) -> Message:
    """The signal in plain words, who it concerns, the suggested action, a handled button."""
    subject = subject_text(session, tx, alert)
    return _alert_message(tx, alert.id, alert.signal, subject, immediate)


def _alert_message(
    tx: Texts, alert_id: int, signal: str, subject: str, immediate: bool = False
) -> Message:
    message = Message()
    if immediate:
        message.text(tx.t("hr.alert_immediate"))
    return message.text(
        tx.t(f"hr.signal_{signal}") + "\n" + subject + "\n" + tx.t(f"hr.action_{signal}")
    ).buttons(Button(action_id="hr.alert_handled", label=tx._("Mark handled"), value=str(alert_id)))


PAIR_ENDED = "(the pair ended)"


def close_alerts_of(session: Session, mentorship_id: int, now: datetime) -> None:
    """A pair that ends (completed or ended early) leaves no open alert to nag HR about."""
    session.execute(
        update(Alert)
        .where(Alert.mentorship_id == mentorship_id, Alert.handled_at.is_(None))
        .values(handled_at=now, handled_by=PAIR_ENDED)
        .execution_options(synchronize_session=False)
    )


def open_alerts(session: Session) -> list[Alert]:
    return list(session.scalars(_OPEN_ALERTS))


def open_alert_counts(session: Session) -> dict[str, int]:
    """How many alerts of each signal are open (one query)."""
    return dict(Counter(read_rows(session, _OPEN_SIGNALS).scalars().all()))


def digest_text(session: Session, tx: Texts) -> str | None:
    """Open alerts by signal for the weekly HR digest; None when there are none."""
    return digest_lines(tx, open_alert_counts(session))


def digest_lines(tx: Texts, counts: dict[str, int]) -> str | None:
    """The digest's alert section from ``open_alert_counts``; None when nothing is open."""
    if not counts:
        return None
    lines = [tx.t("hr.digest_alerts_heading", n=sum(counts.values()))]
    for signal in SIGNALS:
        if counts.get(signal):
            lines.append(f"• {tx.t(f'hr.signal_{signal}')} ({counts[signal]})")
    lines.append(tx.t("hr.digest_alerts_hint"))
    return "\n".join(lines)
