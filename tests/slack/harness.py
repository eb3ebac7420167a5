"""Slack over real HTTP for tests: the web app and a Web API double in a background loop.

``SlackWorld`` runs ``bot.web.create_app`` (the same app ``mentorbot serve`` runs) on a free
port of 127.0.0.1, next to a ``SlackApiDouble``; requests are signed as Slack signs them
(with the Slack SDK's ``SignatureVerifier``). The payload builders here make what Slack sends:
DM text (``message.im``), ``/mentor`` commands, button clicks (``block_actions``), modal
submissions (``view_submission``) and channel events; ``tests.slack.driver.SlackDriver`` plays
transcripts with them, delivering the outbox after every step like the console does.
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
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.app import SLACK_KEY, SlackAdapter
from bot.app import sweep_moments
from bot.clock import run_sweep
from bot.delivery import deliver_due
from bot.settings import Settings
from bot.web import create_app
from conversations.clock import SettableClock
from testsupport import slack_requests
from testsupport.http import serve_on_loopback
from testsupport.slack_api import SlackApiDouble

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
        self._runner, self.url = await serve_on_loopback(app, access_log=False)

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
