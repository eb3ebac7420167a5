"""Early warnings for HR, computed by the sweep (issue 6, point 7; privacy rule 4).

``raise_alerts(session, now)`` reads a few result sets, decides which signals hold, inserts
each new alert once (its key is unique) and returns the outbox rows that tell HR at once about
the severe ones. The rest are listed in the weekly HR digest (``digest_text``). An alert names
the signal and a suggested action — never the content of the mentoring, and never which party
gave a low rating.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from conversations.messages import Button, Message
from conversations.outbox import outbox_row
from conversations.texts import Texts, user_text
from conversations.worktime import next_working_moment, zone
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

    booked = select(Meeting.id).where(Meeting.mentorship_id == Mentorship.id).exists()
    for mid, pid in session.execute(
        select(Mentorship.id, Mentorship.programme_id).where(
            Mentorship.phase.in_([Phase.START.value, Phase.DEVELOPMENT.value]),
            Mentorship.created_at <= now - NO_MEETINGS_AFTER,
            ~booked,
        )
    ):
        pair("no_meetings", mid, pid)

    for mid, pid in session.execute(
        select(Mentorship.id, Mentorship.programme_id)
        .join(Agreement, Agreement.mentorship_id == Mentorship.id)
        .where(
            Mentorship.phase == Phase.START.value,
            Mentorship.created_at <= now - AGREEMENT_WITHIN,
            (Agreement.actor_accepted_at.is_(None)) | (Agreement.mentor_accepted_at.is_(None)),
        )
    ):
        pair("agreement_pending", mid, pid)

    statuses: dict[tuple[int, int], list[str]] = defaultdict(list)
    for mid, pid, status in session.execute(
        select(Mentorship.id, Mentorship.programme_id, Meeting.status)
        .join(Meeting, Meeting.mentorship_id == Mentorship.id)
        .where(
            Mentorship.phase.in_(ACTIVE),
            Meeting.status.in_([MeetingStatus.HELD.value, MeetingStatus.MISSED.value]),
        )
        .order_by(Mentorship.id, Meeting.seq)
    ):
        statuses[(mid, pid)].append(status)
    for (mid, pid), seq in statuses.items():
        if any(a == b == MeetingStatus.MISSED for a, b in itertools.pairwise(seq)):
            pair("missed_twice", mid, pid)

    for mid, pid in session.execute(
        select(Mentorship.id, Mentorship.programme_id)
        .join(Meeting, Meeting.mentorship_id == Mentorship.id)
        .join(CheckIn, CheckIn.meeting_id == Meeting.id)
        .where(Mentorship.phase.in_(ACTIVE), CheckIn.rapport <= LOW_RAPPORT)
        .group_by(Mentorship.id, Mentorship.programme_id)
        .having(func.count(CheckIn.id) >= LOW_RAPPORT_CHECKINS)
    ):
        pair("low_rapport", mid, pid)

    actor = aliased(Person)
    for mid, pid in session.execute(
        select(Mentorship.id, Mentorship.programme_id)
        .join(Agreement, Agreement.mentorship_id == Mentorship.id)
        .join(actor, actor.id == Mentorship.actor_id)
        .where(
            Mentorship.phase.in_([Phase.DEVELOPMENT.value, Phase.CLOSING.value]),
            actor.supervisor_id.is_not(None),
            Mentorship.started_at.is_not(None),
            Mentorship.started_at <= now - SUPERVISOR_WITHIN,
            Agreement.supervisor_goals_discussed_at.is_(None),
        )
    ):
        pair("supervisor_silent", mid, pid)

    for pid, mentor_id, _count in session.execute(
        select(Mentorship.programme_id, Mentorship.mentor_id, func.count(Mentorship.id))
        .join(Programme, Programme.id == Mentorship.programme_id)
        .where(Mentorship.phase.in_(ACTIVE))
        .group_by(Mentorship.programme_id, Mentorship.mentor_id, Programme.max_actors_per_mentor)
        .having(func.count(Mentorship.id) > Programme.max_actors_per_mentor)
    ):
        found.append(
            Signal(
                f"mentor_overload:{pid}:{mentor_id}",
                "mentor_overload",
                pid,
                mentor_id=mentor_id,
            )
        )

    for mid, pid in session.execute(
        select(Mentorship.id, Mentorship.programme_id)
        .join(Evaluation, Evaluation.mentorship_id == Mentorship.id)
        .where(
            Mentorship.phase.in_(ACTIVE),
            Evaluation.kind == EvaluationKind.INTERIM.value,
            Evaluation.goals_realistic == "no",
        )
        .distinct()
    ):
        pair("unrealistic_goals", mid, pid)
    return found


def raise_alerts(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Insert new alerts; return the outbox rows telling every HR person of the severe ones."""
    signals = detect(session, now)
    if not signals:
        return []
    rows = [
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
        for s in {s.key: s for s in signals}.values()
    ]
    dialect = session.get_bind().dialect.name
    stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Alert)
    stmt = stmt.on_conflict_do_nothing(index_elements=["key"]).returning(Alert.id)
    new_ids = [row[0] for row in session.connection().execute(stmt, rows)]
    if not new_ids:
        return []
    severe = list(
        session.scalars(
            select(Alert)
            .where(Alert.id.in_(new_ids), Alert.severity == AlertSeverity.SEVERE.value)
            .order_by(Alert.id)
        )
    )
    hr_people = list(
        session.scalars(select(Person).where(Person.is_hr.is_(True), Person.erased_at.is_(None)))
    )
    out = []
    for alert in severe:
        for hr in hr_people:
            tx = Texts(hr.locale, hr.timezone)
            due = next_working_moment(now, zone(hr.timezone), "FI")
            out.append(
                outbox_row(
                    person_id=hr.id,
                    kind="hr.alert",
                    message=alert_message(session, tx, alert, immediate=True),
                    dedupe_key=f"alert:{alert.id}:{hr.id}",
                    due_at=due,
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
    message = Message()
    if immediate:
        message.text(tx.t("hr.alert_immediate"))
    return message.text(
        tx.t(f"hr.signal_{alert.signal}")
        + "\n"
        + subject_text(session, tx, alert)
        + "\n"
        + tx.t(f"hr.action_{alert.signal}")
    ).buttons(Button(action_id="hr.alert_handled", label=tx._("Mark handled"), value=str(alert.id)))


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
    return list(session.scalars(select(Alert).where(Alert.handled_at.is_(None)).order_by(Alert.id)))


def digest_text(session: Session, tx: Texts) -> str | None:
    """Open alerts by signal for the weekly HR digest; None when there are none."""
    counts = Counter(session.scalars(select(Alert.signal).where(Alert.handled_at.is_(None))).all())
    if not counts:
        return None
    lines = [tx.t("hr.digest_alerts_heading", n=sum(counts.values()))]
    for signal in SIGNALS:
        if counts[signal]:
            lines.append(f"• {tx.t(f'hr.signal_{signal}')} ({counts[signal]})")
    lines.append(tx.t("hr.digest_alerts_hint"))
    return "\n".join(lines)
