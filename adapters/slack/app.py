"""Mentorbot in Slack on slack-bolt's ``AsyncApp``: payload → ``Inbound``, replies → Block Kit.

One request URL, ``POST /slack/events``, takes events (``message.im``, ``app_home_opened``, and
the channel events of :mod:`adapters.slack.channels`: the bot added to or removed from a shared
channel, where HR can announce), the ``/mentor`` slash command and interactivity
(``block_actions``, ``view_submission``). With an app-level token the same listeners run over
Socket Mode instead.

The parts: :mod:`~adapters.slack.inbound` (checks and payload → ``Inbound``),
:mod:`~adapters.slack.linking` (engine turns, first contact by email),
:mod:`~adapters.slack.modals`, :mod:`~adapters.slack.home` (App Home) and this module, which
registers the listeners and runs their work.

Timing: Bolt acknowledges events itself before the listener runs; actions and commands call
``ack()`` first and work afterwards. Each listener hands its work to a task the adapter keeps
in ``pending`` (``drain`` waits for them, as the Teams bot does). A modal submission must carry
its answer in the ack (``response_action``), so the engine gets up to
:data:`~adapters.slack.modals.VIEW_DEADLINE` seconds; if it takes longer the modal is closed
and the result arrives as a DM.

The adapter holds no business rules: the engine decides, the adapter translates, sends and
remembers the DM channel (in ``Inbound.address``; see :mod:`adapters.slack.sender`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from adapters.backlog import MAX_PENDING, Backlog
from adapters.slack import channels, modals
from adapters.slack.config import (
    DEFAULT_API_URL,
    SlackConfig,
    SlackConfigError,
    SlackSettings,
    make_client,
)
from adapters.slack.home import HOME_COMMAND, SHORTCUTS, home_view
from adapters.slack.inbound import (
    action_inbound,
    dm_channel_of,
    new_inbound,
    parsable,
    person_dm,
    signed_by_slack,
    submission_inbound,
    unescape,
)
from adapters.slack.linking import EngineTurns
from adapters.slack.render import FORM_CALLBACK, OPEN_FORM, engine_action_id, render_message
from adapters.slack.replies import Replies
from adapters.slack.sender import PLATFORM, SlackSender
from conversations import directory
from conversations.engine import Engine
from conversations.messages import Inbound, InboundKind, Message, Outbound
from conversations.texts import Texts

__all__ = [
    "DEFAULT_API_URL",
    "SLACK_KEY",
    "SLASH_COMMAND",
    "SlackAdapter",
    "SlackConfig",
    "SlackConfigError",
    "SlackSettings",
    "mount",
]

log = logging.getLogger(__name__)

SLASH_COMMAND = "/mentor"
OUR_ACTIONS = re.compile(r"^mentorbot\.\d+\.")


class SlackAdapter:
    """The Bolt app and everything it does with the engine's answers."""

    def __init__(
        self,
        config: SlackConfig,
        engine: Engine,
        factory: sessionmaker[Session],
        client: AsyncWebClient | None = None,
    ) -> None:
        config.check()
        self.config = config
        self.engine = engine
        self.factory = factory
        self.client = client or make_client(config)
        self.sender = SlackSender(self.client)
        self.turns = EngineTurns(engine, factory, self.client)
        self.replies = Replies(self.client, self.sender, factory, engine.clock)
        self._dm = self.replies.dm
        self.shared = channels.SlackChannels(self.client, factory, engine.clock)
        """The shared channels the bot is in (announcements), kept from Slack's events."""
        self.backlog = Backlog(MAX_PENDING)
        """Bounds the work queued behind the acks (back-pressure on new requests)."""
        self.pending: set[asyncio.Task[None]] = set()
        """The listener work running after its ack; ``drain`` waits for it."""
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret,
            process_before_response=False,
            # Socket Mode traffic comes over an authenticated WebSocket, not signed HTTP
            request_verification_enabled=not config.app_token,
        )
        self._register()

    # --- HTTP ----------------------------------------------------------------------------

    async def handle_request(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: the signature is checked before anything is parsed (401),
        a body Slack would never send is a 400, and Bolt dispatches the rest."""
        body = await request.read()
        if self.config.signing_secret and not signed_by_slack(
            self.config.signing_secret, body, request.headers, time.time()
        ):
            return web.json_response({"error": "invalid signature"}, status=401)
        if not parsable(body, request.headers.get("Content-Type", "")):
            return web.json_response({"error": "malformed body"}, status=400)
        async with self.backlog.admit():  # a burst waits here, in its connections
            bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
            # Bolt starts an event's listener in a task of its own after the ack; one turn of
            # the loop lets it hand its work to ``pending`` before the response leaves, so
            # ``drain`` after a response covers the work that request started
            await asyncio.sleep(0)
        return await to_aiohttp_response(bolt_response)

    # --- work after the ack --------------------------------------------------------------

    def _spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` in a task kept in ``pending`` (counted in the backlog while it runs)."""

        async def run() -> None:
            async with self.backlog.working():
                await work()

        task = asyncio.get_running_loop().create_task(run())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def drain(self) -> None:
        """Wait until every listener's work has finished (tests, benchmarks, shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    def _guard(
        self,
        user: str,
        channel: str | None,
        what: str,
        work: Callable[[], Awaitable[None]],
    ) -> None:
        """Start a person's work after their earlier work (arrival order); a failure is
        logged with context and the person gets an apology."""

        async def guarded() -> None:
            try:
                await self.backlog.in_order(user, work)
            except Exception:
                log.exception("slack %s failed: user=%s channel=%s", what, user, channel)
                await self.replies.apologise(user, channel)

        self._spawn(guarded)

    def _channel_work(
        self,
        what: str,
        channel: str,
        work: Callable[[], Awaitable[None]],
        applies: bool = True,
    ) -> None:
        """Start the work of a channel event (no person to apologise to: a failure is logged).
        An event that is not about the bot, or has no channel, does nothing."""
        if not (applies and channel):
            return

        async def logged() -> None:
            try:
                await work()
            except Exception:
                log.exception("slack %s failed: channel=%s", what, channel)

        self._spawn(logged)

    # --- listeners -----------------------------------------------------------------------

    def _register(self) -> None:
        """Bolt's listeners: each acknowledges, parses and hands its work to ``_guard``
        (a person's) or ``_channel_work`` (a channel's) before anything else can wait."""
        bolt = self.bolt
        now = self.engine.clock.now

        @bolt.event("message")
        async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
            dm = person_dm(event)
            if dm is None:
                return
            user, channel = dm
            self._dm[user] = channel
            inbound = new_inbound(
                user,
                InboundKind.TEXT,
                channel,
                now(),
                text=unescape(str(event.get("text") or "")),
                event_id=body.get("event_id"),
            )
            self._guard(user, channel, "message.im", lambda: self._run(inbound, channel))

        @bolt.event("app_home_opened")
        async def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
            if event.get("tab") != "home":
                return
            user = str(event.get("user") or "")
            channel = event.get("channel")
            if isinstance(channel, str) and channel.startswith("D"):
                self._dm[user] = channel
            event_id = body.get("event_id")
            self._guard(
                user, None, "app_home_opened", lambda: self.publish_home(user, event_id=event_id)
            )

        @bolt.event(channels.JOINED)
        async def on_joined(event: dict[str, Any], context: AsyncBoltContext) -> None:
            channel = channels.channel_of(event)
            ours = bool(context.bot_user_id) and event.get("user") == context.bot_user_id
            self._channel_work(channels.JOINED, channel, lambda: self.shared.joined(channel), ours)

        @bolt.event(channels.MEMBER_LEFT)
        async def on_member_left(event: dict[str, Any], context: AsyncBoltContext) -> None:
            channel = channels.channel_of(event)
            ours = bool(context.bot_user_id) and event.get("user") == context.bot_user_id
            self._channel_work(
                channels.MEMBER_LEFT, channel, lambda: self.shared.left(channel), ours
            )

        for gone in channels.GONE:

            @bolt.event(gone)
            async def on_gone(event: dict[str, Any]) -> None:
                channel = channels.channel_of(event)
                what = str(event.get("type"))
                self._channel_work(what, channel, lambda: self.shared.left(channel))

        for renamed in channels.RENAMED:

            @bolt.event(renamed)
            async def on_renamed(event: dict[str, Any]) -> None:
                channel = channels.channel_of(event)
                name = channels.new_name(event)
                what = str(event.get("type"))
                self._channel_work(what, channel, lambda: self.shared.renamed(channel, name))

        @bolt.command(SLASH_COMMAND)
        async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(command.get("user_id") or "")
            text = unescape(str(command.get("text") or "")).strip() or "help"
            self._guard(
                user,
                None,
                SLASH_COMMAND,
                lambda: self._run_text(user, None, text, command.get("trigger_id"), started),
            )

        @bolt.action(OPEN_FORM)
        async def on_open_form(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            user = str(body["user"]["id"])
            channel = dm_channel_of(body)
            self._guard(user, channel, "open form", lambda: self._open_form(user, body))

        @bolt.action(SHORTCUTS)
        async def on_run_command(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(body["user"]["id"])
            text = str(body["actions"][0].get("value") or "help")
            channel = dm_channel_of(body)
            self._guard(
                user,
                None,
                "home command",
                lambda: self._run_text(user, channel, text, body.get("trigger_id"), started),
            )

        @bolt.action(OUR_ACTIONS)
        async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(body["user"]["id"])
            action = body["actions"][0]
            action_id = engine_action_id(str(action.get("action_id") or ""))
            if action_id is None:
                return
            hint = dm_channel_of(body)

            async def work() -> None:
                channel = await self.replies.dm_channel(user, hint)
                inbound = action_inbound(user, channel, action, action_id, now())
                await self._run(inbound, channel, body.get("trigger_id"), started)
                if (body.get("view") or {}).get("type") == "home":
                    await self.publish_home(user)

            self._guard(user, hint, f"action {action_id}", work)

        @bolt.view(FORM_CALLBACK)
        async def on_submission(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
            user = str(body["user"]["id"])

            async def work() -> None:
                try:
                    await self._submission(ack, user, view)
                except Exception:
                    log.exception("slack view_submission failed: user=%s", user)
                    if ack.response is None:
                        await ack()
                    await self.replies.apologise(user, None)

            self._spawn(work)  # Bolt waits for its ack, which carries the answer

    # --- doing the work ------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Run the engine once; on first contact the Slack user is linked by email."""
        return await self.turns.handle(inbound)

    async def _run_text(
        self,
        user: str,
        hint: str | None,
        text: str,
        trigger_id: str | None,
        started: float,
    ) -> None:
        """A text command (``/mentor``, an App Home shortcut) answered in the person's DM."""
        channel = await self.replies.dm_channel(user, hint)
        inbound = new_inbound(
            user, InboundKind.COMMAND, channel, self.engine.clock.now(), text=text
        )
        await self._run(inbound, channel, trigger_id, started)

    async def _run(
        self,
        inbound: Inbound,
        channel: str,
        trigger_id: str | None = None,
        started: float | None = None,
    ) -> None:
        outbounds = await self.handle(inbound)
        fresh = started is not None and time.monotonic() - started < modals.TRIGGER_LIFETIME
        await self.replies.deliver(outbounds, channel, trigger_id if fresh else None)

    async def _open_form(self, user: str, body: dict[str, Any]) -> None:
        """An ``OPEN_FORM`` button: the form opens if it is still the one open; a stale or
        forged button gets the stale-button reply."""
        found = await asyncio.to_thread(directory.open_form, self.factory, PLATFORM, user)
        if (
            found.form is not None
            and modals.button_still_open(body["actions"][0], found.form)
            and await modals.open_modal(self.client, str(body.get("trigger_id") or ""), found.form)
        ):
            return
        channel = await self.replies.dm_channel(user, dm_channel_of(body))
        stale = Message().text(Texts(found.locale).t("common.stale_button"))
        await self.sender.post(channel, render_message(stale))

    async def _submission(self, ack: AsyncAck, user: str, view: dict[str, Any]) -> None:
        started = time.monotonic()
        inbound = submission_inbound(user, self._dm.get(user), view, self.engine.clock.now())
        if inbound is None:
            await ack()
            return
        task = asyncio.ensure_future(self.handle(inbound))
        remaining = max(0.05, modals.VIEW_DEADLINE - (time.monotonic() - started))
        try:
            outbounds = await asyncio.wait_for(asyncio.shield(task), timeout=remaining)
        except TimeoutError:
            await ack()  # close the modal in time; the answer comes as a DM
            outbounds = await task
            await self.replies.deliver(outbounds, await self.replies.dm_channel(user))
            return
        answer, rest = modals.submission_answer(inbound.action_id or "", outbounds)
        await ack(**answer)
        if rest:
            await self.replies.deliver(rest, await self.replies.dm_channel(user))

    async def publish_home(self, user: str, event_id: str | None = None) -> None:
        """The App Home: the person's own view (the engine's status, privacy applied there)."""
        inbound = new_inbound(
            user,
            InboundKind.COMMAND,
            self._dm.get(user),
            self.engine.clock.now(),
            text=HOME_COMMAND,
            event_id=event_id,
        )
        outbounds = await self.handle(inbound)
        if not outbounds:
            return  # a retried event: the home was published the first time
        tx: Texts | None = None
        if any(o.person_id is not None for o in outbounds):
            tx = Texts(await asyncio.to_thread(directory.locale_of, self.factory, PLATFORM, user))
        await self.client.views_publish(user_id=user, view=home_view(outbounds, tx))


SLACK_KEY = web.AppKey("slack", SlackAdapter)
"""Where ``mount`` leaves the adapter in the web app (tests, benchmarks, the clock process)."""


def mount(
    app: web.Application,
    settings: SlackSettings | SlackConfig,
    engine: Engine,
    factory: sessionmaker[Session],
) -> SlackAdapter:
    """Add Slack to the web app: ``POST /slack/events``, or Socket Mode with an app token."""
    config = settings if isinstance(settings, SlackConfig) else SlackConfig.from_settings(settings)
    adapter = SlackAdapter(config, engine, factory)
    app[SLACK_KEY] = adapter

    async def open_session(_app: web.Application) -> None:
        # one connection pool for every Web API call (the SDK opens a session per call
        # otherwise)
        adapter.client.session = aiohttp.ClientSession()

    async def close_session(_app: web.Application) -> None:
        await adapter.drain()
        if adapter.client.session is not None:
            await adapter.client.session.close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    if config.app_token:
        handler = AsyncSocketModeHandler(adapter.bolt, config.app_token, web_client=adapter.client)

        async def connect(_app: web.Application) -> None:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected over Socket Mode")

        async def disconnect(_app: web.Application) -> None:
            await handler.close_async()  # type: ignore[no-untyped-call]

        app.on_startup.append(connect)
        app.on_cleanup.append(disconnect)
    else:
        app.router.add_post("/slack/events", adapter.handle_request)
    return adapter
