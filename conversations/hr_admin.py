"""HR operations shared by the chat and the CLI: roles, ending pairs, GDPR erasure, retention.

Every operation that reads or changes someone else's data writes an ``AuditLog`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from conversations import rules
from conversations.messages import Message
from conversations.outbox import NOT_YET_SENT, insert_ignoring_duplicates, outbox_row
from conversations.sweep.alerts import close_alerts_of
from conversations.texts import user_text
from conversations.turn import texts_for
from storage.audit import audit as audit  # the chat's HR flows audit through here
from storage.models import (
    ACTIVE_PHASES,
    Agreement,
    CalendarFeed,
    CheckIn,
    DialogueState,
    Evaluation,
    Goal,
    Invitation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Outbox,
    OutboxStatus,
    Person,
    Phase,
    PlatformIdentity,
    Programme,
    Reflection,
    Task,
    WorkshopSignup,
)
from storage.queries import person_by_email

END_REASON_MAX = 500
ERASED_NAME = "(erased)"


@dataclass(frozen=True)
class ProgrammeFrame:
    """The frame HR sets for a programme: defaults every pair's agreement starts from."""

    duration_months: int = rules.DEFAULT_DURATION_MONTHS
    meeting_interval_days: int = rules.DEFAULT_INTERVAL_DAYS
    booking_horizon_months: int | None = None
    max_actors_per_mentor: int = 2


def add_programme(
    session: Session, now: datetime, by: str, name: str, goals: str, frame: ProgrammeFrame
) -> Programme:
    """Create an (already validated) programme and audit it."""
    programme = Programme(
        name=name,
        goals=goals,
        duration_months=frame.duration_months,
        meeting_interval_days=frame.meeting_interval_days,
        booking_horizon_months=frame.booking_horizon_months,
        max_actors_per_mentor=frame.max_actors_per_mentor,
        created_at=now,
    )
    session.add(programme)
    session.flush()
    audit(session, now, by, "programme.create", programme=name)
    return programme


def actor_label(person: Person) -> str:
    """How a chat user is named in the audit log."""
    return person.email or f"person:{person.id}"


def parse_emails(value: str) -> frozenset[str]:
    """A comma (or whitespace) separated list of emails, lower-cased."""
    return frozenset(e.strip().lower() for e in value.replace(",", " ").split() if e.strip())


def sync_hr_emails(session: Session, now: datetime, emails: frozenset[str]) -> list[Person]:
    """Grant the HR role to everyone listed in ``MENTORBOT_HR_EMAILS`` who lacks it.

    The setting only ever grants: it is the bootstrap list of HR coordinators. Grants made in
    chat or by the CLI add to it; a revoke of someone still listed lasts until the next start.
    """
    granted = []
    for email in sorted(emails):
        person = person_by_email(session, email)
        if person is not None and not person.is_hr and person.erased_at is None:
            person.is_hr = True
            audit(session, now, "setting:MENTORBOT_HR_EMAILS", "role.hr.grant", person)
            granted.append(person)
    return granted


def set_hr(session: Session, now: datetime, by: str, target: Person, grant: bool) -> bool:
    """Grant or revoke the HR role; False when nothing changed."""
    if target.is_hr == grant:
        return False
    target.is_hr = grant
    audit(session, now, by, "role.hr.grant" if grant else "role.hr.revoke", target)
    return True


def end_mentorship(
    session: Session, now: datetime, by: str, mentorship: Mentorship, reason: str
) -> None:
    """End an active pair early: phase cancelled, future meetings cancelled, both told."""
    mentorship.phase = Phase.CANCELLED
    mentorship.closed_at = now
    mentorship.end_reason = reason[:END_REASON_MAX]
    close_alerts_of(session, mentorship.id, now)
    session.execute(
        update(Meeting)
        .where(
            Meeting.mentorship_id == mentorship.id,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.scheduled_at >= now,
        )
        .values(status=MeetingStatus.CANCELLED, ics_sequence=Meeting.ics_sequence + 1)
    )
    rows = []
    for person, other in (
        (mentorship.actor, mentorship.mentor),
        (mentorship.mentor, mentorship.actor),
    ):
        tx = texts_for(person)
        message = Message().text(
            tx.t(
                "hr.pair_ended",
                partner=user_text(other.name),
                programme=user_text(mentorship.programme.name),
            )
        )
        rows.append(
            outbox_row(
                person_id=person.id,
                kind="pair_ended",
                message=message,
                dedupe_key=f"pair_ended:{mentorship.id}:{person.id}",
                due_at=now,
                now=now,
            )
        )
    insert_ignoring_duplicates(session, rows)
    audit(
        session,
        now,
        by,
        "pair.end",
        mentorship.actor,
        mentorship_id=mentorship.id,
        mentor=mentorship.mentor.email,
        reason=reason[:END_REASON_MAX],
    )


