"""Proposals with double opt-in: each person answers privately, nobody hears a "no".

A decline is never shown as a decline: the other person hears only that another match is
being looked for (the same words as when a proposal expires). Once both accept, the pair is
created by ``conversations.pairing.create_mentorship`` (welcome, agreement, supervisor kickoff).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.button_values import PROPOSAL_ANSWER, ProposalAnswer
from conversations.matching.load import participants, pool
from conversations.matching.model import Pair
from conversations.matching.reasons import pair_reasons
from conversations.messages import Button, Message
from conversations.outbox import outbox_row
from conversations.pairing import PairingError, create_mentorship
from conversations.texts import user_text
from conversations.turn import texts_for
from storage.matching import (
    MatchMode,
    MatchProposal,
    ProposalStatus,
    matching_round,
)
from storage.models import Person, Programme

EXPIRES_AFTER = timedelta(days=7)
YES, NO = "yes", "no"

Send = Callable[[Person, Message, str, str], None]
"""(recipient, message, kind, dedupe key): the turn's ``send``, or the sweep's row list."""


def new_proposal(
    session: Session, now: datetime, programme: Programme, pair: Pair, status: str
) -> MatchProposal:
    proposal = MatchProposal(
        programme_id=programme.id,
        mentor_id=pair.mentor.person_id,
        actor_id=pair.actor.person_id,
        status=status,
        score=pair.score,
        parts=pair.parts,
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    return proposal


def _reasons_for(session: Session, now: datetime, proposal: MatchProposal, viewer: Person) -> str:
    """The pair's reasons as ``viewer`` reads them, from both profiles as they are now."""
    found = participants(session, proposal.programme, now, [proposal.actor_id, proposal.mentor_id])
    actor, mentor = found.get(proposal.actor_id), found.get(proposal.mentor_id)
    if actor is None or mentor is None:
        return ""
    return pair_reasons(texts_for(viewer), Pair(actor, mentor, proposal.score, proposal.parts))


def send_proposal(
    session: Session, now: datetime, proposal: MatchProposal, send: Send, *, asked: bool = False
) -> None:
    """Make the proposal pending and ask each person who has not answered yet, privately.

    ``asked``: self-matching, the actor asked this mentor (their yes is already given).
    """
    proposal.status = ProposalStatus.PENDING
    proposal.proposed_at = now
    if asked:
        proposal.actor_answer = YES
    session.flush()
    for person, partner, role in (
        (proposal.actor, proposal.mentor, "actor"),
        (proposal.mentor, proposal.actor, "mentor"),
    ):
        if (proposal.actor_answer if role == "actor" else proposal.mentor_answer) is not None:
            continue
        tx = texts_for(person)
        key = "matching.asked_mentor" if asked else f"matching.proposal_to_{role}"
        message = (
            Message()
            .text(
                tx.t(
                    key,
                    partner=user_text(partner.name),
                    programme=user_text(proposal.programme.name),
                    reasons=_reasons_for(session, now, proposal, person),
                )
            )
            .buttons(
                Button(
                    action_id="matching.answer",
                    label=tx._("Yes, let's start"),
                    value=PROPOSAL_ANSWER.encode(ProposalAnswer(proposal.id, YES)),
                    style="primary",
                ),
                Button(
                    action_id="matching.answer",
                    label=tx._("No, thank you"),
                    value=PROPOSAL_ANSWER.encode(ProposalAnswer(proposal.id, NO)),
                ),
            )
        )
        send(person, message, "matching.proposal", f"matching.proposal:{proposal.id}:{person.id}")


def looking_again(proposal: MatchProposal, person: Person, send: Send, why: str) -> None:
    """Tell ``person`` another match is being looked for: the same words for a decline by
    the other person and for a proposal that expired."""
    tx = texts_for(person)
    send(
        person,
        Message().text(
            tx.t("matching.looking_again", programme=user_text(proposal.programme.name))
        ),
        "matching.looking_again",
        f"matching.{why}:{proposal.id}:{person.id}",
    )


