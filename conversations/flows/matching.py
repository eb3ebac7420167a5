"""Matching in chat: HR opens it, participants fill a profile, pairs are proposed and each
person answers privately (double opt-in).

HR's handlers refuse anyone without the HR role first, as in ``conversations.flows.hr``;
every read of other people's profiles is audited. A proposed partner sees only the
introduction's reasons, never the other's profile or answer.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from conversations import forms
from conversations.flows.common import is_hr_or_refuse
from conversations.hr_admin import actor_label, audit
from conversations.matching.choices import choices_message, tell_actors_of_new_mentor
from conversations.matching.load import pool
from conversations.matching.profile import DAY_KEYS, read_profile
from conversations.matching.proposals import (
    NO,
    YES,
    Send,
    answer,
    auto_propose,
    new_proposal,
    send_proposal,
)
from conversations.matching.reasons import pair_reasons, unmatched_reason
from conversations.matching.service import open_matching
from conversations.messages import Button, Form, Input, Message, Option
from conversations.registry import action, command, form
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.matching import (
    MatchingRound,
    MatchMode,
    MatchProposal,
    MatchRole,
    ProposalStatus,
    matching_round,
    open_rounds,
    profile_of,
)
from storage.models import Person, Programme
from storage.queries import person_by_email

MAX_INVITED = 500
MAX_SHOWN = 20


def _send(turn: Turn, to: Person, message: Message, kind: str, key: str) -> None:
    turn.send(to, message, kind=kind, dedupe_key=key)


def _sender(turn: Turn) -> Send:
    def send(to: Person, message: Message, kind: str, key: str) -> None:
        _send(turn, to, message, kind, key)

    return send


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


@command("matching_open")
def matching_open(turn: Turn, _rest: str) -> None:
    is_hr_or_refuse(turn)
    if turn.session.scalar(select(Programme.id).limit(1)) is None:
        turn.refuse(turn.tx.t("hr.no_programmes"))
    forms.offer(turn, open_form(turn))


@form("matching.open")
def save_open(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    is_hr_or_refuse(turn)
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
        _send(
            turn, person, message, "matching.invite", f"matching.invite:{programme.id}:{person.id}"
        )
    turn.say(
        turn.tx.t(
            "matching.opened",
            programme=user_text(programme.name),
            mode=turn.tx.t(f"matching.mode_{settings.mode}"),
            n=len(people),
        )
    )


# --- participants: the profile -------------------------------------------------------------


def profile_form(turn: Turn, settings: MatchingRound) -> Form:
    tx = turn.tx
    programme = settings.programme
    topics = ", ".join(settings.topics)
    days = [tx._("mon"), tx._("tue"), tx._("wed"), tx._("thu"), tx._("fri")]
    saved = profile_of(turn.session, programme.id, turn.person.id)
    values: dict[str, str] = {"meeting_mode": "either", "avoid": "no", "capacity": "1"}
    if saved is not None:
        values = {
            "role": saved.role,
            "wants": ", ".join(saved.wants),
            "offers": ", ".join(saved.offers),
            "languages": ", ".join(saved.languages),
            "meeting_mode": saved.meeting_mode,
            "working_days": ", ".join(DAY_KEYS[d] for d in saved.working_days),
            "capacity": str(saved.capacity or 1),
            "avoid": "+".join(
                k
                for k, on in (("team", saved.avoid_own_team), ("line", saved.avoid_own_line))
                if on
            )
            or "no",
        }
    return Form(
        form_id="matching.profile",
        title=tx._("Matching profile: %(programme)s", programme=programme.name),
        value=str(programme.id),
        inputs=[
            Input(
                name="role",
                label=tx._("I take part as"),
                kind="select",
                options=[
                    Option(value=MatchRole.ACTOR, label=tx._("Actor (I want a mentor)")),
                    Option(value=MatchRole.MENTOR, label=tx._("Mentor")),
                ],
            ),
            Input(
                name="wants",
                label=tx._("What I want to learn"),
                hint=tx._("Topics of the programme: %(topics)s; or your own words", topics=topics),
                required=False,
                max_length=800,
            ),
            Input(
                name="offers",
                label=tx._("What I can offer (mentors)"),
                hint=tx._("Topics of the programme: %(topics)s; or your own words", topics=topics),
                required=False,
                max_length=800,
            ),
            Input(
                name="languages",
                label=tx._("Languages I can mentor or be mentored in"),
                hint=tx._("Two-letter codes, for example: fi, en, sv"),
                max_length=100,
            ),
            Input(
                name="meeting_mode",
                label=tx._("How I like to meet"),
                kind="select",
                options=[
                    Option(value="in_person", label=tx._("In person")),
                    Option(value="remote", label=tx._("Remotely")),
                    Option(value="either", label=tx._("Either")),
                ],
            ),
            Input(
                name="working_days",
                label=tx._("Working days that suit me"),
                hint=", ".join(days),
                required=False,
                max_length=100,
            ),
            Input(
                name="capacity",
                label=tx._("How many actors I can take (mentors)"),
                kind="select",
                options=forms.numbers(1, 3),
                required=False,
            ),
            Input(
                name="avoid",
                label=tx._("I would rather not be paired with someone from"),
                kind="select",
                options=[
                    Option(value="no", label=tx._("No preference")),
                    Option(value="team", label=tx._("My own team")),
                    Option(value="line", label=tx._("My own management line")),
                    Option(value="team+line", label=tx._("My own team or management line")),
                ],
            ),
        ],
        values=values,
        submit_label=tx._("Save my profile"),
    )


def _round(turn: Turn, value: str) -> MatchingRound:
    settings = matching_round(turn.session, int(value)) if value.isdigit() else None
    if settings is None or settings.closed_at is not None:
        turn.refuse(turn.tx.t("matching.not_open"))
    assert settings is not None
    return settings


@action("matching.profile")
def profile_button(turn: Turn, value: str) -> None:
    forms.offer(turn, profile_form(turn, _round(turn, value)))


@command("match_profile")
def profile_command(turn: Turn, rest: str) -> None:
    rounds = open_rounds(turn.session)
    chosen = [r for r in rounds if r.programme.name.lower() == rest.strip().lower()] or rounds
    if not chosen:
        turn.say(turn.tx.t("matching.not_open"))
    elif len(chosen) > 1:
        turn.say(
            turn.tx.t(
                "matching.which",
                programmes=", ".join(user_text(r.programme.name) for r in chosen),
            )
        )
    else:
        forms.offer(turn, profile_form(turn, chosen[0]))


@form("matching.profile")
def save_profile_form(turn: Turn, value: str, fields: dict[str, str]) -> None:
    from conversations.matching.service import save_profile

    settings = _round(turn, value)
    raw = dict(fields)
    raw["avoid"] = (raw.get("avoid") or "").replace("+", ",")
    values, problems = read_profile(raw)
    if problems:
        v = forms.Validator(turn.tx, fields)
        for name, key, params in problems:
            v.errors.setdefault(name, turn.tx.t(f"matching.{key}", **params))
        forms.reoffer(turn, profile_form(turn, settings), v)
        return
    forms.close(turn.session, turn.person)
    save_profile(turn.session, turn.now, settings.programme, turn.person, values)
    turn.say(turn.tx.t("matching.profile_saved", programme=user_text(settings.programme.name)))
    if settings.mode == MatchMode.AUTO:
        auto_propose(turn.session, turn.now, settings.programme, _sender(turn))
    elif settings.mode == MatchMode.SELF and values.role == MatchRole.ACTOR:
        message = choices_message(turn.session, turn.now, settings.programme, turn.person)
        if message is not None:
            turn.reply(message)
    elif settings.mode == MatchMode.SELF:
        tell_actors_of_new_mentor(
            turn.session, turn.now, settings.programme, turn.person, _sender(turn)
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


@command("match_suggest")
def suggestions(turn: Turn, rest: str) -> None:
    """The suggested set with reasons; each pair can be proposed or skipped."""
    is_hr_or_refuse(turn)
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
        turn.reply(
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
            .buttons(
                Button(
                    action_id="matching.propose",
                    label=tx._("Propose"),
                    value=str(proposal.id),
                    style="primary",
                ),
                Button(action_id="matching.skip", label=tx._("Skip"), value=str(proposal.id)),
            )
        )
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
    send_proposal(turn.session, turn.now, proposal, _sender(turn))
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "matching.propose",
        proposal.actor,
        mentor=proposal.mentor.email,
        programme=proposal.programme.name,
    )


@action("matching.propose")
def propose(turn: Turn, value: str) -> None:
    is_hr_or_refuse(turn)
    proposal = _suggested(turn, value)
    _propose(turn, proposal)
    turn.say(
        turn.tx.t(
            "matching.proposed",
            actor=user_text(proposal.actor.name),
            mentor=user_text(proposal.mentor.name),
        )
    )


@action("matching.skip")
def skip(turn: Turn, value: str) -> None:
    is_hr_or_refuse(turn)
    proposal = _suggested(turn, value)
    proposal.status = ProposalStatus.SKIPPED
    turn.say(
        turn.tx.t(
            "matching.skipped",
            actor=user_text(proposal.actor.name),
            mentor=user_text(proposal.mentor.name),
        )
    )


@action("matching.propose_all")
def propose_all(turn: Turn, value: str) -> None:
    is_hr_or_refuse(turn)
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


# --- answers and self-matching -------------------------------------------------------------


@action("matching.answer")
def answer_proposal(turn: Turn, value: str) -> None:
    """A proposed person's private yes or no."""
    pid, _, said = value.partition(":")
    proposal = turn.session.get(MatchProposal, int(pid)) if pid.isdigit() else None
    if (
        proposal is None
        or turn.person.id not in (proposal.actor_id, proposal.mentor_id)
        or said not in (YES, NO)
    ):
        turn.refuse(turn.tx.t("common.stale_button"))
    assert proposal is not None
    mine = proposal.mentor_answer if proposal.mentor_id == turn.person.id else proposal.actor_answer
    if proposal.status != ProposalStatus.PENDING or mine is not None:
        turn.refuse(turn.tx.t("matching.already_answered"))
    partner = proposal.actor if proposal.mentor_id == turn.person.id else proposal.mentor
    outcome = answer(turn.session, turn.now, proposal, turn.person, said == YES, _sender(turn))
    turn.say(turn.tx.t(f"matching.answer_{outcome}", partner=user_text(partner.name)))


@action("matching.ask")
def ask_mentor(turn: Turn, value: str) -> None:
    """Self-matching: the actor asks one of their top mentors."""
    programme_id, _, mentor_id = value.partition(":")
    settings = _round(turn, programme_id)
    found = pool(turn.session, settings.programme, turn.now)
    me = next((a for a in found.actors if a.person_id == turn.person.id), None)
    if me is None or settings.mode != MatchMode.SELF:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert me is not None
    from conversations.matching.solver import top_choices

    best = top_choices(me, found.mentors, found.blocked, found.weights)
    chosen = next((p for p in best if str(p.mentor.person_id) == mentor_id), None)
    if chosen is None:
        turn.refuse(turn.tx.t("matching.choice_gone"))
    assert chosen is not None
    proposal = new_proposal(
        turn.session, turn.now, settings.programme, chosen, ProposalStatus.PENDING
    )
    send_proposal(turn.session, turn.now, proposal, _sender(turn), asked=True)
    turn.say(turn.tx.t("matching.asked", mentor=user_text(chosen.mentor.name)))
