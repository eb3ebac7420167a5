"""HR's follow-up queue: things HR must act on, kept in the database so that no promise the bot
makes ("HR will be in touch") rests on someone remembering it.

An item names what happened and whom it is about, never content: a continuation request, a
meeting recorded differently by the two partners, a silent pair, a mentor's request for a
workshop or a buddy, an accepted invitation not yet paired. The sweep opens most items
(``conversations.sweep.hr_queue``); an item closes when HR acts on it or dismisses it with a
reason, or when its condition no longer holds (the pair met again, the dispute settled).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.dialect import insert_ignore
from storage.hr_models import HrQueueItem, Invitation
from storage.models import (
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


def open_item(
    session: Session,
    now: datetime,
    key: str,
    kind: str,
    *,
    detail: str | None = None,
    programme_id: int | None = None,
    mentorship_id: int | None = None,
    person_id: int | None = None,
    meeting_id: int | None = None,
) -> bool:
    """Open the item ``key`` unless it exists (open or closed); True when it was opened."""
    values = {
        "key": key,
        "kind": kind,
        "detail": detail,
        "programme_id": programme_id,
        "mentorship_id": mentorship_id,
        "person_id": person_id,
        "meeting_id": meeting_id,
        "opened_at": now,
    }
    return bool(insert_ignore(session, HrQueueItem, [values], conflict=("key",)))


def open_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Open every item of ``rows`` (dicts of the columns) whose key does not exist yet: one
    statement per thousand rows, whatever the number of items."""
    for start in range(0, len(rows), 1000):
        insert_ignore(session, HrQueueItem, rows[start : start + 1000], conflict=("key",))


def open_brief(session: Session) -> list[tuple[int, str, str, int | None]]:
    """(id, kind, key, meeting) of every open item: what the sweep settles from."""
    rows = read_rows(session, _OPEN_BRIEF)
    return [(int(i), str(k), str(key), m) for i, k, key, m in rows]


def close_many(session: Session, ids: list[int], now: datetime, by: str, note: str) -> None:
    if ids:
        session.execute(
            update(HrQueueItem)
            .where(HrQueueItem.id.in_(ids), HrQueueItem.closed_at.is_(None))
            .values(closed_at=now, closed_by=by, close_note=note)
            .execution_options(synchronize_session=False)
        )


def unnotified_facts(session: Session) -> list[Any]:
    """Open items HR has not been told about, with the names, languages and timezones of the
    people they concern, the programme and the meeting (one query)."""
    return list(read_rows(session, _UNNOTIFIED))


def mark_notified(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(HrQueueItem)
            .where(HrQueueItem.id.in_(ids))
            .values(notified_at=now)
            .execution_options(synchronize_session=False)
        )


def open_items(session: Session, mentorship_ids: Iterable[int] | None = None) -> list[HrQueueItem]:
    """Open items, oldest first; only those of ``mentorship_ids`` when given."""
    stmt = select(HrQueueItem).where(HrQueueItem.closed_at.is_(None))
    if mentorship_ids is not None:
        stmt = stmt.where(HrQueueItem.mentorship_id.in_(list(mentorship_ids)))
    return list(session.scalars(stmt.order_by(HrQueueItem.opened_at, HrQueueItem.id)))


def open_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count(HrQueueItem.id)).where(HrQueueItem.closed_at.is_(None)))
        or 0
    )


def close_item(item: HrQueueItem, now: datetime, by: str, note: str) -> None:
    item.closed_at, item.closed_by, item.close_note = now, by[:254], note[:300]


# --- what the sweep reads to open and settle items (a fixed number of statements) ---------


def continuation_choices(session: Session, since: datetime) -> list[tuple[int, int, int, str]]:
    """(programme, mentorship, person, choice) of final evaluations given since ``since``."""
    rows = read_rows(session, _CONTINUATIONS, {"since": since})
    return [(int(p), int(m), int(who), str(c)) for p, m, who, c in rows]


def last_activity(session: Session) -> list[tuple[int, int, datetime, datetime | None]]:
    """(programme, mentorship, started or created, last held meeting or check-in) of every pair
    in development or closing."""
    rows = read_rows(session, _LAST_ACTIVITY)
    out = []
    for programme_id, mid, started, held_at, checked_at in rows:
        latest = max((t for t in (held_at, checked_at) if t is not None), default=None)
        out.append((int(programme_id), int(mid), _aware(started), _aware(latest)))
    return out


