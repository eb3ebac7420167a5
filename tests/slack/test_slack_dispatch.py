"""The Slack adapter's listeners, fast: payloads dispatched straight into the Bolt app
(``AsyncApp.async_dispatch(AsyncBoltRequest(...))``, as bolt-python's own scenario tests do),
with no HTTP server in between; the Web API double still answers the calls the bot makes.
The over-HTTP tests beside these cover the request checks and the web app around Bolt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import event, select
from sqlalchemy.engine import Engine as Database
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.app import SlackAdapter, SlackConfig
from adapters.slack.home import RUN_COMMAND
from adapters.slack.render import OPEN_FORM
from bot import demo
from conversations import commands
from conversations.clock import SettableClock
from conversations.engine import Engine
from conversations.messages import Inbound, Outbound
from storage.models import Person, PlatformIdentity
from tests.slack.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    block_action,
    buttons_of,
    dm_event,
    event_payload,
    section_texts,
    signed_headers,
    state_values,
    view_submission,
)
from testsupport.slack_api import SlackApiDouble

STALE = "That button is no longer valid"


@dataclass
class Slack:
    adapter: SlackAdapter
    api: SlackApiDouble
    factory: sessionmaker[Session]

    async def dispatch(self, body: str, content_type: str) -> BoltResponse:
        """One signed request into Bolt, then the work its listener started."""
        headers = signed_headers(body.encode(), content_type)
        response = await self.adapter.bolt.async_dispatch(
            AsyncBoltRequest(body=body, headers={k: [v] for k, v in headers.items()})
        )
        await asyncio.sleep(0)  # Bolt starts an event's listener in a task after the ack
        await self.adapter.drain()
        return response

    async def event(self, payload: dict[str, Any]) -> BoltResponse:
        return await self.dispatch(json.dumps(payload), "application/json")

    async def interaction(self, payload: dict[str, Any]) -> BoltResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.dispatch(body, "application/x-www-form-urlencoded")

    def texts_to(self, user: str) -> list[str]:
        return [
            text
            for call in self.api.of("chat.postMessage")
            if call.args.get("channel") == f"D{user}"
            for text in section_texts(call.blocks())
        ]

    def last_buttons(self, user: str) -> list[dict[str, Any]]:
        posts = [c for c in self.api.of("chat.postMessage") if c.args["channel"] == f"D{user}"]
        return [b for c in posts for b in buttons_of(c.blocks())]


class CountingEngine(Engine):
    """The real engine, counting its turns (how often the adapter ran it)."""

    turns = 0

    def handle(self, inbound: Inbound) -> list[Outbound]:
        self.turns += 1
        return super().handle(inbound)

    def handle_if_linked(self, inbound: Inbound) -> list[Outbound] | None:
        outbounds = super().handle_if_linked(inbound)
        self.turns += outbounds is not None  # None: no turn, the user is not linked yet
        return outbounds


@pytest.fixture
async def slack(factory: sessionmaker[Session]) -> AsyncIterator[Slack]:
    demo.seed(factory, demo.DEMO_START, "en")
    api = SlackApiDouble()
    await api.start()
    api.add_user("UAINO", "aino@demo.example", "Aino Virtanen")
    config = SlackConfig(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=api.api_url)
    adapter = SlackAdapter(config, CountingEngine(factory, SettableClock(demo.DEMO_START)), factory)
    yield Slack(adapter, api, factory)
    await adapter.drain()
    await api.stop()


async def test_a_dm_links_the_person_by_email_and_is_answered_in_the_dm(slack: Slack) -> None:
    response = await slack.event(dm_event("UAINO", "hello"))
    assert response.status == 200
    assert [c.args["user"] for c in slack.api.of("users.info")] == ["UAINO"]
    with slack.factory() as s:
        linked = s.scalars(select(PlatformIdentity)).one()
        assert linked.person.email == "aino@demo.example"
    assert slack.texts_to("UAINO"), "the greeting is answered"


async def test_first_contact_asks_slack_once_and_runs_the_engine_once_per_event(
    slack: Slack,
) -> None:
    # a DM and a command at once, before the user is linked, then a stranger
    slack.api.add_user("USTRANGER", "stranger@elsewhere.example", "Some One")
    first = dm_event("UAINO", "hello")
    second = dm_event("UAINO", "status")
    await asyncio.gather(slack.event(first), slack.event(second))
    await slack.event(dm_event("USTRANGER", "hello"))
    engine = slack.adapter.engine
    assert isinstance(engine, CountingEngine)
    assert engine.turns == 3  # it used to run up to three times for a first contact
    assert [c.args["user"] for c in slack.api.of("users.info")] == ["UAINO", "USTRANGER"]
    assert any("ask your HR contact" in t for t in slack.texts_to("USTRANGER"))


async def test_a_button_click_runs_its_action_and_opens_the_next_form_as_a_modal(
    slack: Slack,
) -> None:
    await slack.event(dm_event("UAINO", "hello"))
    english = next(b for b in slack.last_buttons("UAINO") if b["text"]["text"] == "English")
    response = await slack.interaction(block_action("UAINO", english, channel="DUAINO"))
    assert response.status == 200
    with slack.factory() as s:
        aino = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        assert aino.locale == "en"
    modal = slack.api.of("views.open")[-1].view()
    assert any(b.get("block_id") == "timezone" for b in modal["blocks"])


async def test_a_modal_submission_is_answered_in_its_ack_and_saved(slack: Slack) -> None:
    await slack.event(dm_event("UAINO", "hello"))
    english = next(b for b in slack.last_buttons("UAINO") if b["text"]["text"] == "English")
    await slack.interaction(block_action("UAINO", english, channel="DUAINO"))
    modal = slack.api.of("views.open")[-1].view()
    values = state_values(modal, {"timezone": "Europe/Helsinki"})
    response = await slack.interaction(view_submission("UAINO", modal, values))
    assert response.status == 200
    answer = json.loads(response.body) if response.body else {}
    assert answer.get("response_action") != "errors"
    with slack.factory() as s:
        aino = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        assert aino.timezone == "Europe/Helsinki"
        assert aino.onboarded_at is not None


async def test_app_home_shows_the_engine_status_and_the_engines_shortcuts(slack: Slack) -> None:
    opened = {"type": "app_home_opened", "user": "UAINO", "channel": "DUAINO", "tab": "home"}
    response = await slack.event(event_payload({**opened, "event_ts": "1790000000.000100"}))
    assert response.status == 200
    view = slack.api.of("views.publish")[-1].view()
    assert view["type"] == "home"
    shortcuts = [b for b in buttons_of(view["blocks"]) if b["action_id"].startswith(RUN_COMMAND)]
    assert [b["value"] for b in shortcuts] == [s.word for s in commands.HOME_SHORTCUTS]
    assert [b["text"]["text"] for b in shortcuts] == ["Check in", "Reflect now", "Meetings"]
    assert section_texts(view["blocks"]), "the status itself is shown above the shortcuts"


@pytest.mark.parametrize(
    "button",
    [
        # a form button whose form is not the one open (stale, or made up)
        {"action_id": OPEN_FORM, "value": json.dumps({"form_id": "agreement.draft", "value": "9"})},
        {"action_id": OPEN_FORM, "value": "{not json"},
        # an engine action nobody offered
        {"action_id": "mentorbot.0.no.such.action", "value": "1"},
    ],
    ids=["stale-form", "forged-form-value", "forged-action"],
)
async def test_a_stale_or_forged_button_is_answered_politely_and_changes_nothing(
    slack: Slack, button: dict[str, Any]
) -> None:
    await slack.event(dm_event("UAINO", "hello"))
    with slack.factory() as s:
        before = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        locale, onboarded = before.locale, before.onboarded_at
    response = await slack.interaction(block_action("UAINO", button, channel="DUAINO"))
    assert response.status == 200
    assert any(STALE in text for text in slack.texts_to("UAINO"))
    assert not slack.api.of("views.open")
    with slack.factory() as s:
        after = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        assert (after.locale, after.onboarded_at) == (locale, onboarded)


async def test_a_linked_users_event_reads_their_identity_once(
    slack: Slack, db_engine: Database
) -> None:
    """The check whether the user is linked is the turn's own first read: no session and
    no identity read of its own before the turn."""
    await slack.event(dm_event("UAINO", "hello"))  # first contact: linked by email
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        await slack.event(dm_event("UAINO", "status"))
    finally:
        event.remove(db_engine, "before_cursor_execute", record)
    assert slack.texts_to("UAINO")[-1]
    assert len([s for s in seen if "FROM platform_identity" in s]) == 1, seen
