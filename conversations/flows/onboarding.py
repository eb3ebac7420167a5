"""First contact: language, timezone, what the bot does for this person and what stays private."""

from __future__ import annotations

from conversations import forms, rules
from conversations.flows.basics import next_steps
from conversations.messages import Button, Form, Input, Message, Option
from conversations.registry import action, command, form
from conversations.roles import ANYONE, roles_of
from conversations.texts import LOCALES, Texts, first_name, user_text
from conversations.turn import Turn

COMMON_TIMEZONES = (
    "Europe/Helsinki",
    "Europe/Stockholm",
    "Europe/Tallinn",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "UTC",
)


@command("onboarding", role=ANYONE)
def start(turn: Turn, _rest: str) -> None:
    other = Texts("fi" if turn.tx.locale == "en" else "en")
    roles = roles_of(turn.session, turn.person)
    turn.reply(
        Message()
        .text(
            turn.tx.t(
                "onboarding.hello",
                name=user_text(first_name(turn.person.name)),
                in_pair=roles.in_pair,
                supervisor=roles.supervisor,
                hr=roles.hr,
            )
        )
        .text(other.t("onboarding.choose_language"))
        .buttons(
            Button(action_id="onboarding.language", label="Suomi", value="fi"),
            Button(action_id="onboarding.language", label="English", value="en"),
        )
    )


@action("onboarding.language", role=ANYONE)
def choose_language(turn: Turn, value: str) -> None:
    if value not in LOCALES:
        turn.refuse(turn.tx.t("common.stale_button"))
    turn.person.locale = value
    if turn.person.onboarded_at is None:
        forms.offer(turn, timezone_form(turn), intro=turn.tx.t("onboarding.language_set"))
    else:
        turn.say(turn.tx.t("onboarding.language_set"))


@command("language", role=ANYONE)
def language(turn: Turn, rest: str) -> None:
    if rest in LOCALES:
        choose_language(turn, rest)
        return
    turn.reply(
        Message()
        .text(turn.tx.t("onboarding.choose_language"))
        .buttons(
            Button(action_id="onboarding.language", label="Suomi", value="fi"),
            Button(action_id="onboarding.language", label="English", value="en"),
        )
    )


@command("timezone", role=ANYONE)
def timezone(turn: Turn, _rest: str) -> None:
    forms.offer(turn, timezone_form(turn))


def timezone_form(turn: Turn) -> Form:
    zones = list(COMMON_TIMEZONES)
    if turn.person.timezone not in zones:
        zones.insert(0, turn.person.timezone)
    return Form(
        form_id="onboarding.timezone",
        title=turn.tx._("Your timezone"),
        inputs=[
            Input(
                name="timezone",
                label=turn.tx._("Timezone"),
                kind="select",
                options=[Option(value=z, label=z.replace("_", " ")) for z in zones],
                hint=turn.tx._("Reminders arrive during your working hours in this timezone."),
            )
        ],
        values={"timezone": turn.person.timezone},
        submit_label=turn.tx._("Save"),
    )


@form("onboarding.timezone", role=ANYONE)
def save_timezone(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    zone = (fields.get("timezone") or "").strip()
    if not rules.is_timezone(zone):
        v = forms.Validator(turn.tx, fields)
        v.errors["timezone"] = turn.tx._("I don't know that timezone. Try e.g. Europe/Helsinki.")
        forms.reoffer(turn, timezone_form(turn), v)
        return
    turn.person.timezone = zone
    forms.close(turn.session, turn.person)
    if turn.person.onboarded_at is not None:
        turn.say(turn.tx.t("onboarding.timezone_set", timezone=zone))
        return
    turn.person.onboarded_at = turn.now
    roles = roles_of(turn.session, turn.person)
    message = Message().text(
        turn.tx.t(
            "onboarding.introduction",
            name=user_text(first_name(turn.person.name)),
            mentor=len(roles.mentor_of),
            actor=len(roles.actor_in),
            supervisor=roles.supervisor,
            hr=roles.hr,
        )
    )
    message.text(turn.tx.t("privacy.summary"))
    turn.reply(message)
    next_steps(turn)
