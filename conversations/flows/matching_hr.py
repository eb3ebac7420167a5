"""Matching in chat for HR: open matching for a programme and ask people for a profile, see
the suggested set with reasons, propose or skip pairs.

Every handler refuses anyone without the HR role first, as in ``conversations.flows.hr``;
every read of other people's profiles is audited.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, select

from conversations import forms
from conversations.flows.matching import sender
from conversations.hr_admin import actor_label, audit
from conversations.matching.load import pool
from conversations.matching.model import Pair
from conversations.matching.proposals import new_proposal, on_open, send_proposal
from conversations.matching.reasons import pair_reasons, unmatched_reason
from conversations.matching.service import MatchingError, open_matching, parse_weights
from conversations.matching.solver import top_choices
from conversations.messages import Button, Form, Input, Message, Option
from conversations.registry import action, command, form
from conversations.roles import HR
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from storage.matching import (
    MatchingRound,
    MatchMode,
    MatchProposal,
    ProposalStatus,
    open_rounds,
)
from storage.models import Person, Programme
from storage.queries import person_by_email

MAX_INVITED = 500
MAX_SHOWN = 20
MAX_ALTERNATIVES = 10


# --- HR: open matching ---------------------------------------------------------------------


def open_form(turn: Turn) -> Form:
    tx = turn.tx
    programmes = [
        Option(value=str(p.id), label=p.name)
        for p in turn.session.scalars(select(Programme).order_by(Programme.name))
    ]
    modes = [
        Option(value=MatchMode.HR, label=tx._("HR reviews the suggestions, then proposes")),
        Option(value=MatchMode.AUTO, label=tx._("Propose the best pairs at once")),
        Option(value=MatchMode.SELF, label=tx._("Actors choose from their top three mentors")),
    ]
    return Form(
        form_id="matching.open",
        title=tx._("Open matching"),
        inputs=[
            Input(name="programme", label=tx._("Programme"), kind="select", options=programmes),
            Input(name="mode", label=tx._("How pairs are made"), kind="select", options=modes),
            Input(
                name="topics",
                label=tx._("Topics people can want and offer"),
                hint=tx._("Separated by commas, for example: leadership, planning, sales"),
                max_length=1000,
            ),
            Input(
                name="weights",
                label=tx._("Score weights (optional)"),
                hint=tx._("For example: topics=3, meeting=1, hours=1, cross_team=0.5 (each 0–10)"),
                required=False,
                max_length=200,
            ),
            Input(
                name="people",
                label=tx._("Emails of the people to ask for a profile"),
                kind="multiline",
                required=False,
                max_length=20000,
            ),
        ],
        values={
            "mode": MatchMode.HR,
            **({"programme": programmes[0].value} if len(programmes) == 1 else {}),
        },
        submit_label=tx._("Open matching"),
    )


def suggestion(tx: Texts, pair: Pair, proposal_id: int, *, another_mentor: bool) -> Message:
    """One suggested pair with its score and reasons, and what HR can do with it."""
    value = str(proposal_id)
    buttons = [
        Button(action_id="matching.propose", label=tx._("Propose"), value=value, style="primary"),
        Button(action_id="matching.skip", label=tx._("Skip"), value=value),
    ]
    if another_mentor:
        buttons.append(Button(action_id="matching.swap", label=tx._("Another mentor"), value=value))
    return (
        Message()
        .text(
            tx.t(
                "matching.suggestion_line",
                actor=user_text(pair.actor.name),
                mentor=user_text(pair.mentor.name),
                score=f"{pair.score:.1f}",
                reasons=pair_reasons(tx, pair),
            )
        )
        .buttons(*buttons)
    )


@command("matching_open", role=HR)
def matching_open(turn: Turn, _rest: str) -> None:
    if turn.session.scalar(select(Programme.id).limit(1)) is None:
        turn.refuse(turn.tx.t("hr.no_programmes"))
    forms.offer(turn, open_form(turn))


@form("matching.open", role=HR)
def save_open(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    v = forms.Validator(turn.tx, fields)
    pid = v.choice("programme", [str(i) for i in turn.session.scalars(select(Programme.id))])
    mode = v.choice("mode", list(MatchMode))
    topics = v.text("topics", 1000)
    people: list[Person] = []
    unknown: list[str] = []
    for email in (
        (fields.get("people") or "").replace(",", " ").replace(";", " ").split()[:MAX_INVITED]
    ):
        found = person_by_email(turn.session, email)
        if found is None or found.erased_at is not None:
            unknown.append(email)
        elif found not in people:
            people.append(found)
    if unknown:
        v.errors["people"] = turn.tx.t("hr.unknown_email", email=user_text(", ".join(unknown)))
    weights: dict[str, float] = {}
    try:
        weights = parse_weights((fields.get("weights") or "").replace(";", ",").split(","))
    except MatchingError:
        v.errors["weights"] = turn.tx.t("matching.err_weights")
    if not v.ok:
        forms.reoffer(turn, open_form(turn), v)
        return
    programme = turn.session.get(Programme, int(pid or 0))
    assert programme is not None
    forms.close(turn.session, turn.person)
    settings = open_matching(
        turn.session,
        turn.now,
        actor_label(turn.person),
        programme,
        mode=mode,
        topics=topics,
        weights=weights,
        opened_by=turn.person,
    )
    for person in people:
        tx = texts_for(person)
        message = (
            Message()
            .text(tx.t("matching.invite", programme=user_text(programme.name)))
            .buttons(
                Button(
                    action_id="matching.profile",
                    label=tx._("Fill in my matching profile"),
                    value=str(programme.id),
                    style="primary",
                )
            )
        )
        key = f"matching.invite:{programme.id}:{person.id}"
        turn.send(person, message, kind="matching.invite", dedupe_key=key)
    on_open(turn.session, turn.now, programme, sender(turn))
    turn.say(
        turn.tx.t(
            "matching.opened",
            programme=user_text(programme.name),
            mode=turn.tx.t(f"matching.mode_{settings.mode}"),
            n=len(people),
        )
    )


# --- HR matching: suggestions, propose, skip ----------------------------------------------


def _hr_round(turn: Turn, rest: str) -> MatchingRound:
    rounds = open_rounds(turn.session)
    chosen = [r for r in rounds if r.programme.name.lower() == rest.strip().lower()] or rounds
    if not chosen:
        turn.refuse(turn.tx.t("matching.not_open_hr"))
    if len(chosen) > 1:
        names = ", ".join(user_text(r.programme.name) for r in chosen)
        turn.refuse(turn.tx.t("matching.which_hr", programmes=names))
    return chosen[0]


@command("match_suggest", role=HR)
def suggestions(turn: Turn, rest: str) -> None:
    """The suggested set with reasons; each pair can be proposed or skipped."""
    settings = _hr_round(turn, rest)
    programme = settings.programme
    turn.session.execute(
        delete(MatchProposal).where(
            MatchProposal.programme_id == programme.id,
            MatchProposal.status == ProposalStatus.SUGGESTED,
        )
    )
    result = pool(turn.session, programme, turn.now).solve()
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "matching.suggest",
        programme=programme.name,
    )
    tx = turn.tx
    if not result.pairs and not result.unmatched:
        turn.say(tx.t("matching.nothing_to_suggest", programme=user_text(programme.name)))
        return
    turn.say(
        tx.t(
            "matching.suggestions_heading",
            programme=user_text(programme.name),
            count=len(result.pairs),
        )
    )
    for pair in result.pairs[:MAX_SHOWN]:
        proposal = new_proposal(turn.session, turn.now, programme, pair, ProposalStatus.SUGGESTED)
        turn.reply(suggestion(tx, pair, proposal.id, another_mentor=True))
    for pair in result.pairs[MAX_SHOWN:]:
        new_proposal(turn.session, turn.now, programme, pair, ProposalStatus.SUGGESTED)
    if result.unmatched:
        lines = [tx.t("matching.left_out_heading", count=len(result.unmatched))]
        lines += [
            tx.t(
                "matching.left_out_line",
                actor=user_text(u.actor.name),
                reason=unmatched_reason(tx, u),
            )
            for u in result.unmatched[:MAX_SHOWN]
        ]
        turn.say("\n".join(lines))
    if result.pairs:
        turn.reply(
            Message().buttons(
                Button(
                    action_id="matching.propose_all",
                    label=tx._("Propose all suggested pairs"),
                    value=str(programme.id),
                )
            )
        )


def _suggested(turn: Turn, value: str) -> MatchProposal:
    proposal = turn.session.get(MatchProposal, int(value)) if value.isdigit() else None
    if proposal is None or proposal.status != ProposalStatus.SUGGESTED:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert proposal is not None
    return proposal


def _propose(turn: Turn, proposal: MatchProposal) -> None:
    send_proposal(turn.session, turn.now, proposal, sender(turn))
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "matching.propose",
        proposal.actor,
        mentor=proposal.mentor.email,
        programme=proposal.programme.name,
    )


@action("matching.propose", role=HR)
def propose(turn: Turn, value: str) -> None:
    proposal = _suggested(turn, value)
    _propose(turn, proposal)
    turn.say(
        turn.tx.t(
            "matching.proposed",
            actor=user_text(proposal.actor.name),
            mentor=user_text(proposal.mentor.name),
        )
    )


@action("matching.skip", role=HR)
def skip(turn: Turn, value: str) -> None:
    proposal = _suggested(turn, value)
    proposal.status = ProposalStatus.SKIPPED
    turn.say(
        turn.tx.t(
            "matching.skipped",
            actor=user_text(proposal.actor.name),
            mentor=user_text(proposal.mentor.name),
        )
    )


@action("matching.propose_all", role=HR)
def propose_all(turn: Turn, value: str) -> None:
    waiting = list(
        turn.session.scalars(
            select(MatchProposal)
            .where(
                MatchProposal.programme_id == (int(value) if value.isdigit() else -1),
                MatchProposal.status == ProposalStatus.SUGGESTED,
            )
            .order_by(MatchProposal.id)
        )
    )
    if not waiting:
        turn.refuse(turn.tx.t("common.stale_button"))
    for proposal in waiting:
        _propose(turn, proposal)
    turn.say(turn.tx.t("matching.proposed_all", count=len(waiting)))


# --- HR swaps a suggested pair's mentor ---------------------------------------------------


def _alternatives(turn: Turn, proposal: MatchProposal) -> list[Pair]:
    """Mentors allowed for the suggestion's actor with a place left once the other
    suggestions are counted, best first (the hard rules hold for HR's choice too)."""
    found = pool(turn.session, proposal.programme, turn.now)
    actor = next((a for a in found.actors if a.person_id == proposal.actor_id), None)
    if actor is None:
        return []
    taken: dict[int, int] = {}
    for other in turn.session.scalars(
        select(MatchProposal).where(
            MatchProposal.programme_id == proposal.programme_id,
            MatchProposal.status == ProposalStatus.SUGGESTED,
            MatchProposal.id != proposal.id,
        )
    ):
        taken[other.mentor_id] = taken.get(other.mentor_id, 0) + 1
    mentors = [
        replace(m, free_places=m.free_places - taken.get(m.person_id, 0)) for m in found.mentors
    ]
    return top_choices(actor, mentors, found.blocked, found.weights, count=MAX_ALTERNATIVES)


def swap_form(turn: Turn, proposal: MatchProposal, options: list[Pair]) -> Form:
    tx = turn.tx
    return Form(
        form_id="matching.swap",
        title=tx._("Another mentor for %(actor)s", actor=proposal.actor.name),
        value=str(proposal.id),
        inputs=[
            Input(
                name="mentor",
                label=tx._("Mentor"),
                kind="select",
                options=[
                    Option(value=str(p.mentor.person_id), label=f"{p.mentor.name} ({p.score:.1f})")
                    for p in options
                ],
            )
        ],
        values={"mentor": str(proposal.mentor_id)},
        submit_label=tx._("Use this mentor"),
    )


@action("matching.swap", role=HR)
def swap(turn: Turn, value: str) -> None:
    proposal = _suggested(turn, value)
    options = _alternatives(turn, proposal)
    if not options:
        turn.refuse(turn.tx.t("matching.no_alternatives", actor=user_text(proposal.actor.name)))
    forms.offer(turn, swap_form(turn, proposal, options))


@form("matching.swap", role=HR)
def save_swap(turn: Turn, value: str, fields: dict[str, str]) -> None:
    proposal = _suggested(turn, value)
    options = {str(p.mentor.person_id): p for p in _alternatives(turn, proposal)}
    v = forms.Validator(turn.tx, fields)
    chosen = v.choice("mentor", list(options))
    if not v.ok or chosen is None:
        forms.reoffer(turn, swap_form(turn, proposal, list(options.values())), v)
        return
    forms.close(turn.session, turn.person)
    pair = options[chosen]
    proposal.mentor_id, proposal.score, proposal.parts = (
        pair.mentor.person_id,
        pair.score,
        pair.parts,
    )
    turn.session.flush()
    turn.session.refresh(proposal)
    tx = turn.tx
    turn.reply(suggestion(tx, pair, proposal.id, another_mentor=False))
