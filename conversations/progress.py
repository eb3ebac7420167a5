"""Where a relationship stands, as every view counts it: meetings held of planned, meeting k of
n, what is due now for a person, and the progress views of supervisors and HR.

One definition per figure, used by the chat, the sweep's summaries and HR's overview alike:

- *planned meetings*: those booked (not cancelled) plus those still to book at the agreed
  interval up to the planned end (``planned_meetings``); after the end, those it kept;
- *held meetings*: meetings recorded as held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import rules
from conversations.texts import Texts
from storage.models import (
    ACTIVE_PHASES,
    Agreement,
    Alert,
    Evaluation,
    EvaluationKind,
    HrQueueItem,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    QueueKind,
    Task,
    TaskStatus,
)
from storage.queries import next_meeting, own_checkin, own_evaluation, reports_of, top_goals


def planned_meetings(
    booked: int, last_at: datetime | None, planned_end: date | None, interval_days: int
) -> int:
    """Meetings planned over the whole agreed duration: the ``booked`` ones (not cancelled,
    the last at ``last_at``) plus those still to book every ``interval_days`` up to
    ``planned_end``. Nothing booked yet is 0 planned: the pair has not set its rhythm."""
    if not booked or last_at is None or planned_end is None or interval_days <= 0:
        return booked
    days_left = (planned_end - last_at.date()).days
    return booked + max(0, days_left // interval_days)


def total_meetings(m: Mentorship) -> int:
    """``planned_meetings`` of a loaded mentorship; once it has ended (or before it has an
    agreement), nothing is still to book, so the figure is the meetings it has."""
    booked = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    last = max((x.scheduled_at for x in booked), default=None)
    if m.phase in (Phase.CLOSED, Phase.CANCELLED) or m.agreement is None:
        return len(booked)
    return planned_meetings(len(booked), last, m.planned_end, m.agreement.meeting_interval_days)


def meetings_held(m: Mentorship) -> int:
    return sum(1 for x in m.meetings if x.status == MeetingStatus.HELD)


def held_of_planned(tx: Texts, held: int, planned: int) -> str:
    """The one wording of the figure: "2 of 8 meetings held", or, before anything is booked,
    "no meetings booked yet" (never "0 of 0")."""
    if planned == 0:
        return tx._("no meetings booked yet")
    return tx.ngettext(
        "%(held)s of %(num)s meeting held", "%(held)s of %(num)s meetings held", planned, held=held
    )


def current_seq(m: Mentorship, now: datetime) -> int:
    """The number of the next meeting (or the last one, when all are past)."""
    booked = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    for meeting in booked:
        if meeting.scheduled_at >= now:
            return meeting.seq
    return booked[-1].seq if booked else 0


def checkin_due(session: Session, m: Mentorship, person: Person, now: datetime) -> Meeting | None:
    """The latest past meeting, if this person has not checked in on it yet.

    Only the latest counts: an older meeting without a check-in is not asked about again.
    """
    past = [
        x
        for x in m.meetings
        if x.scheduled_at <= now
        and x.status in (MeetingStatus.PLANNED, MeetingStatus.HELD, MeetingStatus.MISSED)
    ]
    if past and own_checkin(session, person, past[-1]) is None:
        return past[-1]
    return None


def interim_open(m: Mentorship, now: datetime) -> bool:
    if m.phase != Phase.DEVELOPMENT:
        return False
    seq = rules.middle_meeting_seq(total_meetings(m))
    middle = [x for x in m.meetings if x.seq == seq]
    return bool(middle) and middle[0].scheduled_at <= now


def closing_open(m: Mentorship, now: datetime) -> bool:
    if m.phase == Phase.CLOSING:
        return True
    if m.phase != Phase.DEVELOPMENT or m.planned_end is None:
        return False
    return now.date() >= rules.closing_opens(m.planned_end)


@dataclass(frozen=True)
class Due:
    checkin: Meeting | None
    interim: bool
    final: bool


def due_for(session: Session, m: Mentorship, person: Person, now: datetime) -> Due:
    return Due(
        checkin=checkin_due(session, m, person, now) if m.phase != Phase.START else None,
        interim=interim_open(m, now)
        and own_evaluation(session, person, m, EvaluationKind.INTERIM) is None,
        final=closing_open(m, now)
        and own_evaluation(session, person, m, EvaluationKind.FINAL) is None,
    )


@dataclass(frozen=True)
class SupervisorView:
    """Everything a supervisor may see of a report's mentoring (privacy rule 2)."""

    report_name: str
    mentor_name: str
    programme: str
    phase: str
    meetings_held: int
    meetings_planned: int
    next_meeting: datetime | None
    agreement_accepted: bool
    supervisor_discussion: bool
    time_arranged: bool
    goal_titles: tuple[str, ...] | None
    mentorship_id: int


def supervisor_mentorships(session: Session, supervisor: Person) -> list[Mentorship]:
    """The mentorships of the supervisor's own reports as actors (not cancelled)."""
    report_ids = [p.id for p in reports_of(session, supervisor)]
    if not report_ids:
        return []
    return list(
        session.scalars(
            select(Mentorship)
            .where(Mentorship.actor_id.in_(report_ids), Mentorship.phase != Phase.CANCELLED)
            .order_by(Mentorship.id)
        )
    )


