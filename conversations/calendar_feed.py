"""A person's secret, revocable calendar feed: ``GET /calendar/{token}.ics``.

The token is 32 random bytes (URL-safe base64); whoever has the link can read the person's
meeting times and names, nothing else. Like a password, only its SHA-256 is stored, so a copy
of the database opens no feed: the link is shown once, when it is issued, and a lost link is
replaced by a new one (rotate). Revoking makes the link answer 404 at once.

The feed carries every meeting of the person's mentorships with the
meeting's stable UID and its SEQUENCE, so Outlook and Google Calendar move a rescheduled
meeting instead of adding a second one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from conversations.calendar import meetings_ics
from conversations.texts import Texts
from storage.models import CalendarFeed, Meeting, Mentorship, Person, Phase


def token_hash(token: str) -> str:
    """What is stored for a feed token (64 hex characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_active_feed(session: Session, person: Person) -> bool:
    """Whether the person has an unrevoked feed link (issued before; not readable again)."""
    return (
        session.scalars(
            select(CalendarFeed.id).where(
                CalendarFeed.person_id == person.id, CalendarFeed.revoked_at.is_(None)
            )
        ).first()
        is not None
    )


def issue_token(
    session: Session, person: Person, now: datetime, *, rotate: bool = False
) -> str | None:
    """A new feed token to show the person once, revoking the old one; None when the person
    already has an active link and ``rotate`` is not asked (it cannot be shown again)."""
    if has_active_feed(session, person) and not rotate:
        return None
    revoke_tokens(session, person, now)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(person_id=person.id, token=token_hash(token), created_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, person: Person, now: datetime) -> int:
    """Revoke every feed link of the person; returns how many were active."""
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.person_id == person.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def person_for_token(session: Session, token: str) -> Person | None:
    """The owner of an active token, or None for an unknown or revoked one."""
    if not token or len(token) > 64:
        return None
    return session.scalars(
        select(Person)
        .join(CalendarFeed, CalendarFeed.person_id == Person.id)
        .where(
            CalendarFeed.token == token_hash(token),
            CalendarFeed.revoked_at.is_(None),
            Person.erased_at.is_(None),
        )
    ).first()


def person_ics(session: Session, person: Person, now: datetime) -> str:
    """Every meeting of the person's (non-cancelled) mentorships as one iCalendar feed."""
    tx = Texts(person.locale, person.timezone)
    rows = session.execute(
        select(Mentorship, Meeting)
        .join(Meeting, Meeting.mentorship_id == Mentorship.id)
        .where(
            or_(Mentorship.mentor_id == person.id, Mentorship.actor_id == person.id),
            Mentorship.phase != Phase.CANCELLED.value,
        )
        .order_by(Meeting.scheduled_at, Meeting.id)
    ).all()
    return meetings_ics(
        tx, ((m, x) for m, x in rows), now, tx._("Mentoring meetings of %(name)s", name=person.name)
    )
