"""Private reflection with phase-aware prompts, for actors and mentors; shared item by item."""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import forms, rules
from conversations.button_values import REFLECTION_PROMPT, ReflectionPrompt
from conversations.flows.common import party_mentorship, pick_mentorship, role_in
from conversations.messages import Button, Form, Input, Message
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import LONG_TEXT_MAX, Mentorship, Phase, Reflection
from storage.queries import (
    active_mentorships,
    partner,
    reflection_for_author,
    reflections_visible_to,
)

PROMPTS: dict[tuple[rules.Stage, str], tuple[str, ...]] = {
    (rules.Stage.EARLY, "actor"): (
        "early_actor_expectations",
        "early_actor_trust",
        "early_actor_goal",
    ),
    (rules.Stage.EARLY, "mentor"): (
        "early_mentor_listening",
        "early_mentor_expectations",
        "early_mentor_trust",
    ),
    (rules.Stage.MIDDLE, "actor"): (
        "middle_actor_progress",
        "middle_actor_subgoal",
        "middle_actor_task",
    ),
    (rules.Stage.MIDDLE, "mentor"): (
        "middle_mentor_challenge",
        "middle_mentor_progress",
        "middle_mentor_learning",
    ),
    (rules.Stage.LATE, "actor"): ("late_actor_change", "late_actor_next"),
    (rules.Stage.LATE, "mentor"): ("late_mentor_learning", "late_mentor_next"),
}


def stage_of(turn: Turn, m: Mentorship) -> rules.Stage:
    return rules.stage(m.started_at, m.planned_end, turn.now, m.phase == Phase.CLOSING)


def prompt_key(turn: Turn, m: Mentorship) -> str:
    keys = PROMPTS[(stage_of(turn, m), role_in(m, turn.person))]
    written = (
        turn.session.scalar(
            select(func.count(Reflection.id)).where(
                Reflection.mentorship_id == m.id, Reflection.person_id == turn.person.id
            )
        )
        or 0
    )
    return keys[written % len(keys)]


def reflection_form(turn: Turn, m: Mentorship, key: str) -> Form:
    tx = turn.tx
    return Form(
        form_id="reflection",
        title=tx._("Reflection"),
        value=REFLECTION_PROMPT.encode(ReflectionPrompt(m.id, key)),
        inputs=[
            Input(
                name="text",
                label=tx.t(f"reflection.{key}"),
                kind="multiline",
                max_length=LONG_TEXT_MAX,
            )
        ],
        submit_label=tx._("Save privately"),
    )


@command("reflect", role=ANYONE)
def reflect(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "reflect", rest)
    if m is None:
        return
    start(turn, str(m.id))


@action("reflect.start", role=ANYONE)
def start(turn: Turn, value: str) -> None:
    m = party_mentorship(turn, value)
    key = prompt_key(turn, m)
    forms.offer(turn, reflection_form(turn, m, key), intro=turn.tx.t("reflection.intro"))


@form("reflection", role=ANYONE)
def save(turn: Turn, value: str, fields: dict[str, str]) -> None:
    prompt = REFLECTION_PROMPT.read(turn, value)
    m, key = party_mentorship(turn, prompt.mentorship_id), prompt.prompt_key
    if not any(key in keys for keys in PROMPTS.values()):
        turn.refuse(turn.tx.t("common.stale_button"))
    v = forms.Validator(turn.tx, fields)
    text = v.text("text", LONG_TEXT_MAX)
    if not v.ok or text is None:
        forms.reoffer(turn, reflection_form(turn, m, key), v)
        return
    forms.close(turn.session, turn.person)
    reflection = Reflection(
        mentorship_id=m.id, person_id=turn.person.id, prompt_key=key, text=text, created_at=turn.now
    )
    turn.session.add(reflection)
    turn.session.flush()
    other = partner(m, turn.person)
    turn.reply(
        Message()
        .text(turn.tx.t("reflection.saved"))
        .buttons(
            Button(
                action_id="reflection.share",
                value=str(reflection.id),
                label=turn.tx._("Share with %(name)s", name=other.name),
            )
        )
    )


@action("reflection.share", role=ANYONE)
def share(turn: Turn, value: str) -> None:
    reflection = (
        reflection_for_author(turn.session, turn.person, int(value)) if (value.isdigit()) else None
    )
    if reflection is None:
        turn.refuse(turn.tx.t("common.not_yours"))
        return
    if reflection.shared_at is not None:
        turn.refuse(turn.tx.t("common.already_shared"))
    reflection.shared_at = turn.now
    m = party_mentorship(turn, reflection.mentorship_id)
    other = partner(m, turn.person)
    otx = texts_for(other)
    turn.send(
        other,
        Message().text(
            otx.t(
                "reflection.shared",
                who=user_text(turn.person.name),
                prompt=otx.t(f"reflection.{reflection.prompt_key}"),
                text=user_text(reflection.text),
            )
        ),
        kind="shared",
        dedupe_key=f"shared.reflection:{reflection.id}",
    )
    turn.say(turn.tx.t("common.shared_with", name=user_text(other.name)))


@command("reflections", role=ANYONE)
def list_reflections(turn: Turn, rest: str) -> None:
    if not active_mentorships(turn.session, turn.person) and _ended_reflections(turn):
        return
    m = pick_mentorship(turn, "reflections", rest)
    if m is None:
        return
    items = reflections_visible_to(turn.session, turn.person, m)
    if not items:
        turn.reply(
            Message()
            .text(turn.tx.t("reflection.nothing"))
            .buttons(
                Button(action_id="reflect.start", label=turn.tx._("Reflect now"), value=str(m.id))
            )
        )
        return
    lines = []
    for r in items:
        mine = r.person_id == turn.person.id
        who = turn.tx._("you") if mine else partner(m, turn.person).name
        shared = turn.tx._("shared") if r.shared_at else turn.tx._("private")
        lines.append(
            f"*{turn.tx.date(r.created_at)} · {user_text(who)} · {shared}*\n{user_text(r.text)}"
        )
    turn.reply(Message().text("\n\n".join(lines)))


def _ended_reflections(turn: Turn) -> bool:
    """After the end, a person still reads their own reflections for as long as the retention
    period keeps them (their partner's shared ones ended with the relationship)."""
    own = list(
        turn.session.scalars(
            select(Reflection)
            .join(Mentorship, Mentorship.id == Reflection.mentorship_id)
            .where(
                Reflection.person_id == turn.person.id,
                Mentorship.phase.in_((Phase.CLOSED.value, Phase.CANCELLED.value)),
            )
            .order_by(Reflection.created_at)
        )
    )
    if not own:
        return False
    lines = [f"*{turn.tx.date(r.created_at)}*\n{user_text(r.text)}" for r in own]
    turn.reply(Message().text(turn.tx.t("reflection.after_end")).text("\n\n".join(lines)))
    return True