def supervisor_views(session: Session, supervisor: Person, now: datetime) -> list[SupervisorView]:
    """One view per mentorship of each of the supervisor's own reports as an actor."""
    views = []
    for m in supervisor_mentorships(session, supervisor):
        agreement: Agreement = m.agreement
        accepted = bool(agreement.actor_accepted_at and agreement.mentor_accepted_at)
        nxt = next_meeting(m, now)
        views.append(
            SupervisorView(
                report_name=m.actor.name,
                mentor_name=m.mentor.name,
                programme=m.programme.name,
                phase=m.phase,
                meetings_held=meetings_held(m),
                meetings_planned=total_meetings(m),
                next_meeting=nxt.scheduled_at if nxt else None,
                agreement_accepted=accepted,
                supervisor_discussion=agreement.supervisor_goals_discussed_at is not None,
                time_arranged=agreement.supervisor_time_arranged_at is not None,
                goal_titles=tuple(g.title for g in top_goals(m))
                if agreement.share_goals_with_supervisor and accepted
                else None,
                mentorship_id=m.id,
            )
        )
    return views


@dataclass(frozen=True)
class PairOverview:
    """One pair's progress as HR's overview shows it (privacy rule 3): figures and facts, never
    content; evaluations only as how many of the two have given them; the continuation only
    as a request to HR (``new_goals``, ``new_mentor``) or ``differ``."""

    mentorship_id: int
    programme_id: int
    programme: str
    mentor_id: int
    mentor_name: str
    mentor_email: str
    actor_name: str
    phase: str
    week: int | None
    held: int
    planned: int
    last_held: datetime | None
    next_at: datetime | None
    overdue: int  # past meetings nobody recorded
    tasks_open: int
    tasks_done: int
    interim_done: int
    final_done: int
    open_alerts: int
    open_followups: int
    continuation: str | None

    @property
    def attention(self) -> int:
        """Higher first: open alerts, then follow-ups, unrecorded meetings, nothing booked,
        a closing pair whose final evaluation is not complete."""
        return (
            8 * self.open_alerts
            + 4 * self.open_followups
            + 2 * (self.overdue > 0)
            + 2 * (self.phase == Phase.DEVELOPMENT and self.planned == 0)
            + (self.phase == Phase.CLOSING and self.final_done < 2)
        )


def pair_overviews(
    session: Session, mentorships: Sequence[Mentorship], now: datetime
) -> list[PairOverview]:
    """The overview of ``mentorships`` in a fixed number of queries (counts grouped by pair)."""
    ids = [m.id for m in mentorships]
    if not ids:
        return []
    tasks: dict[tuple[int, str], int] = {
        (mid, str(status)): int(n)
        for mid, status, n in session.execute(
            select(Task.mentorship_id, Task.status, func.count(Task.id))
            .where(Task.mentorship_id.in_(ids))
            .group_by(Task.mentorship_id, Task.status)
        )
    }
    evaluations: dict[tuple[int, str], int] = {
        (mid, str(kind)): int(n)
        for mid, kind, n in session.execute(
            select(Evaluation.mentorship_id, Evaluation.kind, func.count(Evaluation.id))
            .where(Evaluation.mentorship_id.in_(ids))
            .group_by(Evaluation.mentorship_id, Evaluation.kind)
        )
    }
    alerts: dict[int, int] = {
        int(mid or 0): int(n)
        for mid, n in session.execute(
            select(Alert.mentorship_id, func.count(Alert.id))
            .where(Alert.mentorship_id.in_(ids), Alert.handled_at.is_(None))
            .group_by(Alert.mentorship_id)
        )
    }
    followups: dict[int, int] = {}
    continuation: dict[int, str] = {}
    for item in session.scalars(
        select(HrQueueItem).where(HrQueueItem.mentorship_id.in_(ids)).order_by(HrQueueItem.id)
    ):
        assert item.mentorship_id is not None
        if item.closed_at is None:
            followups[item.mentorship_id] = followups.get(item.mentorship_id, 0) + 1
        if item.kind == QueueKind.CONTINUATION and item.detail:
            continuation[item.mentorship_id] = item.detail
    out = []
    for m in mentorships:
        counted = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
        held = [x.scheduled_at for x in counted if x.status == MeetingStatus.HELD]
        nxt = next_meeting(m, now)
        began = m.started_at or m.created_at
        out.append(
            PairOverview(
                mentorship_id=m.id,
                programme_id=m.programme_id,
                programme=m.programme.name,
                mentor_id=m.mentor_id,
                mentor_name=m.mentor.name,
                mentor_email=m.mentor.email or "",
                actor_name=m.actor.name,
                phase=m.phase,
                week=(now - began).days // 7 + 1 if m.phase in ACTIVE_PHASES else None,
                held=len(held),
                planned=total_meetings(m),
                last_held=max(held, default=None),
                next_at=nxt.scheduled_at if nxt else None,
                overdue=sum(
                    1
                    for x in counted
                    if x.status == MeetingStatus.PLANNED
                    and x.scheduled_at + timedelta(days=7) < now
                ),
                tasks_open=tasks.get((m.id, TaskStatus.OPEN.value), 0),
                tasks_done=tasks.get((m.id, TaskStatus.DONE.value), 0),
                interim_done=evaluations.get((m.id, EvaluationKind.INTERIM.value), 0),
                final_done=evaluations.get((m.id, EvaluationKind.FINAL.value), 0),
                open_alerts=alerts.get(m.id, 0),
                open_followups=followups.get(m.id, 0),
                continuation=continuation.get(m.id),
            )
        )
    return out
