"""Slack over real HTTP for tests: the web app and a Web API double in a background loop.

``SlackWorld`` runs ``bot.web.create_app`` (the same app ``mentorbot serve`` runs) on a free
port of 127.0.0.1, next to a ``SlackApiDouble``; requests are signed as Slack signs them
(with the Slack SDK's ``SignatureVerifier``). ``SlackDriver`` implements the transcript
runner's ``Driver`` protocol with Slack payloads: DM text (``message.im``), ``/mentor``
commands, button clicks (``block_actions``), modal submissions (``view_submission``) and the
bot invited to a channel (``member_joined_channel``), delivering the outbox after every step
like the console does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.session import ConsoleError
from adapters.slack.app import SLACK_KEY, SlackAdapter
from adapters.slack.render import OPEN_FORM, engine_action_id
from bot.app import sweep_moments
from bot.clock import run_sweep
from bot.delivery import deliver_due
from bot.settings import Settings
from bot.web import create_app
from conversations import commands
from conversations.clock import SettableClock
from testsupport import slack_requests
from testsupport.slack_api import Call, SlackApiDouble

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0MENTOR"
APP_ID = "A0MENTOR"

HELSINKI = ZoneInfo("Europe/Helsinki")
"""The console's timezone: the scenario's times and the sweep moments are Helsinki time."""

T = TypeVar("T")


def signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's signature of ``body`` at ``timestamp`` with the test app's signing secret."""
    return slack_requests.signature(body, timestamp, secret)


