"""Matching in chat for participants: the profile form, the private answer to a proposal
(double opt-in) and self-matching. HR's side is ``conversations.flows.matching_hr``.

A proposed partner sees only the introduction's reasons, never the other's profile or answer.
"""

from __future__ import annotations

from conversations import forms
from conversations.button_values import MENTOR_CHOICE, PROPOSAL_ANSWER
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
from conversations.messages import Form, Input, Message, Option
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn
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
from storage.models import Person


def _send(turn: Turn, to: Person, message: Message, kind: str, key: str) -> None:
    turn.send(to, message, kind=kind, dedupe_key=key)


def sender(turn: Turn) -> Send:
    def send(to: Person, message: Message, kind: str, key: str) -> None:
        _send(turn, to, message, kind, key)

    return send


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


@action("matching.profile", role=ANYONE)
def profile_button(turn: Turn, value: str) -> None:
    forms.offer(turn, profile_form(turn, _round(turn, value)))


@command("match_profile", role=ANYONE)
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


@form("matching.profile", role=ANYONE)
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
        auto_propose(turn.session, turn.now, settings.programme, sender(turn))
    elif settings.mode == MatchMode.SELF and values.role == MatchRole.ACTOR:
        message = choices_message(turn.session, turn.now, settings.programme, turn.person)
        if message is not None:
            turn.reply(message)
    elif settings.mode == MatchMode.SELF:
        tell_actors_of_new_mentor(
            turn.session, turn.now, settings.programme, turn.person, sender(turn)
        )


# --- answers and self-matching -------------------------------------------------------------


@action("matching.answer", role=ANYONE)
def answer_proposal(turn: Turn, value: str) -> None:
    """A proposed person's private yes or no."""
    chosen = PROPOSAL_ANSWER.read(turn, value)
    said = chosen.answer
    proposal = turn.session.get(MatchProposal, chosen.proposal_id)
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
    outcome = answer(turn.session, turn.now, proposal, turn.person, said == YES, sender(turn))
    turn.say(turn.tx.t(f"matching.answer_{outcome}", partner=user_text(partner.name)))


@action("matching.ask", role=ANYONE)
def ask_mentor(turn: Turn, value: str) -> None:
    """Self-matching: the actor asks one of their top mentors."""
    asked = MENTOR_CHOICE.read(turn, value)
    settings = _round(turn, str(asked.programme_id))
    found = pool(turn.session, settings.programme, turn.now)
    me = next((a for a in found.actors if a.person_id == turn.person.id), None)
    if me is None or settings.mode != MatchMode.SELF:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert me is not None
    from conversations.matching.solver import top_choices

    best = top_choices(me, found.mentors, found.blocked, found.weights)
    chosen = next((p for p in best if p.mentor.person_id == asked.mentor_id), None)
    if chosen is None:
        turn.refuse(turn.tx.t("matching.choice_gone"))
    assert chosen is not None
    proposal = new_proposal(
        turn.session, turn.now, settings.programme, chosen, ProposalStatus.PENDING
    )
    send_proposal(turn.session, turn.now, proposal, sender(turn), asked=True)
    turn.say(turn.tx.t("matching.asked", mentor=user_text(chosen.mentor.name)))
