"""The sweep's reads: a fixed number of set-based statements, built once at import.

Each statement is a module-level ``select()`` whose varying values are ``bindparam``s, so a
sweep builds no SQL: SQLAlchemy finds every statement in the engine's compiled cache and only
binds the values. Time windows are parameters (the rules that choose them live in
``conversations.sweep``); phase lists are expanding parameters. The reads of pairs and of
what belongs to them take a range of mentorship ids (``lo`` ≤ id < ``hi``): the sweep reads
its pairs a chunk at a time, so its memory does not grow with the number of pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from storage.models import (
    Agreement,
    CheckIn,
    Evaluation,
    Goal,
    GoalStatus,
    Meeting,
    MeetingStatus,
    Mentorship,
    Outbox,
    Person,
    Phase,
    Programme,
    Task,
    TaskStatus,
)
from storage.rows import read_rows
from storage.types import UTCDateTime

MEETING_PHASES = (Phase.DEVELOPMENT.value, Phase.CLOSING.value)
IN_PROGRESS = (Phase.START.value, *MEETING_PHASES)
COUNTED = (MeetingStatus.PLANNED.value, MeetingStatus.HELD.value, MeetingStatus.MISSED.value)

_phases: Any = bindparam("phases", expanding=True)
_lo: Any = bindparam("lo")
_hi: Any = bindparam("hi")


def _in_chunk(column: Any) -> Any:
    """``lo`` ≤ mentorship id < ``hi``: the chunk of pairs being swept."""
    return (column >= _lo) & (column < _hi)


PAIR_IDS = select(Mentorship.id).where(Mentorship.phase.in_(_phases)).order_by(Mentorship.id)

PAIR_AGGREGATES = (
    select(
        Meeting.mentorship_id.label("mid"),
        func.count(Meeting.id).label("booked"),
        type_coerce(func.max(Meeting.scheduled_at), UTCDateTime()).label("last_at"),
        func.max(Meeting.seq).label("max_seq"),
        func.sum(case((Meeting.status == MeetingStatus.HELD.value, 1), else_=0)).label("held"),
        type_coerce(
            func.min(
                case(
                    (
                        (Meeting.status == MeetingStatus.PLANNED.value)
                        & (Meeting.scheduled_at >= bindparam("now")),
                        Meeting.scheduled_at,
                    ),
                )
            ),
            UTCDateTime(),
        ).label("next_at"),
    )
    .where(Meeting.status != MeetingStatus.CANCELLED.value, _in_chunk(Meeting.mentorship_id))
    .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
    .where(Mentorship.phase.in_(_phases))
    .group_by(Meeting.mentorship_id)
)

_mentor = aliased(Person, name="mentor")
_actor = aliased(Person, name="actor")
_supervisor = aliased(Person, name="supervisor")
PAIRS = (
    select(
        Mentorship.id,
        Mentorship.phase,
        Mentorship.planned_end,
        Agreement.meeting_interval_days,
        Agreement.duration_months,
        Agreement.supervisor_goals_discussed_at,
        Agreement.actor_accepted_at,
        Agreement.mentor_accepted_at,
        Agreement.share_goals_with_supervisor,
        Programme.booking_horizon_months,
        Programme.holiday_country,
        _mentor.id.label("mentor_id"),
        _mentor.name.label("mentor_name"),
        _mentor.locale.label("mentor_locale"),
        _mentor.timezone.label("mentor_tz"),
        _actor.id.label("actor_id"),
        _actor.name.label("actor_name"),
        _actor.locale.label("actor_locale"),
        _actor.timezone.label("actor_tz"),
        _supervisor.id.label("supervisor_id"),
        _supervisor.name.label("supervisor_name"),
        _supervisor.locale.label("supervisor_locale"),
        _supervisor.timezone.label("supervisor_tz"),
    )
    .join(Agreement, Agreement.mentorship_id == Mentorship.id)
    .join(Programme, Programme.id == Mentorship.programme_id)
    .join(_mentor, _mentor.id == Mentorship.mentor_id)
    .join(_actor, _actor.id == Mentorship.actor_id)
    .outerjoin(
        _supervisor, (_supervisor.id == _actor.supervisor_id) & _supervisor.erased_at.is_(None)
    )
    .where(
        Mentorship.phase.in_(_phases),
        _in_chunk(Mentorship.id),
        _mentor.erased_at.is_(None),
        _actor.erased_at.is_(None),
    )
)

_in_window = Meeting.scheduled_at.between(bindparam("start"), bindparam("end"))

MEETINGS = (
    select(
        Meeting.id,
        Meeting.mentorship_id,
        Meeting.seq,
        Meeting.scheduled_at,
        Meeting.duration_minutes,
        Meeting.status,
        Meeting.ics_sequence,
    )
    .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
    .where(
        _in_window,
        _in_chunk(Meeting.mentorship_id),
        Meeting.status.in_(COUNTED),
        Mentorship.phase.in_(MEETING_PHASES),
    )
    .order_by(Meeting.mentorship_id, Meeting.seq)
)

CHECKINS = (
    select(CheckIn.meeting_id, CheckIn.person_id)
    .join(Meeting, Meeting.id == CheckIn.meeting_id)
    .where(_in_window, _in_chunk(Meeting.mentorship_id))
)

OPEN_TASKS = (
    select(Task.mentorship_id, Task.id, Task.text)
    .where(
        Task.status == TaskStatus.OPEN.value,
        _in_chunk(Task.mentorship_id),
        Task.mentorship_id.in_(
            select(Meeting.mentorship_id).where(_in_window, _in_chunk(Meeting.mentorship_id))
        ),
    )
    .order_by(Task.id)
)

EVALUATIONS = (
    select(Evaluation.mentorship_id, Evaluation.person_id, Evaluation.kind)
    .join(Mentorship, Mentorship.id == Evaluation.mentorship_id)
    .where(Mentorship.phase.in_(MEETING_PHASES), _in_chunk(Evaluation.mentorship_id))
)

RECENT_KEYS = select(Outbox.dedupe_key).where(
    (Outbox.created_at >= bindparam("since"))
    | ((Outbox.kind == "closing") & (Outbox.created_at >= bindparam("closing_since")))
)

HR_PEOPLE = (
    select(Person.id, Person.name, Person.locale, Person.timezone)
    .where(Person.is_hr.is_(True), Person.erased_at.is_(None))
    .order_by(Person.id)
)

SHARED_GOAL_TITLES = (
    select(Goal.mentorship_id, Goal.title)
    .where(
        Goal.mentorship_id.in_(bindparam("ids", expanding=True)),
        Goal.parent_id.is_(None),
        Goal.status != GoalStatus.DROPPED.value,
    )
    .order_by(Goal.mentorship_id, Goal.position, Goal.id)
)


def pair_ids(session: Session, phases: Sequence[str]) -> list[int]:
    """The ids of the mentorships in ``phases``, in order (what the sweep cuts into chunks)."""
    return list(read_rows(session, PAIR_IDS, {"phases": list(phases)}).scalars())


def pair_aggregates(
    session: Session, phases: Sequence[str], now: datetime, chunk: range
) -> dict[int, Any]:
    """Per mentorship in ``phases`` and ``chunk``: (booked, last_at, max_seq, held, next_at)
    of the meetings not cancelled (meetings booked, the last and next, the highest sequence
    number, how many were held)."""
    params = {"phases": phases, "now": now, **_bounds(chunk)}
    return {
        row[0]: tuple(row[1:]) for row in read_rows(session, PAIR_AGGREGATES, params, stream=True)
    }


def pairs(session: Session, phases: Sequence[str], chunk: range) -> Iterable[Any]:
    """Mentorships in ``phases`` and ``chunk`` with agreement, programme frame, then (id,
    name, locale, timezone) of the mentor, the actor and the actor's supervisor (None when
    erased)."""
    return read_rows(session, PAIRS, {"phases": list(phases), **_bounds(chunk)}, stream=True)


def meetings(session: Session, start: datetime, end: datetime, chunk: range) -> Iterable[Any]:
    """Counted meetings (planned, held, missed) of meeting pairs in ``chunk`` scheduled in the
    window."""
    params = {"start": start, "end": end, **_bounds(chunk)}
    return read_rows(session, MEETINGS, params, stream=True)


def checkins(
    session: Session, start: datetime, end: datetime, chunk: range
) -> set[tuple[int, int]]:
    """(meeting, person) of every check-in for a meeting of ``chunk`` scheduled in the
    window."""
    params = {"start": start, "end": end, **_bounds(chunk)}
    return {(m, p) for m, p in read_rows(session, CHECKINS, params, stream=True)}


def open_tasks(
    session: Session, start: datetime, end: datetime, chunk: range
) -> dict[int, list[tuple[int, str]]]:
    """Open intermediate tasks of pairs in ``chunk`` with a meeting in the window."""
    out: dict[int, list[tuple[int, str]]] = {}
    params = {"start": start, "end": end, **_bounds(chunk)}
    for mid, tid, body in read_rows(session, OPEN_TASKS, params):
        out.setdefault(mid, []).append((tid, body))
    return out


def evaluations(session: Session, chunk: range) -> set[tuple[int, int, str]]:
    """(mentorship, person, kind) of every evaluation of a pair in ``chunk`` that meets."""
    return {(m, p, k) for m, p, k in read_rows(session, EVALUATIONS, _bounds(chunk))}


def _bounds(chunk: range) -> dict[str, int]:
    return {"lo": chunk.start, "hi": chunk.stop}


def recent_keys(session: Session, since: datetime, closing_since: datetime) -> set[str]:
    """Outbox dedupe keys created since ``since`` (closing nudges: since ``closing_since``)."""
    params = {"since": since, "closing_since": closing_since}
    return set(read_rows(session, RECENT_KEYS, params, stream=True).scalars())


def hr_people(session: Session) -> list[Any]:
    """(id, name, locale, timezone) of every HR person not erased."""
    return list(read_rows(session, HR_PEOPLE).all())


def shared_goal_titles(session: Session, mentorship_ids: list[int]) -> dict[int, list[str]]:
    """Top-level goal titles (not dropped) of the given mentorships, in the pair's order."""
    titles: dict[int, list[str]] = {}
    if not mentorship_ids:
        return titles
    for mid, title in read_rows(session, SHARED_GOAL_TITLES, {"ids": mentorship_ids}):
        titles.setdefault(mid, []).append(title)
    return titles
