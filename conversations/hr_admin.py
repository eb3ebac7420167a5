"""HR operations shared by the chat and the CLI: roles, ending pairs (erasure and retention
live in ``conversations.erasure``).

Every operation that reads or changes someone else's data writes an ``AuditLog`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from conversations import rules
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.sweep.alerts import close_alerts_of
from conversations.texts import user_text
from conversations.turn import texts_for
from storage.audit import audit as audit  # the chat's HR flows audit through here
from storage.models import (
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Programme,
)
from storage.queries import person_by_email

END_REASON_MAX = 500


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
        mentor_id=mentorship.mentor_id,
    )