def signed_headers(
    body: bytes, content_type: str, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Headers of a request Slack signs with the test app's signing secret (or ``secret``)."""
    return slack_requests.signed_headers(body, content_type, secret, timestamp)


@dataclass
class HttpResult:
    status: int
    body: bytes

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class SlackWorld:
    """The web app (with Slack mounted) and the Web API double, on a background event loop."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: SettableClock,
        app_token: str = "",
        sweeps: bool = True,
    ) -> None:
        """With ``sweeps`` (scenario replays, anything about timing or nudges) every settle
        runs the clock's sweep like the console; without, it only delivers the outbox."""
        self.app_token = app_token
        self.sweeps = sweeps
        self.factory = factory
        self.clock = clock
        self.api = SlackApiDouble(team_id=TEAM_ID)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.adapter: SlackAdapter | None = None
        self.swept_until = clock.now()

    def __enter__(self) -> SlackWorld:
        self._thread.start()
        self.call(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the world's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        await self.api.start()
        settings = Settings(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_APP_TOKEN=self.app_token,
            SLACK_API_URL=self.api.api_url,
        )
        app = create_app(settings, self.factory, self.clock)
        self.adapter = app[SLACK_KEY]
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.drain()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.api.stop()

    # --- HTTP ----------------------------------------------------------------------------

    def post_raw(self, body: bytes, headers: dict[str, str]) -> HttpResult:
        request = urllib.request.Request(
            f"{self.url}/slack/events", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpResult(response.status, response.read())
        except urllib.error.HTTPError as err:
            return HttpResult(err.code, err.read())

    def post_json(self, payload: dict[str, Any], **headers: str) -> HttpResult:
        body = json.dumps(payload).encode()
        return self.post_raw(body, {**signed_headers(body, "application/json"), **headers})

    def post_form(self, fields: dict[str, str]) -> HttpResult:
        body = urlencode(fields).encode()
        return self.post_raw(body, signed_headers(body, "application/x-www-form-urlencoded"))

    def post_interaction(self, payload: dict[str, Any]) -> HttpResult:
        return self.post_form({"payload": json.dumps(payload)})

    # --- after a step --------------------------------------------------------------------

    def idle(self) -> None:
        """Wait until the work the requests so far started is done (no outbox delivery): a
        request's work is in the adapter's ``pending`` before its response is sent."""
        assert self.adapter is not None
        self.call(self.adapter.drain())

    def settle(self) -> None:
        """Wait for the work that continues after each ack; then, like the console, run the
        sweep and the delivery at every moment a running clock would have run them since the
        last step, and now (without ``sweeps``: deliver now)."""
        self.idle()
        now = self.clock.now()
        if self.sweeps:
            for moment in sweep_moments(self.swept_until, now, HELSINKI):
                self.tick(moment)
        self.tick(now)
        self.swept_until = max(self.swept_until, now)

    def tick(self, now: datetime) -> None:
        """One sweep (when the world sweeps) and one delivery of due outbox rows through the
        Slack sender."""
        assert self.adapter is not None
        sender = self.adapter.sender
        if self.sweeps:
            run_sweep(self.factory, now)
        self.call(
            deliver_due(
                self.factory, {sender.platform: sender}, now, default_platform=sender.platform
            )
        )


_ids = itertools.count(1)


def event_payload(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):010d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
    }


def dm_event(user: str, text: str, event_id: str | None = None) -> dict[str, Any]:
    return event_payload(
        {
            "type": "message",
            "channel": f"D{user}",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
        },
        event_id,
    )


def channel_event(kind: str, channel: str | dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A channel event as Slack sends it: ``member_joined_channel`` and ``member_left_channel``
    (with ``user``, ``channel_type``, ``team``), ``channel_left`` (with ``actor_id``),
    ``channel_archive`` (with ``user``), ``channel_rename`` (``channel`` is ``{"id", "name",
    "created"}``)."""
    return event_payload(
        {"type": kind, "channel": channel, **fields, "event_ts": f"{time.time():.6f}"}
    )


def member_joined(user: str, channel: str, inviter: str | None = None) -> dict[str, Any]:
    extra = {"inviter": inviter} if inviter else {}
    return channel_event(
        "member_joined_channel",
        channel,
        user=user,
        channel_type="G" if channel.startswith("G") else "C",
        team=TEAM_ID,
        **extra,
    )


def member_left(user: str, channel: str) -> dict[str, Any]:
    return channel_event(
        "member_left_channel",
        channel,
        user=user,
        channel_type="G" if channel.startswith("G") else "C",
        team=TEAM_ID,
    )


def channel_id_for(name: str) -> str:
    """A public channel's id in the test workspace: ``#mentoring`` → ``CMENTORING``."""
    return "C" + re.sub(r"[^A-Z0-9]", "", name.upper())


def slash_command(user: str, text: str) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "mentorbot-test",
        "channel_id": f"D{user}",
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/mentor",
        "text": text,
        "api_app_id": APP_ID,
        "response_url": "https://hooks.slack.invalid/commands/T0MENTOR/1/abc",
        "trigger_id": f"trigger-{user}-{next(_ids)}",
    }


def block_action(
    user: str, action: dict[str, Any], channel: str | None, view: dict[str, Any] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "mentorbot-test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"trigger-{user}-{next(_ids)}",
        "actions": [
            {
                "type": "button",
                "action_id": action["action_id"],
                "block_id": action.get("block_id", "b1"),
                "text": action.get("text", {"type": "plain_text", "text": ""}),
                "value": action.get("value", ""),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if channel:
        payload["container"] = {
            "type": "message",
            "message_ts": "1790000000.000001",
            "channel_id": channel,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel, "name": "directmessage"}
        payload["response_url"] = "https://hooks.slack.invalid/actions/T0MENTOR/1/abc"
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        payload["view"] = view
    return payload


def view_submission(user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "mentorbot-test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"trigger-{user}-{next(_ids)}",
        "view": {
            **view,
            "id": view.get("id", "V1"),
            "team_id": TEAM_ID,
            "state": {"values": values},
            "hash": "1790000000.abcdef",
        },
        "response_urls": [],
    }


def state_values(view: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """``view.state.values`` as Slack would send them: the shown values, then the answers."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        name = block["block_id"]
        kind = element["type"]
        answer = answers.get(name)
        if kind == "static_select":
            chosen = element.get("initial_option")
            if answer is not None:
                match = [o for o in element["options"] if o["value"] == answer]
                chosen = (
                    match[0]
                    if match
                    else {"text": {"type": "plain_text", "text": answer}, "value": answer}
                )
            values[name] = {element["action_id"]: {"type": kind, "selected_option": chosen}}
        elif kind == "datepicker":
            chosen_date = answer if answer is not None else element.get("initial_date")
            values[name] = {element["action_id"]: {"type": kind, "selected_date": chosen_date}}
        elif kind == "timepicker":
            chosen_time = answer if answer is not None else element.get("initial_time")
            values[name] = {element["action_id"]: {"type": kind, "selected_time": chosen_time}}
        else:
            text = answer if answer is not None else element.get("initial_value")
            values[name] = {element["action_id"]: {"type": kind, "value": text or None}}
    return values


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        element
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if block.get("type") == "section":
            if "text" in block:
                out.append(block["text"]["text"])
            out.extend(f["text"] for f in block.get("fields", []))
    return out


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
