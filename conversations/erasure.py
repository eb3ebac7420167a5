"""GDPR erasure of a person and the retention purge of closed relationships (privacy rule 5).

Both must reach every copy of the content, not only the tables it was typed into: the rendered
messages in the outbox (what was delivered to the partner, the supervisor, HR), the audit log's
details, the end reason of the pair, and the open form drafts that carry it pre-filled.
``docs/privacy.md`` lists what remains, point by point; keep the two in step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, cast, delete, func, select, update
from sqlalchemy.orm import Session

from conversations.hr_admin import audit
from conversations.outbox import NOT_YET_SENT
from storage import hr_queue
from storage.matching import erase_matching
from storage.models import (
    ACTIVE_PHASES,
    Agreement,
    Alert,
    Announcement,
    AuditLog,
    CalendarFeed,
    CheckIn,
    DialogueState,
    Evaluation,
    Goal,
    Invitation,
    Meeting,
    Mentorship,
    Outbox,
    OutboxStatus,
    Person,
    Phase,
    PlatformIdentity,
    Reflection,
    Task,
    WorkshopSignup,
)
from storage.rows import connection, read_rows

ERASED_NAME = "(erased)"
BLANK = "–"
# A dead row keeps its message this long, so an operator can fix the cause and retry it.
DEAD_CONTENT_KEPT = timedelta(days=7)
FINISHED = (OutboxStatus.SENT.value, OutboxStatus.DEAD.value, OutboxStatus.CANCELLED.value)
MIN_NEEDLE = 4  # shorter strings ("ok", "no") would match everything and name nobody


def has_content() -> ColumnElement[bool]:
    """The row still holds a rendered message (an emptied payload is stored as ``{}``)."""
    return func.length(cast(Outbox.payload, Text)) > 2


@dataclass(frozen=True)
class Erasure:
    check_ins: int
    reflections: int
    evaluations: int
    identities: int
    mentorships_ended: int


def erase_person(session: Session, now: datetime, by: str, person: Person) -> Erasure:
    """Delete a person's content and identities everywhere; keep only anonymous counts.

    What remains: the Person row with no name, email or dates; their mentorships with phase,
    meeting statuses and dates and the goal statuses and ratings of the partner (so programme
    totals stay right). Every text the person typed or that describes them goes, and so does
    every message that carried it: outbox rows to them, rows to anyone else that quote them,
    drafts of the pair, audit details about them, their email as an audit actor.
    """
    ids = list(
        session.scalars(
            select(Mentorship.id).where(
                (Mentorship.actor_id == person.id) | (Mentorship.mentor_id == person.id)
            )
        )
    )
    needles = _needles(session, person, ids)
    counts: dict[str, int] = {}
    for name, model in (
        ("check_ins", CheckIn),
        ("reflections", Reflection),
        ("evaluations", Evaluation),
    ):
        result = session.execute(delete(model).where(model.person_id == person.id))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    identities = session.execute(
        delete(PlatformIdentity).where(PlatformIdentity.person_id == person.id)
    )
    partners = _partners(session, person, ids)
    session.execute(
        delete(DialogueState).where(DialogueState.person_id.in_([person.id, *partners]))
    )
    session.execute(delete(Invitation).where(Invitation.person_id == person.id))
    session.execute(delete(WorkshopSignup).where(WorkshopSignup.person_id == person.id))
    session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == person.id))
    erase_matching(session, person.id)  # matching profiles and proposals
    _forget_outbox(session, person, needles)
    _forget_audit(session, person, ids, needles)
    hr_queue.forget_person(session, person.id, ids, person.email, ERASED_NAME)
    if person.email:
        email = person.email.lower()
        session.execute(
            update(Alert).where(func.lower(Alert.handled_by) == email).values(handled_by=None)
        )
        session.execute(
            update(AuditLog).where(func.lower(AuditLog.actor) == email).values(actor=ERASED_NAME)
        )
    session.execute(
        update(Announcement).where(Announcement.author_id == person.id).values(text=BLANK)
    )
    ended = 0
    if ids:
        _blank_content(session, ids)
        ended = int(
            session.execute(
                update(Mentorship)
                .where(
                    Mentorship.id.in_(ids),
                    Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]),
                )
                .values(phase=Phase.CANCELLED, closed_at=now)
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
        session.execute(update(Mentorship).where(Mentorship.id.in_(ids)).values(end_reason=None))
    session.execute(
        update(Person).where(Person.supervisor_id == person.id).values(supervisor_id=None)
    )
    person.name = ERASED_NAME
    person.email = None
    person.supervisor_id = None
    person.is_hr = False
    person.employment_start = None
    person.returning_from_leave = None
    person.erased_at = now
    session.expire(person, ["identities"])
    erasure = Erasure(
        identities=int(identities.rowcount or 0),  # type: ignore[attr-defined]
        mentorships_ended=ended,
        **counts,
    )
    audit(session, now, by, "gdpr.erase", person, **erasure.__dict__)
    return erasure


def _partners(session: Session, person: Person, ids: list[int]) -> list[int]:
    rows = session.execute(
        select(Mentorship.mentor_id, Mentorship.actor_id).where(Mentorship.id.in_(ids))
    )
    return sorted({pid for row in rows for pid in row if pid != person.id})


def _needles(session: Session, person: Person, ids: list[int]) -> list[str]:
    """The strings that identify the person or are their words: name, email, every text."""
    texts: list[str | None] = [person.name, person.email]
    texts += session.scalars(select(Reflection.text).where(Reflection.person_id == person.id))
    texts += session.scalars(select(CheckIn.note).where(CheckIn.person_id == person.id))
    texts += session.scalars(select(Evaluation.text).where(Evaluation.person_id == person.id))
    texts += session.scalars(select(Task.text).where(Task.mentorship_id.in_(ids)))
    for title, success in session.execute(
        select(Goal.title, Goal.success).where(Goal.mentorship_id.in_(ids))
    ):
        texts += [title, success]
    texts += session.scalars(
        select(Agreement.mentor_comment).where(Agreement.mentorship_id.in_(ids))
    )
    texts += session.scalars(select(Mentorship.end_reason).where(Mentorship.id.in_(ids)))
    found = {t.strip().casefold() for t in texts if t and len(t.strip()) >= MIN_NEEDLE}
    return sorted(found - {BLANK, ERASED_NAME.casefold()})


def _mentions(value: Any, needles: Iterable[str]) -> bool:
    text = json.dumps(value, ensure_ascii=False, default=str).casefold()
    return any(n in text for n in needles)


def _forget_outbox(session: Session, person: Person, needles: list[str]) -> None:
    """Rows to the person, and rows to anyone that quote or name them: content dropped,
    pending ones cancelled (a message about an erased person is never delivered)."""
    rows = session.scalars(select(Outbox).where(has_content()))
    for row in rows:
        if row.person_id != person.id and not _mentions(row.payload, needles):
            continue
        row.payload = {}
        if row.status in (*NOT_YET_SENT, OutboxStatus.DEAD.value):
            row.status = OutboxStatus.CANCELLED.value
            row.last_error = "recipient or subject erased"


def _forget_audit(session: Session, person: Person, ids: list[int], needles: list[str]) -> None:
    """Audit rows keep who acted, what kind of action and which ids; about this person, no
    text (reasons, names, other people's emails) remains in their details."""
    for row in session.scalars(select(AuditLog)):
        about = row.subject_person_id == person.id or row.detail.get("mentorship_id") in ids
        if about or _mentions(row.detail, needles):
            row.detail = _ids_only(row.detail)


def _ids_only(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if isinstance(v, (int, float, bool)) or v is None}


def _blank_content(session: Session, mentorship_ids: list[int]) -> None:
    """Remove the free text of these mentorships, keeping statuses, numbers and dates."""
    session.execute(
        update(Goal).where(Goal.mentorship_id.in_(mentorship_ids)).values(title=BLANK, success="")
    )
    session.execute(update(Task).where(Task.mentorship_id.in_(mentorship_ids)).values(text=BLANK))
    session.execute(
        update(Agreement)
        .where(Agreement.mentorship_id.in_(mentorship_ids))
        .values(mentor_comment=None)
    )


# Every sweep runs the purge, and it usually finds nothing: its two first statements are
# built once, not at every sweep, and run on the connection (``storage.rows``): no object
# of the session is among what they touch.
_STALE_DRAFTS = delete(DialogueState).where(DialogueState.updated_at < bindparam("cutoff"))
_CLOSED_BEFORE = select(Mentorship.id).where(
    Mentorship.phase.in_([Phase.CLOSED.value, Phase.CANCELLED.value]),
    Mentorship.closed_at.is_not(None),
    Mentorship.closed_at < bindparam("cutoff"),
)


@dataclass(frozen=True)
class Purge:
    mentorships: int
    check_in_notes: int
    reflections: int
    evaluation_texts: int


def purge_closed_content(session: Session, now: datetime, retention_days: int) -> Purge:
    """Delete the free-text content of relationships closed more than ``retention_days`` ago.

    Notes, reflections, evaluation texts, goal and task texts, the mentor's comment, the end
    reason (on the pair and in the audit log) and form drafts untouched that long go; ratings,
    statuses and dates stay for the programme's anonymous results. Set-based and idempotent:
    a sweep can run it every time. ``retention_days <= 0`` turns it off.
    """
    if retention_days <= 0:
        return Purge(0, 0, 0, 0)
    cutoff = now - timedelta(days=retention_days)
    connection(session).execute(_STALE_DRAFTS, {"cutoff": cutoff})
    ids = list(read_rows(session, _CLOSED_BEFORE, {"cutoff": cutoff}).scalars())
    if not ids:
        return Purge(0, 0, 0, 0)
    meeting_ids = select(Meeting.id).where(Meeting.mentorship_id.in_(ids))
    notes = session.execute(
        update(CheckIn)
        .where(CheckIn.meeting_id.in_(meeting_ids), CheckIn.note.is_not(None))
        .values(note=None)
    )
    reflections = session.execute(delete(Reflection).where(Reflection.mentorship_id.in_(ids)))
    texts = session.execute(
        update(Evaluation)
        .where(Evaluation.mentorship_id.in_(ids), Evaluation.text.is_not(None))
        .values(text=None)
    )
    blanked = session.execute(
        update(Goal)
        .where(Goal.mentorship_id.in_(ids), Goal.title != BLANK)
        .values(title=BLANK, success="")
    )
    session.execute(
        update(Task).where(Task.mentorship_id.in_(ids), Task.text != BLANK).values(text=BLANK)
    )
    session.execute(
        update(Agreement)
        .where(Agreement.mentorship_id.in_(ids), Agreement.mentor_comment.is_not(None))
        .values(mentor_comment=None)
    )
    session.execute(
        update(Mentorship)
        .where(Mentorship.id.in_(ids), Mentorship.end_reason.is_not(None))
        .values(end_reason=None)
    )
    for row in session.scalars(select(AuditLog).where(AuditLog.action == "pair.end")):
        if row.detail.get("mentorship_id") in ids and row.detail != _ids_only(row.detail):
            row.detail = _ids_only(row.detail)
    purge = Purge(
        mentorships=len(ids) if blanked.rowcount else 0,  # type: ignore[attr-defined]
        check_in_notes=int(notes.rowcount or 0),  # type: ignore[attr-defined]
        reflections=int(reflections.rowcount or 0),  # type: ignore[attr-defined]
        evaluation_texts=int(texts.rowcount or 0),  # type: ignore[attr-defined]
    )
    if any(purge.__dict__.values()):
        audit(session, now, "retention", "gdpr.retention_purge", None, **purge.__dict__)
    return purge


_DROP_DEAD_CONTENT = (
    update(Outbox)
    .where(
        Outbox.status == OutboxStatus.DEAD.value,
        Outbox.next_attempt_at < bindparam("before"),
    )
    .values(
        payload={},
        status=OutboxStatus.CANCELLED.value,
        last_error="dead for 7 days: content dropped",
    )
)


def prune_outbox_content(session: Session, now: datetime) -> int:
    """Drop the rendered message of dead outbox rows ``DEAD_CONTENT_KEPT`` after they died (so
    they could be retried until then) and cancel them; returns how many were emptied.

    A row needs its content only until it is delivered. Sent and cancelled rows drop it where
    their status changes (``bot.outbox_claims.record``, ``claim``, ``conversations.outbox.
    cancel_pending``, erasure), so this reads only the few dead rows through the status index,
    never the outbox's history. Afterwards a row keeps its dedupe key, kind, recipient, status
    and times (exactly-once and the operator's counts).
    """
    dead = connection(session).execute(_DROP_DEAD_CONTENT, {"before": now - DEAD_CONTENT_KEPT})
    return int(dead.rowcount or 0)