def accepted_unpaired(session: Session, answered_before: datetime) -> list[tuple[int, int]]:
    """(invitation, person) of invitations accepted before ``answered_before`` with no pair
    made since the answer."""
    rows = read_rows(session, _ACCEPTED_UNPAIRED, {"before": answered_before})
    return [(int(i), int(p)) for i, p in rows]


# The sweep's reads, built once: each sweep only binds its moments (``bindparam``).
_OPEN_BRIEF = select(
    HrQueueItem.id, HrQueueItem.kind, HrQueueItem.key, HrQueueItem.meeting_id
).where(HrQueueItem.closed_at.is_(None))

_person, _mentor, _actor = aliased(Person), aliased(Person), aliased(Person)
_PERSON_COLUMNS = ("id", "name", "locale", "timezone", "erased_at")
_UNNOTIFIED = (
    select(
        HrQueueItem.id,
        HrQueueItem.kind,
        HrQueueItem.detail,
        HrQueueItem.mentorship_id,
        HrQueueItem.opened_at,
        Programme.name,
        Programme.holiday_country,
        Meeting.scheduled_at,
        *(getattr(who, c) for who in (_person, _mentor, _actor) for c in _PERSON_COLUMNS),
    )
    .outerjoin(Programme, Programme.id == HrQueueItem.programme_id)
    .outerjoin(Meeting, Meeting.id == HrQueueItem.meeting_id)
    .outerjoin(_person, _person.id == HrQueueItem.person_id)
    .outerjoin(Mentorship, Mentorship.id == HrQueueItem.mentorship_id)
    .outerjoin(_mentor, _mentor.id == Mentorship.mentor_id)
    .outerjoin(_actor, _actor.id == Mentorship.actor_id)
    .where(HrQueueItem.closed_at.is_(None), HrQueueItem.notified_at.is_(None))
    .order_by(HrQueueItem.id)
)

_CONTINUATIONS = (
    select(
        Mentorship.programme_id,
        Evaluation.mentorship_id,
        Evaluation.person_id,
        Evaluation.continuation,
    )
    .join(Mentorship, Mentorship.id == Evaluation.mentorship_id)
    .where(
        Evaluation.kind == EvaluationKind.FINAL.value,
        Evaluation.continuation.is_not(None),
        Evaluation.created_at >= bindparam("since"),
    )
    .order_by(Evaluation.id)
)

_held = (
    select(Meeting.mentorship_id, func.max(Meeting.scheduled_at).label("at"))
    .where(Meeting.status == MeetingStatus.HELD.value)
    .group_by(Meeting.mentorship_id)
    .subquery()
)
_checked = (
    select(Meeting.mentorship_id, func.max(CheckIn.created_at).label("at"))
    .join(CheckIn, CheckIn.meeting_id == Meeting.id)
    .group_by(Meeting.mentorship_id)
    .subquery()
)
_LAST_ACTIVITY = (
    select(
        Mentorship.programme_id,
        Mentorship.id,
        func.coalesce(Mentorship.started_at, Mentorship.created_at),
        _held.c.at,
        _checked.c.at,
    )
    .outerjoin(_held, _held.c.mentorship_id == Mentorship.id)
    .outerjoin(_checked, _checked.c.mentorship_id == Mentorship.id)
    .where(Mentorship.phase.in_([Phase.DEVELOPMENT.value, Phase.CLOSING.value]))
)

_paired_since = (
    select(Mentorship.id)
    .where(
        or_(
            Mentorship.actor_id == Invitation.person_id,
            Mentorship.mentor_id == Invitation.person_id,
        ),
        Mentorship.created_at >= Invitation.answered_at,
    )
    .exists()
)
_ACCEPTED_UNPAIRED = select(Invitation.id, Invitation.person_id).where(
    Invitation.answer == "yes", Invitation.answered_at < bindparam("before"), ~_paired_since
)


def _aware(value: Any) -> Any:
    """Aggregates (``max``) come back naive on SQLite; every time here is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def forget_person(
    session: Session, person_id: int, mentorship_ids: list[int], email: str | None, erased: str
) -> None:
    """Erasure (privacy rule 5): the items about the person or their pairs go, with HR's
    reasons; where the person was the HR coordinator who closed an item, the name goes."""
    session.execute(
        delete(HrQueueItem).where(
            or_(HrQueueItem.person_id == person_id, HrQueueItem.mentorship_id.in_(mentorship_ids))
        )
    )
    if email:
        session.execute(
            update(HrQueueItem)
            .where(func.lower(HrQueueItem.closed_by) == email.lower())
            .values(closed_by=erased)
        )
