"""The transcript runner's ``Driver`` speaking Slack over HTTP (``SlackWorld``): DM text,
``/mentor`` commands, button clicks, modal submissions and the bot invited to a channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.console.session import ConsoleError
from adapters.slack.render import OPEN_FORM, engine_action_id
from conversations import commands
from conversations.clock import SettableClock
from tests.slack.harness import (
    HttpResult,
    SlackWorld,
    block_action,
    buttons_of,
    channel_id_for,
    dm_event,
    member_joined,
    section_texts,
    slash_command,
    state_values,
    view_submission,
)
from testsupport.slack_api import Call, SlackApiDouble


@dataclass
class Person:
    email: str
    user_id: str
    name: str


@dataclass
class SlackDriver:
    """The transcript runner's ``Driver``, speaking Slack over HTTP to ``mentorbot serve``.

    A ``say`` that is one of the engine's commands goes as the ``/mentor`` slash command;
    anything else as a DM (``message.im``).
    """

    world: SlackWorld
    people: dict[str, Person]
    echo: Callable[[str], None] | None = None
    lines: list[str] = field(default_factory=list)
    modals: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    modal_at: dict[str, int] = field(default_factory=dict)
    last_errors: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def clock(self) -> SettableClock:
        return self.world.clock

    @property
    def api(self) -> SlackApiDouble:
        return self.world.api

    def person(self, email: str) -> Person:
        try:
            return self.people[email.lower()]
        except KeyError:
            raise ConsoleError(f"{email} has no Slack account in this workspace") from None

    # --- Driver --------------------------------------------------------------------------

    def out(self, line: str) -> None:
        self.lines.append(line)
        if self.echo is not None:
            self.echo(line)

    def say(self, email: str, text: str) -> None:
        user = self.person(email).user_id
        name, _rest = commands.parse(text)
        if name is not None:
            result = self.world.post_form(slash_command(user, text))
        else:
            result = self.world.post_json(dm_event(user, text))
        self._ok(result)
        self._after_trigger(self.person(email))
        self._settle()

    def click(self, email: str, target: str) -> None:
        person = self.person(email)
        channel, button = self.find_button(person, target)
        result = self.world.post_interaction(block_action(person.user_id, button, channel=channel))
        self._ok(result)
        self._after_trigger(person)
        self._settle()

    def submit(self, email: str, answers: dict[str, str]) -> None:
        person = self.person(email)
        view = self._form_for(person)
        names = {b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"}
        unknown = sorted(set(answers) - names)
        if unknown:
            raise ConsoleError(
                f"form has no field {', '.join(unknown)} (fields: {', '.join(sorted(names))})"
            )
        payload = view_submission(person.user_id, view, state_values(view, answers))
        result = self.world.post_interaction(payload)
        self._ok(result)
        answer = result.json()
        action = answer.get("response_action")
        if action == "errors":
            self.last_errors[person.email] = dict(answer.get("errors") or {})
            self.out(f"⚠ {person.email}: {answer.get('errors')}")
        elif action == "update":
            self.modals[person.email] = answer["view"]
            self.modal_at[person.email] = len(self.api.calls)
        else:
            self.modals[person.email] = None
        self._settle()

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.out(f"⏱  {self.clock.now():%Y-%m-%d %H:%M} UTC")
        self._settle()

    def join_channel(self, name: str) -> None:
        """Someone runs ``/invite @Mentorbot`` in the public channel ``name`` (``#mentoring``):
        the bot becomes a member and Slack sends ``member_joined_channel`` for the bot user."""
        channel_name = name.strip().lstrip("#")
        if not channel_name:
            raise ConsoleError("a channel needs a name, e.g. #mentoring")
        channel = channel_id_for(channel_name)
        self.api.add_channel(channel, channel_name)
        self._ok(self.world.post_json(member_joined(self.api.bot_user_id, channel)))
        self.out(f"➕ Mentorbot was added to #{channel_name} ({channel})")
        self._settle()

    # --- what people saw -----------------------------------------------------------------

    def posts_to(self, person: Person) -> list[tuple[int, Call]]:
        channel = f"D{person.user_id}"
        return [
            (i, c)
            for i, c in enumerate(self.api.calls)
            if c.method == "chat.postMessage" and c.args.get("channel") == channel
        ]

    def texts_to(self, email: str) -> list[str]:
        person = self.person(email)
        return [t for _, c in self.posts_to(person) for t in section_texts(c.blocks())]

    def find_button(self, person: Person, target: str) -> tuple[str, dict[str, Any]]:
        """Like the console: a label, an engine action id, or a number in the latest message."""
        wanted = target.strip().casefold()
        for _, call in reversed(self.posts_to(person)):
            buttons = [b for b in buttons_of(call.blocks()) if b["action_id"] != OPEN_FORM]
            if wanted.isdigit() and 1 <= int(wanted) <= len(buttons):
                return str(call.args["channel"]), buttons[int(wanted) - 1]
            for button in buttons:
                label = str(button["text"]["text"]).casefold()
                if wanted in (label, str(engine_action_id(button["action_id"])).casefold()):
                    return str(call.args["channel"]), button
        raise ConsoleError(f"no button '{target}' has been shown to {person.email}")

    def _form_for(self, person: Person) -> dict[str, Any]:
        """The form to answer: the open modal, or the newest form button clicked open."""
        form_posts = [
            (i, c, b)
            for i, c in self.posts_to(person)
            for b in buttons_of(c.blocks())
            if b["action_id"] == OPEN_FORM
        ]
        modal = self.modals.get(person.email)
        newest_post = form_posts[-1] if form_posts else None
        if newest_post is not None and (
            modal is None or newest_post[0] > self.modal_at.get(person.email, -1)
        ):
            _, call, button = newest_post
            result = self.world.post_interaction(
                block_action(person.user_id, button, channel=str(call.args["channel"]))
            )
            self._ok(result)
            self._after_trigger(person)
            modal = self.modals.get(person.email)
        if modal is None:
            raise ConsoleError(f"no form has been shown to {person.email}")
        return modal

    def _after_trigger(self, person: Person) -> None:
        """Note a modal the bot opened with this person's trigger id."""
        self.world.idle()
        prefix = f"trigger-{person.user_id}-"
        for i, call in enumerate(self.api.calls):
            if (
                call.method == "views.open"
                and str(call.args.get("trigger_id", "")).startswith(prefix)
                and i > self.modal_at.get(person.email, -1)
            ):
                self.modals[person.email] = call.view()
                self.modal_at[person.email] = i

    def _settle(self) -> None:
        self.world.settle()

    @staticmethod
    def _ok(result: HttpResult) -> None:
        if result.status != 200:
            raise ConsoleError(f"Slack request refused: HTTP {result.status} {result.body!r}")
