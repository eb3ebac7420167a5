"""Self-matching: an actor's top three mentors with the reasons, and a button to ask one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from conversations.button_values import MENTOR_CHOICE, MentorChoice
from conversations.matching.load import pool
from conversations.matching.proposals import Send
from conversations.matching.reasons import pair_reasons, unmatched_reason
from conversations.matching.solver import solve, top_choices
from conversations.messages import Button, Message
from conversations.texts import user_text
from conversations.turn import texts_for
from storage.models import Person, Programme


def choices_message(
    session: Session, now: datetime, programme: Programme, actor: Person
) -> Message | None:
    """The actor's best mentors now, or why there is none; None when they are not free
    to be matched (already paired or waiting for an answer)."""
    found = pool(session, programme, now)
    me = next((a for a in found.actors if a.person_id == actor.id), None)
    if me is None:
        return None
    tx = texts_for(actor)
    best = top_choices(me, found.mentors, found.blocked, found.weights)
    if not best:
        why = solve([me], found.mentors, found.blocked, found.weights).unmatched[0]
        return Message().text(
            tx.t(
                "matching.no_choices",
                programme=user_text(programme.name),
                reason=unmatched_reason(tx, why),
            )
        )
    lines = [tx.t("matching.choices_heading", programme=user_text(programme.name))]
    for pair in best:
        lines.append(
            tx.t(
                "matching.choice_line",
                mentor=user_text(pair.mentor.name),
                reasons=pair_reasons(tx, pair),
            )
        )
    buttons = [
        Button(
            action_id="matching.ask",
            label=tx._("Ask %(name)s", name=pair.mentor.name),
            value=MENTOR_CHOICE.encode(MentorChoice(programme.id, pair.mentor.person_id)),
        )
        for pair in best
    ]
    return Message().text("\n".join(lines)).buttons(*buttons)


def offer_choices(
    session: Session, now: datetime, programme: Programme, actor: Person, send: Send
) -> None:
    """Send the actor their choices (after a proposal ended without a pair)."""
    message = choices_message(session, now, programme, actor)
    if message is not None:
        send(
            actor,
            message,
            "matching.choices",
            f"matching.choices:{programme.id}:{actor.id}:{now.isoformat()}",
        )


def tell_actors_of_new_mentor(
    session: Session, now: datetime, programme: Programme, mentor: Person, send: Send
) -> int:
    """A mentor saved their profile: each free actor who now has them among their top three
    gets their updated choices. The number of actors told."""
    import numpy as np

    from conversations.matching.model import Rule
    from conversations.matching.solver import TOP_CHOICES, matrices

    found = pool(session, programme, now)
    column = next((j for j, m in enumerate(found.mentors) if m.person_id == mentor.id), None)
    if column is None or not found.actors:
        return 0
    rule, _parts, total = matrices(found.actors, found.mentors, found.blocked, found.weights)
    allowed = np.where(rule == Rule.ALLOWED, total, -np.inf)
    told = 0
    for i, actor in enumerate(found.actors):
        if allowed[i, column] == -np.inf:
            continue
        better = int((allowed[i] > allowed[i, column]).sum())
        if better < TOP_CHOICES:
            person = found.people[actor.person_id]
            message = choices_message(session, now, programme, person)
            if message is not None:
                key = f"matching.choices:{programme.id}:{person.id}:{mentor.id}:{now.isoformat()}"
                send(person, message, "matching.choices", key)
                told += 1
    return told
