"""The report's per-pair table and its timeline: progress only, never content (privacy rule 3).

A row holds what HR may see of a pair: names, phase, week, meetings held of planned (the one
definition in ``conversations.progress``), the last and next meeting, task counts, whether the
interim and final evaluations are done (how many of the two partners answered, never what or
who), open alerts, and whether the pair asked HR for a new round. The continuation plans
themselves stay aggregates (``results``): a pair's row says only that a partner asked HR for
a new round, which the final evaluation tells them HR will act on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from conversations.progress import closing_open, interim_open, meetings_held, total_meetings
from storage.models import (
    ACTIVE_PHASES,
    PHASE_ORDER,
    Alert,
    Continuation,
    Evaluation,
    EvaluationKind,
    Meeting,
    MeetingStatus,
    Mentorship,
    Phase,
    Task,
    TaskStatus,
)
from storage.queries import next_meeting

TIMELINE_WEEKS = 26  # the most recent half year of weeks


@dataclass(frozen=True)
class PairRow:
    mentor: str
    actor: str
    phase: str
    week: int | None  # week of the relationship, for active pairs that have started
    held: int
    planned: int
    last_held: datetime | None
    next_meeting: datetime | None
    overdue: int  # past meetings still planned: nobody recorded them
    tasks_open: int
    tasks_done: int
    interim: str  # "done" | "partly" | "due" | "not_due"
    final: str
    open_alerts: int
    new_round: bool  # a partner asked HR for a new round in the final evaluation

    @property
    def needs_attention(self) -> bool:
        """Open alerts, unrecorded meetings or a due evaluation; after closing, a request for
        a new round."""
        if self.phase in ACTIVE_PHASES:
            due = "due" in (self.interim, self.final)
            return bool(self.open_alerts or self.overdue or due)
        return self.new_round and self.phase == Phase.CLOSED


def _evaluation_state(answered: int, due: bool) -> str:
    if answered >= 2:
        return "done"
    if answered == 1:
        return "partly"
    return "due" if due else "not_due"


def pair_rows(session: Session, programme_id: int, now: datetime) -> list[PairRow]:
    """Every pair of the programme, those needing attention first."""
    pairs = list(
        session.scalars(
            select(Mentorship)
            .where(Mentorship.programme_id == programme_id)
            .options(selectinload(Mentorship.meetings), selectinload(Mentorship.agreement))
            .order_by(Mentorship.id)
        )
    )
    ids = [m.id for m in pairs]
    tasks: Counter[tuple[int, str]] = Counter(
        (pair, status)
        for pair, status in session.execute(
            select(Task.mentorship_id, Task.status).where(Task.mentorship_id.in_(ids))
        )
    )
    answered: Counter[tuple[int, str]] = Counter(
        (pair, kind)
        for pair, kind in session.execute(
            select(Evaluation.mentorship_id, Evaluation.kind).where(
                Evaluation.mentorship_id.in_(ids)
            )
        ).all()
    )
    new_round = set(
        session.scalars(
            select(Evaluation.mentorship_id).where(
                Evaluation.mentorship_id.in_(ids),
                Evaluation.kind == EvaluationKind.FINAL,
                Evaluation.continuation == Continuation.NEW_GOALS,
            )
        )
    )
    alerts = dict(
        session.execute(
            select(Alert.mentorship_id, func.count(Alert.id))
            .where(Alert.mentorship_id.in_(ids), Alert.handled_at.is_(None))
            .group_by(Alert.mentorship_id)
        ).all()
    )
    rows = [_row(m, now, tasks, answered, m.id in new_round, alerts.get(m.id, 0)) for m in pairs]
    return sorted(
        rows,
        key=lambda r: (
            not r.needs_attention,
            -r.open_alerts,
            -r.overdue,
            PHASE_ORDER[Phase(r.phase)],
            r.mentor.lower(),
            r.actor.lower(),
        ),
    )


def _row(
    m: Mentorship,
    now: datetime,
    tasks: Counter[tuple[int, str]],
    answered: Counter[tuple[int, str]],
    new_round: bool,
    open_alerts: int,
) -> PairRow:
    active = m.phase in ACTIVE_PHASES
    held = [x.scheduled_at for x in m.meetings if x.status == MeetingStatus.HELD]
    upcoming = next_meeting(m, now) if active else None
    started = m.started_at
    return PairRow(
        mentor=m.mentor.name,
        actor=m.actor.name,
        phase=m.phase,
        week=(now - started).days // 7 + 1 if active and started and started <= now else None,
        held=meetings_held(m),
        planned=total_meetings(m),
        last_held=max(held, default=None),
        next_meeting=upcoming.scheduled_at if upcoming else None,
        overdue=sum(
            1 for x in m.meetings if x.status == MeetingStatus.PLANNED and x.scheduled_at < now
        )
        if active
        else 0,
        tasks_open=tasks[(m.id, TaskStatus.OPEN)],
        tasks_done=tasks[(m.id, TaskStatus.DONE)],
        interim=_evaluation_state(
            answered[(m.id, EvaluationKind.INTERIM)], active and interim_open(m, now)
        ),
        final=_evaluation_state(
            answered[(m.id, EvaluationKind.FINAL)], active and closing_open(m, now)
        ),
        open_alerts=open_alerts,
        new_round=new_round,
    )


def held_by_week(session: Session, programme_id: int, now: datetime) -> list[tuple[date, int]]:
    """Meetings held per week (Mondays), from the first held meeting to this week, zeros
    included, the most recent ``TIMELINE_WEEKS`` of them. An aggregate: no pair is named."""
    held = session.scalars(
        select(Meeting.scheduled_at)
        .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
        .where(
            Mentorship.programme_id == programme_id,
            Meeting.status == MeetingStatus.HELD,
            Meeting.scheduled_at <= now,
        )
    ).all()
    if not held:
        return []
    counts = Counter(_monday(at.date()) for at in held)
    last = _monday(now.date())
    first = max(min(counts), last - timedelta(weeks=TIMELINE_WEEKS - 1))
    weeks = []
    week = first
    while week <= last:
        weeks.append((week, counts.get(week, 0)))
        week += timedelta(weeks=1)
    return weeks


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
