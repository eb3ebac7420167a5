"""A nudge is still true when it arrives: each one is checked against the database at the
moment it is sent, not only when the sweep queued it.

``recheck(session, key, now)`` is called by the delivery worker for every sweep nudge just
before the platform call. It answers ``KEEP`` (send as queued), ``DROP`` (cancel: what it asks
for was done, or what it names is gone) or a new ``Message`` rendered from the state at send
time (the supervisor's monthly summary, which the sweep queues without text). One or two
primary-key reads per nudge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.messages import Message
from conversations.sweep.plan import RENDERED_WHEN_SENT, Pair, Recipient
from storage import sweep_reads
from storage.models import (
    CheckIn,
    Evaluation,
    EvaluationKind,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Task,
    TaskStatus,
)
from storage.sweep_reads import IN_PROGRESS, MEETING_PHASES

Verdict = Literal["keep", "drop"] | Message
KEEP: Literal["keep"] = "keep"
DROP: Literal["drop"] = "drop"

RECHECKED_KINDS = frozenset(
    {
        "reminder",
        "checkin",
        "task_reminder",
        "reflect",
        "interim",
        "closing",
        "plan",
        "supervisor.monthly",
    }
)


def recheck(session: Session, key: str, now: datetime) -> Verdict:
    """What to do with the nudge ``key`` now (unknown keys are kept)."""
    kind, _, rest = key.partition(":")
    check = _CHECKS.get(kind)
    if check is None:
        return KEEP
    try:
        verdict = check(session, rest.split(":"), now)
    except (ValueError, IndexError):  # a key this version did not write: send as queued
        verdict = KEEP
    if verdict == KEEP and kind in RENDERED_WHEN_SENT:
        return DROP  # its queued payload is empty
    return verdict


def _mentorship_meets(m: Mentorship | None) -> bool:
    return m is not None and m.phase in MEETING_PHASES


def _reminder(session: Session, parts: list[str], now: datetime) -> Verdict:
    meeting_id, _, version = parts[0].partition(".")
    meeting = session.get(Meeting, int(meeting_id))
    if (
        meeting is None
        or meeting.status != MeetingStatus.PLANNED
        or meeting.ics_sequence != int(version)
        or not _mentorship_meets(meeting.mentorship)
    ):
        return DROP
    return KEEP


def _checkin(session: Session, parts: list[str], now: datetime) -> Verdict:
    meeting = session.get(Meeting, int(parts[0]))
    if meeting is None or meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.RESCHEDULED):
        return DROP
    if not _mentorship_meets(meeting.mentorship):
        return DROP
    done = session.scalars(
        select(CheckIn.id).where(
            CheckIn.meeting_id == meeting.id, CheckIn.person_id == int(parts[1])
        )
    ).first()
    return DROP if done is not None else KEEP


def _task(session: Session, parts: list[str], now: datetime) -> Verdict:
    meeting = session.get(Meeting, int(parts[0]))
    if meeting is None or not _mentorship_meets(meeting.mentorship):
        return DROP
    open_task = session.scalars(
        select(Task.id).where(
            Task.mentorship_id == meeting.mentorship_id, Task.status == TaskStatus.OPEN.value
        )
    ).first()
    return KEEP if open_task is not None else DROP


def _in_progress(session: Session, parts: list[str], now: datetime) -> Verdict:
    return KEEP if _mentorship_meets(session.get(Mentorship, int(parts[0]))) else DROP


def _evaluation(kind: EvaluationKind, phases: tuple[str, ...]) -> Callable[..., Verdict]:
    def check(session: Session, parts: list[str], now: datetime) -> Verdict:
        m = session.get(Mentorship, int(parts[0]))
        if m is None or m.phase not in phases:
            return DROP
        given = session.scalars(
            select(Evaluation.id).where(
                Evaluation.mentorship_id == m.id,
                Evaluation.person_id == int(parts[1]),
                Evaluation.kind == kind.value,
            )
        ).first()
        return DROP if given is not None else KEEP

    return check


def _plan(session: Session, parts: list[str], now: datetime) -> Verdict:
    m = session.get(Mentorship, int(parts[0]))
    if m is None or m.phase != Phase.DEVELOPMENT:
        return DROP
    booked = any(x.status != MeetingStatus.CANCELLED for x in m.meetings)
    return DROP if booked else KEEP


def _supervisor_monthly(session: Session, parts: list[str], now: datetime) -> Verdict:
    """Rendered again from the state at send time (an agreement accepted or a goal discussion
    recorded since the sweep queued it is told as it is now)."""
    from conversations.sweep.supervisor import render_monthly

    sup = session.get(Person, int(parts[0]))
    if sup is None or sup.erased_at is not None:
        return DROP
    reports = [
        _pair(m, now)
        for m in session.scalars(
            select(Mentorship)
            .join(Person, Person.id == Mentorship.actor_id)
            .where(Person.supervisor_id == sup.id, Mentorship.phase.in_(IN_PROGRESS))
            .order_by(Mentorship.id)
        )
        if m.actor.erased_at is None and m.mentor.erased_at is None
    ]
    if not reports:
        return DROP
    shared = [p.id for p in reports if p.share_goals and p.accepted_at]
    goals = sweep_reads.shared_goal_titles(session, shared)
    return render_monthly(_recipient(sup), reports, parts[1], goals)


def _recipient(p: Person) -> Recipient:
    return Recipient(id=p.id, name=p.name, locale=p.locale, timezone=p.timezone)


def _pair(m: Mentorship, now: datetime) -> Pair:
    a = m.agreement
    counted = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    upcoming = [
        x.scheduled_at
        for x in counted
        if x.status == MeetingStatus.PLANNED and x.scheduled_at >= now
    ]
    accepted = (
        max(a.actor_accepted_at, a.mentor_accepted_at)
        if a.actor_accepted_at and a.mentor_accepted_at
        else None
    )
    return Pair(
        id=m.id,
        phase=str(m.phase),
        planned_end=m.planned_end,
        interval_days=a.meeting_interval_days,
        duration_months=a.duration_months,
        horizon_months=m.programme.booking_horizon_months,
        country=m.programme.holiday_country or "FI",
        mentor=_recipient(m.mentor),
        actor=_recipient(m.actor),
        supervisor=_recipient(m.actor.supervisor) if m.actor.supervisor else None,
        discussed=a.supervisor_goals_discussed_at is not None,
        accepted_at=accepted,
        share_goals=bool(a.share_goals_with_supervisor),
        booked=len(counted),
        last_at=max((x.scheduled_at for x in counted), default=None),
        max_seq=max((x.seq for x in m.meetings), default=0),
        held=sum(1 for x in counted if x.status == MeetingStatus.HELD),
        next_at=min(upcoming, default=None),
    )


_CHECKS: dict[str, Callable[[Session, list[str], datetime], Verdict]] = {
    "reminder": _reminder,
    "checkin": _checkin,
    "task": _task,
    "reflect": _in_progress,
    "interim": _evaluation(EvaluationKind.INTERIM, (Phase.DEVELOPMENT.value,)),
    "closing": _evaluation(EvaluationKind.FINAL, MEETING_PHASES),
    "plan": _plan,
    "supervisor.monthly": _supervisor_monthly,
}