def answer(
    session: Session, now: datetime, proposal: MatchProposal, person: Person, yes: bool, send: Send
) -> str:
    """Record ``person``'s private answer; the outcome: declined, waiting or paired."""
    as_mentor = proposal.mentor_id == person.id
    if as_mentor:
        proposal.mentor_answer = YES if yes else NO
    else:
        proposal.actor_answer = YES if yes else NO
    proposal.answered_at = now
    other = proposal.actor if as_mentor else proposal.mentor
    if not yes:
        proposal.status = ProposalStatus.DECLINED
        looking_again(proposal, other, send, "declined")
        session.flush()
        after_release(session, now, proposal, send)
        return "declined"
    if proposal.mentor_answer != YES or proposal.actor_answer != YES:
        session.flush()
        return "waiting"
    try:
        mentorship = create_mentorship(
            session, now, proposal.programme, proposal.mentor, proposal.actor
        )
    except PairingError:
        proposal.status = ProposalStatus.SKIPPED
        session.flush()
        return "taken"
    proposal.status = ProposalStatus.ACCEPTED
    proposal.mentorship_id = mentorship.id
    session.flush()
    return "paired"


def after_release(session: Session, now: datetime, proposal: MatchProposal, send: Send) -> None:
    """A proposal ended without a pair: auto-propose again, or show the actor new choices."""
    settings = matching_round(session, proposal.programme_id)
    if settings is None or settings.closed_at is not None:
        return
    if settings.mode == MatchMode.AUTO:
        auto_propose(session, now, proposal.programme, send)
    elif settings.mode == MatchMode.SELF:
        from conversations.matching.choices import offer_choices

        offer_choices(session, now, proposal.programme, proposal.actor, send)


def on_open(session: Session, now: datetime, programme: Programme, send: Send) -> None:
    """Matching was opened or changed: in auto mode the best set is proposed at once; in
    self-matching each free actor with a profile (e.g. imported) gets their choices."""
    settings = matching_round(session, programme.id)
    if settings is None or settings.closed_at is not None:
        return
    if settings.mode == MatchMode.AUTO:
        auto_propose(session, now, programme, send)
    elif settings.mode == MatchMode.SELF:
        from conversations.matching.choices import offer_choices

        found = pool(session, programme, now)
        for actor in found.actors:
            offer_choices(session, now, programme, found.people[actor.person_id], send)


def row_sender(rows: list[dict[str, Any]], now: datetime) -> Send:
    """A ``Send`` that collects outbox rows (the sweep and the CLI, which have no turn)."""

    def send(to: Person, message: Message, kind: str, key: str) -> None:
        rows.append(
            outbox_row(
                person_id=to.id, kind=kind, message=message, dedupe_key=key, due_at=now, now=now
            )
        )

    return send


def auto_propose(session: Session, now: datetime, programme: Programme, send: Send) -> int:
    """Propose the best set for everyone free at once; the number of proposals sent."""
    result = pool(session, programme, now).solve()
    for pair in result.pairs:
        proposal = new_proposal(session, now, programme, pair, ProposalStatus.PENDING)
        send_proposal(session, now, proposal, send)
    return len(result.pairs)


def expire(session: Session, now: datetime, send: Send) -> int:
    """Proposals unanswered for ``EXPIRES_AFTER`` expire; both hear another match is being
    looked for, and the programme's mode takes it from there. The number expired."""
    stale = list(
        session.scalars(
            select(MatchProposal)
            .where(
                MatchProposal.status == ProposalStatus.PENDING,
                MatchProposal.proposed_at < now - EXPIRES_AFTER,
            )
            .order_by(MatchProposal.id)
        )
    )
    for proposal in stale:
        proposal.status = ProposalStatus.EXPIRED
        proposal.answered_at = now
        session.flush()
        for person in (proposal.actor, proposal.mentor):
            if person.erased_at is None:
                looking_again(proposal, person, send, "expired")
        after_release(session, now, proposal, send)
    return len(stale)
