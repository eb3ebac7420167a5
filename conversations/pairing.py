"""Creating a mentoring pair: the rules of who may be paired, and the welcome to both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.messages import Button, Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.texts import first_name, user_text
from conversations.turn import texts_for
from conversations.validation import PairFacts, Reason, check_pair
from storage.models import ACTIVE_PHASES, Agreement, Mentorship, Person, Programme


class PairingError(ValueError):
    """A pair that the programme's rules do not allow; ``reasons`` say why."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


def pair_facts(
    session: Session,
    programme: Programme,
    mentor: Person,
    actor: Person,
    replacing: Mentorship | None = None,
) -> PairFacts:
    """What ``check_pair`` needs, read from the database for one pair."""
    current = session.scalars(
        select(Mentorship.mentor_id).where(
            Mentorship.programme_id == programme.id,
            Mentorship.actor_id == actor.id,
            Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]),
        )
    ).first()
    return PairFacts(
        mentor_id=mentor.id,
        actor_id=actor.id,
        actor_supervisor_id=actor.supervisor_id,
        current_mentor_id=current,
        replacing_mentor_id=replacing.mentor_id if replacing is not None else None,
    )


def pairing_problems(
    session: Session,
    programme: Programme,
    mentor: Person,
    actor: Person,
    replacing: Mentorship | None = None,
) -> list[Reason]:
    """``check_pair`` for one pair as the database has it now."""
    return check_pair(pair_facts(session, programme, mentor, actor, replacing))


def create_mentorship(
    session: Session, now: datetime, programme: Programme, mentor: Person, actor: Person
) -> Mentorship:
    """Pair ``mentor`` with ``actor`` and queue the welcome messages to both; the pairing
    rules (``check_pair``) are checked here too, whichever door the pair came through."""
    reasons = pairing_problems(session, programme, mentor, actor)
    if reasons:
        raise PairingError(reasons)
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