@dataclass(frozen=True)
class Erasure:
    check_ins: int
    reflections: int
    evaluations: int
    identities: int
    mentorships_ended: int


def erase_person(session: Session, now: datetime, by: str, person: Person) -> Erasure:
    """Delete a person's content and identities; keep only anonymous counts (privacy rule 5).

    What remains: the Person row with no name, email or dates; their mentorships with phase,
    meeting statuses and numbers (so programme totals stay right). Their check-ins,
    reflections, evaluations, invitation and workshop places are deleted; goal and task texts
    of their mentorships are blanked, because they describe the person.
    """
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
    session.execute(delete(DialogueState).where(DialogueState.person_id == person.id))
    session.execute(delete(Invitation).where(Invitation.person_id == person.id))
    session.execute(delete(WorkshopSignup).where(WorkshopSignup.person_id == person.id))
    session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == person.id))
    session.execute(
        update(Outbox)
        .where(Outbox.person_id == person.id, Outbox.status.in_(NOT_YET_SENT))
        .values(status=OutboxStatus.CANCELLED, payload={})
    )
    ids = list(
        session.scalars(
            select(Mentorship.id).where(
                (Mentorship.actor_id == person.id) | (Mentorship.mentor_id == person.id)
            )
        )
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
                .values(phase=Phase.CANCELLED, closed_at=now, end_reason="erased")
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
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


def _blank_content(session: Session, mentorship_ids: list[int]) -> None:
    """Remove the free text of these mentorships, keeping statuses, numbers and dates."""
    session.execute(
        update(Goal).where(Goal.mentorship_id.in_(mentorship_ids)).values(title="–", success="")
    )
    session.execute(update(Task).where(Task.mentorship_id.in_(mentorship_ids)).values(text="–"))
    session.execute(
        update(Agreement)
        .where(Agreement.mentorship_id.in_(mentorship_ids))
        .values(mentor_comment=None)
    )


@dataclass(frozen=True)
class Purge:
    mentorships: int
    check_in_notes: int
    reflections: int
    evaluation_texts: int


def purge_closed_content(session: Session, now: datetime, retention_days: int) -> Purge:
    """Delete the free-text content of relationships closed more than ``retention_days`` ago.

    Notes, reflections, evaluation texts, goal and task texts go; ratings, statuses and dates
    stay for the programme's anonymous results. Set-based and idempotent: a sweep can run it
    every time. ``retention_days <= 0`` turns it off.
    """
    if retention_days <= 0:
        return Purge(0, 0, 0, 0)
    cutoff = now - timedelta(days=retention_days)
    ids = list(
        session.scalars(
            select(Mentorship.id).where(
                Mentorship.phase.in_([Phase.CLOSED.value, Phase.CANCELLED.value]),
                Mentorship.closed_at.is_not(None),
                Mentorship.closed_at < cutoff,
            )
        )
    )
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
        .where(Goal.mentorship_id.in_(ids), Goal.title != "–")
        .values(title="–", success="")
    )
    session.execute(
        update(Task).where(Task.mentorship_id.in_(ids), Task.text != "–").values(text="–")
    )
    session.execute(
        update(Agreement)
        .where(Agreement.mentorship_id.in_(ids), Agreement.mentor_comment.is_not(None))
        .values(mentor_comment=None)
    )
    purge = Purge(
        mentorships=len(ids) if blanked.rowcount else 0,  # type: ignore[attr-defined]
        check_in_notes=int(notes.rowcount or 0),  # type: ignore[attr-defined]
        reflections=int(reflections.rowcount or 0),  # type: ignore[attr-defined]
        evaluation_texts=int(texts.rowcount or 0),  # type: ignore[attr-defined]
    )
    if any(purge.__dict__.values()):
        audit(session, now, "retention", "gdpr.retention_purge", None, **purge.__dict__)
    return purge
