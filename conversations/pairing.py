"""Creating a mentoring pair: the rules of who may be paired, and the welcome to both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.messages import Button, Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.texts import first_name, user_text
from conversations.turn import texts_for
from storage.models import ACTIVE_PHASES, Agreement, Mentorship, Person, Programme


class PairingError(ValueError):
    """A pair that the programme's rules do not allow; the message says why."""


def create_mentorship(
    session: Session, now: datetime, programme: Programme, mentor: Person, actor: Person
) -> Mentorship:
    """Pair ``mentor`` with ``actor`` and queue the welcome messages to both."""
    if mentor.id == actor.id:
        raise PairingError("a person cannot mentor themselves")
    existing = session.scalars(
        select(Mentorship).where(
            Mentorship.programme_id == programme.id,
            Mentorship.actor_id == actor.id,
            Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]),
        )
    ).first()
    if existing is not None:
        raise PairingError(
            f"{actor.email} already has an active mentorship in programme '{programme.name}'"
        )
    mentorship = Mentorship(programme=programme, mentor=mentor, actor=actor, created_at=now)
    mentorship.agreement = Agreement(
        duration_months=programme.duration_months,
        meeting_interval_days=programme.meeting_interval_days,
    )
    session.add(mentorship)
    session.flush()
    rows = []
    for person, key in ((actor, "welcome_actor"), (mentor, "welcome_mentor")):
        tx = texts_for(person)
        message = Message().text(
            tx.t(
                f"agreement.{key}",
                name=user_text(first_name(person.name)),
                partner=user_text((mentor if person is actor else actor).name),
                programme=user_text(programme.name),
                months=programme.duration_months,
            )
        )
        if person is actor:
            message.buttons(
                Button(
                    action_id="agreement.propose",
                    label=tx._("Propose goals"),
                    value=str(mentorship.id),
                    style="primary",
                )
            )
        rows.append(
            outbox_row(
                person_id=person.id,
                kind="welcome",
                message=message,
                dedupe_key=f"welcome:{mentorship.id}:{person.id}",
                due_at=now,
                now=now,
            )
        )
    insert_ignoring_duplicates(session, rows)
    return mentorship
