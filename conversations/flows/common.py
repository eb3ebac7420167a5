"""Helpers the flows share: picking a mentorship, guarding parties, shared views."""

from __future__ import annotations

from conversations.button_values import COMMAND_FOR, CommandFor
from conversations.messages import Button, Message
from conversations.texts import Texts, user_text
from conversations.turn import Turn
from storage.models import Mentorship, Person, Phase
from storage.queries import active_mentorships, is_party, partner, sub_goals, top_goals


def pick_mentorship(
    turn: Turn, command: str, rest: str, phases: tuple[Phase, ...] = ()
) -> Mentorship | None:
    """The mentorship a command is about; asks with buttons when the person has several."""
    candidates = [
        m for m in active_mentorships(turn.session, turn.person) if not phases or m.phase in phases
    ]
    if rest.startswith("#") and rest[1:].isdigit():
        chosen = [m for m in candidates if m.id == int(rest[1:])]
        if chosen:
            return chosen[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        turn.say(turn.tx.t("common.no_mentorship"))
        return None
    buttons = [
        Button(
            action_id="pick",
            label=partner(m, turn.person).name,
            value=COMMAND_FOR.encode(CommandFor(command, m.id)),
        )
        for m in candidates
    ]
    turn.reply(Message().text(turn.tx.t("common.which_mentorship")).buttons(*buttons))
    return None


def party_mentorship(turn: Turn, mentorship_id: str | int) -> Mentorship:
    """The mentorship behind a button, refused politely unless the person is part of it."""
    m = None
    if str(mentorship_id).isdigit():
        m = turn.session.get(Mentorship, int(mentorship_id))
    if m is None or not is_party(m, turn.person):
        turn.refuse(turn.tx.t("common.not_yours"))
    assert m is not None
    return m


def require_phase(turn: Turn, m: Mentorship, *phases: Phase) -> None:
    if m.phase not in phases:
        turn.refuse(turn.tx.t("common.wrong_phase", phase=phase_label(turn.tx, m.phase)))


def phase_label(tx: Texts, phase: str) -> str:
    labels = {
        Phase.START: tx._("getting started"),
        Phase.DEVELOPMENT: tx._("development"),
        Phase.CLOSING: tx._("closing"),
        Phase.CLOSED: tx._("closed"),
        Phase.CANCELLED: tx._("ended early"),
    }
    return labels.get(Phase(phase), phase)


def role_in(m: Mentorship, person: Person) -> str:
    return "mentor" if m.mentor_id == person.id else "actor"


def goals_text(tx: Texts, m: Mentorship, with_success: bool = True) -> str:
    lines = []
    for i, goal in enumerate(top_goals(m), 1):
        line = f"{i}. *{user_text(goal.title)}*"
        if with_success and goal.success:
            line += "\n   " + tx._("Success looks like: %(s)s", s=user_text(goal.success))
        for sub in sub_goals(m, goal):
            line += f"\n   – {user_text(sub.title)}"
        lines.append(line)
    return "\n".join(lines) if lines else tx._("No goals yet.")


def plan_meetings_message(tx: Texts, mentorship_id: int) -> Message:
    """Nothing is booked yet: the question with its button, the same whether the person asks
    for the schedule or the sweep reminds them two days after the agreement."""
    return (
        Message()
        .text(tx.t("scheduling.none_yet"))
        .buttons(
            Button(
                action_id="schedule.plan",
                label=tx._("Plan meetings"),
                value=str(mentorship_id),
                style="primary",
            )
        )
    )
