"""Mentorbot in Slack on slack-bolt's ``AsyncApp``: payload → ``Inbound``, replies → Block Kit.

One request URL, ``POST /slack/events``, takes events (``message.im``, ``app_home_opened``, and
the channel events of :mod:`adapters.slack.channels`: the bot added to or removed from a shared
channel, where HR can announce), the ``/mentor`` slash command and interactivity
(``block_actions``, ``view_submission``). With an app-level token the same listeners run over
Socket Mode instead.

Timing: Bolt acknowledges events itself before the listener runs; actions and commands call
``ack()`` first and work afterwards. A modal submission must carry its answer in the ack
(``response_action``), so the engine gets up to :data:`VIEW_DEADLINE` seconds; if it takes
longer the modal is closed and the result arrives as a DM.

The adapter holds no business rules: the engine decides, the adapter translates, sends and
remembers the DM channel (in ``Inbound.address``; see :mod:`adapters.slack.sender`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from adapters.backlog import MAX_PENDING, Backlog
from adapters.slack import channels
from adapters.slack.inbound import (
    UNKNOWN_USER_ERRORS,
    interaction_id,
    parsable,
    signed_by_slack,
)
from adapters.slack.render import (
    FORM_CALLBACK,
    MAX_MODAL_BLOCKS,
    OPEN_FORM,
    blocks_for,
    engine_action_id,
    modal_errors,
    modal_view,
    render_message,
    view_values,
)
from adapters.slack.sender import PLATFORM, SlackSender, open_dm
from conversations import directory
from conversations.delivery import SendError
from conversations.engine import Engine
from conversations.messages import Form, Inbound, InboundKind, Message, Outbound
from conversations.outbox import queue_undelivered_replies
from conversations.texts import Texts

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
SLASH_COMMAND = "/mentor"
RUN_COMMAND = "mentorbot_command"
"""Action id of the App Home shortcut buttons; the value is a text command for the engine."""
VIEW_DEADLINE = 2.5
"""Seconds a modal submission waits for the engine before the modal is closed regardless."""
TRIGGER_LIFETIME = 2.5
"""A ``trigger_id`` opens a modal only within 3 seconds of the click; keep a margin."""
HOME_COMMAND = "status"
TURNS_AT_ONCE = 2
"""Engine turns running at once in one web process (threads compete for the GIL)."""

OUR_ACTIONS = re.compile(r"^mentorbot\.\d+\.")
SHORTCUTS = re.compile(rf"^{RUN_COMMAND}_\d+$")


class SlackConfigError(ValueError):
    """The Slack settings cannot work (e.g. HTTP mode without a signing secret)."""


class SlackSettings(Protocol):
    """The part of ``bot.settings.Settings`` Slack reads (adapters do not import ``bot``)."""

    @property
    def slack_bot_token(self) -> str: ...
    @property
    def slack_signing_secret(self) -> str: ...
    @property
    def slack_app_token(self) -> str: ...
    @property
    def slack_api_url(self) -> str: ...


@dataclass(frozen=True)
class SlackConfig:
    """What the Slack adapter needs: tokens, signing secret and the Web API base URL."""

    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> SlackConfig:
        return cls(
            bot_token=settings.slack_bot_token,
            signing_secret=settings.slack_signing_secret,
            app_token=settings.slack_app_token or None,
            api_url=settings.slack_api_url or DEFAULT_API_URL,
        )


def make_client(config: SlackConfig) -> AsyncWebClient:
    """A Web API client for ``SLACK_API_URL``; its retry handlers cover connection errors only,
    so rate limits reach the delivery worker (one retry policy)."""
    base_url = config.api_url if config.api_url.endswith("/") else config.api_url + "/"
    return AsyncWebClient(token=config.bot_token, base_url=base_url)


def _unescape(text: str) -> str:
    """Slack sends ``&``, ``<`` and ``>`` typed by people as entities; the engine wants text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackAdapter:
    """The Bolt app and everything it does with the engine's answers."""

    def __init__(
        self,
        config: SlackConfig,
        engine: Engine,
        factory: sessionmaker[Session],
        client: AsyncWebClient | None = None,
    ) -> None:
        if not config.bot_token:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        if not config.app_token and not config.signing_secret:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is needed to verify requests to /slack/events "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        self.config = config
        self.engine = engine
        self.factory = factory
        self.client = client or make_client(config)
        self.sender = SlackSender(self.client)
        self._dm = self.sender.channels  # one memo of DM channels for replies and nudges
        self.shared = channels.SlackChannels(self.client, factory, engine.clock)
        """The shared channels the bot is in (announcements), kept from Slack's events."""
        self.backlog = Backlog(MAX_PENDING)
        """Bounds the work queued behind the acks (back-pressure on new requests)."""
        self.started = 0
        """How many listener works have begun (tests wait for the work a request starts)."""
        self._linking: dict[str, asyncio.Lock] = {}
        self._turns = asyncio.Semaphore(TURNS_AT_ONCE)
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
        return await to_aiohttp_response(bolt_response)

    # --- listeners -----------------------------------------------------------------------

    def _register(self) -> None:
        bolt = self.bolt

        @bolt.event("message")
        async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return
            user = str(event.get("user") or "")
            channel = str(event.get("channel") or "")
            if not user or not channel:
                return
            self._dm[user] = channel
            await self._guard(
                user,
                channel,
                "message.im",
                lambda: self._run(
                    self._inbound(
                        user,
                        InboundKind.TEXT,
                        channel,
                        text=_unescape(str(event.get("text") or "")),
                        event_id=body.get("event_id"),
                    ),
                    channel,
                ),
            )

        @bolt.event("app_home_opened")
        async def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
            if event.get("tab") != "home":
                return
            user = str(event.get("user") or "")
            channel = event.get("channel")
            if isinstance(channel, str) and channel.startswith("D"):
                self._dm[user] = channel
            await self._guard(
                user,
                None,
                "app_home_opened",
                lambda: self.publish_home(user, event_id=body.get("event_id")),
            )

        @bolt.event(channels.JOINED)
        async def on_joined(event: dict[str, Any], context: AsyncBoltContext) -> None:
            channel = channels.channel_of(event)
            ours = bool(context.bot_user_id) and event.get("user") == context.bot_user_id
            await self._channel_work(
                channels.JOINED, channel, lambda: self.shared.joined(channel), ours
            )

        @bolt.event(channels.MEMBER_LEFT)
        async def on_member_left(event: dict[str, Any], context: AsyncBoltContext) -> None:
            channel = channels.channel_of(event)
            ours = bool(context.bot_user_id) and event.get("user") == context.bot_user_id
            await self._channel_work(
                channels.MEMBER_LEFT, channel, lambda: self.shared.left(channel), ours
            )

        for gone in channels.GONE:

            @bolt.event(gone)
            async def on_gone(event: dict[str, Any]) -> None:
                channel = channels.channel_of(event)
                what = str(event.get("type"))
                await self._channel_work(what, channel, lambda: self.shared.left(channel))

        for renamed in channels.RENAMED:

            @bolt.event(renamed)
            async def on_renamed(event: dict[str, Any]) -> None:
                channel = channels.channel_of(event)
                name = channels.new_name(event)
                what = str(event.get("type"))
                await self._channel_work(what, channel, lambda: self.shared.renamed(channel, name))

        @bolt.command(SLASH_COMMAND)
        async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(command.get("user_id") or "")

            async def work() -> None:
                channel = await self.dm_channel(user)
                text = _unescape(str(command.get("text") or "")).strip() or "help"
                inbound = self._inbound(user, InboundKind.COMMAND, channel, text=text)
                await self._run(inbound, channel, command.get("trigger_id"), started)

            await self._guard(user, None, SLASH_COMMAND, work)

        @bolt.action(OPEN_FORM)
        async def on_open_form(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            user = str(body["user"]["id"])
            await self._guard(
                user, self._channel_of(body), "open form", lambda: self._open_form(user, body)
            )

        @bolt.action(SHORTCUTS)
        async def on_run_command(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(body["user"]["id"])
            text = str(body["actions"][0].get("value") or "help")

            async def work() -> None:
                channel = await self.dm_channel(user, self._channel_of(body))
                inbound = self._inbound(user, InboundKind.COMMAND, channel, text=text)
                await self._run(inbound, channel, body.get("trigger_id"), started)

            await self._guard(user, None, "home command", work)

        @bolt.action(OUR_ACTIONS)
        async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            started = time.monotonic()
            user = str(body["user"]["id"])
            action = body["actions"][0]
            action_id = engine_action_id(str(action.get("action_id") or ""))
            if action_id is None:
                return

            async def work() -> None:
                channel = await self.dm_channel(user, self._channel_of(body))
                inbound = self._inbound(
                    user,
                    InboundKind.ACTION,
                    channel,
                    action_id=action_id,
                    value=str(action.get("value") or ""),
                    event_id=interaction_id("action", user, action.get("action_ts"), action_id),
                )
                await self._run(inbound, channel, body.get("trigger_id"), started)
                if (body.get("view") or {}).get("type") == "home":
                    await self.publish_home(user)

            await self._guard(user, self._channel_of(body), f"action {action_id}", work)

        @bolt.view(FORM_CALLBACK)
        async def on_submission(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
            user = str(body["user"]["id"])
            self.started += 1
            async with self.backlog.working():
                try:
                    await self._submission(ack, user, view)
                except Exception:
                    log.exception("slack view_submission failed: user=%s", user)
                    await self._ack_once(ack)
                    await self._apologise(user, None)

    # --- doing the work ------------------------------------------------------------------

    def _inbound(self, user: str, kind: InboundKind, channel: str | None, **fields: Any) -> Inbound:
        return Inbound(
            platform=PLATFORM,
            user=user,
            kind=kind,
            received_at=self.engine.clock.now(),
            address={"channel": channel} if channel else {},
            **fields,
        )

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Run the engine; on first contact, link the Slack user by email (``users.info``)."""
        result = await self._turn(inbound)
        if inbound.email is None and _unknown(result):
            # one first contact at a time per user in this process, so that a DM and a
            # command sent together ask users.info once; linking itself is safe across
            # processes (the engine inserts the identity with insert-or-ignore)
            async with self._linking.setdefault(inbound.user, asyncio.Lock()):
                again = inbound.model_copy(update={"event_id": None})
                result = await self._turn(again)
                if _unknown(result):
                    email, name = await self._profile(inbound.user)
                    if email:
                        linked = again.model_copy(update={"email": email, "display_name": name})
                        result = await self._turn(linked)
        return result

    async def _turn(self, inbound: Inbound) -> list[Outbound]:
        """One engine turn in a worker thread; at most ``TURNS_AT_ONCE`` run together, so a
        burst of events queues here instead of starving the event loop that sends the acks."""
        async with self._turns:
            return await asyncio.to_thread(self.engine.handle, inbound)

    async def _profile(self, user: str) -> tuple[str | None, str | None]:
        """Email and name from ``users.info``; (None, None) for a user Slack does not know
        here, who then gets the engine's answer for people not in the programme."""
        try:
            response = await self.client.users_info(user=user)
        except SlackApiError as err:
            if err.response.get("error") in UNKNOWN_USER_ERRORS:
                log.info("slack users.info: %s", err.response.get("error"))
                return None, None
            raise
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        email = profile.get("email")
        name = profile.get("real_name") or info.get("real_name")
        return (str(email) if email else None, str(name) if name else None)

    async def _run(
        self,
        inbound: Inbound,
        channel: str,
        trigger_id: str | None = None,
        started: float | None = None,
    ) -> None:
        outbounds = await self.handle(inbound)
        fresh = started is not None and time.monotonic() - started < TRIGGER_LIFETIME
        await self.deliver_replies(outbounds, channel, trigger_id if fresh else None)

    async def deliver_replies(
        self, outbounds: list[Outbound], channel: str, trigger_id: str | None = None
    ) -> None:
        """Post the replies for the person who acted; queued ones belong to the outbox.

        With a fresh ``trigger_id`` the first form of the replies opens as a modal at once.
        A reply Slack refuses for now (429, 5xx, a timeout) goes to the outbox with every
        reply after it, so none is lost and their order holds.
        """
        undelivered: list[Outbound] = []
        for outbound in outbounds:
            if outbound.queued:
                continue
            if undelivered:
                undelivered.append(outbound)
                continue
            try:
                trigger_id = await self._reply(outbound.message, channel, trigger_id)
            except SendError as err:
                log.warning("slack reply not delivered now: %s", err.reason)
                if not err.permanent:
                    undelivered.append(outbound)
        if undelivered:
            now = self.engine.clock.now()
            await asyncio.to_thread(queue_undelivered_replies, self.factory, undelivered, now)

    async def _reply(self, message: Message, channel: str, trigger_id: str | None) -> str | None:
        """Post one reply (its first form as a modal while ``trigger_id`` is fresh); the
        trigger id still unused."""
        if trigger_id and message.forms:
            form = message.forms[0]
            rest = Message(blocks=[b for b in message.blocks if b is not form])
            if await self._open_modal(trigger_id, form):
                if rest.blocks:
                    await self.sender.post(channel, render_message(rest))
                return None
        await self.sender.post(channel, render_message(message))
        return trigger_id

    async def _open_modal(self, trigger_id: str, form: Form) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger_id, view=modal_view(form, _meta(form)))
        except Exception as err:  # expired trigger: the form is posted as a button instead
            log.info("views.open failed, posting the form as a button: %s", err)
            return False
        return True

    async def _open_form(self, user: str, body: dict[str, Any]) -> None:
        try:
            wanted = json.loads(str(body["actions"][0].get("value") or "{}"))
        except ValueError:
            wanted = {}
        found = await asyncio.to_thread(directory.open_form, self.factory, PLATFORM, user)
        form = found.form
        if (
            form is not None
            and form.form_id == wanted.get("form_id")
            and form.value == wanted.get("value")
            and await self._open_modal(str(body.get("trigger_id") or ""), form)
        ):
            return
        channel = await self.dm_channel(user, self._channel_of(body))
        stale = Message().text(Texts(found.locale).t("common.stale_button"))
        await self.sender.post(channel, render_message(stale))

    async def _submission(self, ack: AsyncAck, user: str, view: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        form_id = str(meta.get("form_id") or "") if isinstance(meta, dict) else ""
        if not form_id:
            await ack()
            return
        values = view_values((view.get("state") or {}).get("values") or {})
        channel = self._dm.get(user)
        inbound = self._inbound(
            user,
            InboundKind.FORM,
            channel,
            action_id=form_id,
            value=str(meta.get("value") or ""),
            form=values,
            # a replayed or double-sent submission: the same view, version and answers
            event_id=interaction_id(
                "view",
                user,
                view.get("id"),
                view.get("hash"),
                view.get("private_metadata"),
                json.dumps(values, sort_keys=True),
            ),
        )
        task = asyncio.ensure_future(self.handle(inbound))
        remaining = max(0.05, VIEW_DEADLINE - (time.monotonic() - started))
        try:
            outbounds = await asyncio.wait_for(asyncio.shield(task), timeout=remaining)
        except TimeoutError:
            await ack()  # close the modal in time; the answer comes as a DM
            outbounds = await task
            await self.deliver_replies(outbounds, await self.dm_channel(user))
            return
        replies = [o for o in outbounds if not o.queued]
        form = next((f for o in replies for f in o.message.forms), None)
        rest = [
            Outbound(
                person_id=o.person_id,
                message=Message(blocks=[b for b in o.message.blocks if not isinstance(b, Form)]),
            )
            for o in replies
        ]
        if form is not None and form.form_id == form_id and modal_errors(form):
            await ack(response_action="errors", errors=modal_errors(form))
            rest = []  # the intro to the errors is what the modal now shows
        elif form is not None:
            await ack(response_action="update", view=modal_view(form, _meta(form)))
        else:
            await ack()
        rest = [o for o in rest if o.message.blocks]
        if rest:
            await self.deliver_replies(rest, await self.dm_channel(user))

    @staticmethod
    async def _ack_once(ack: AsyncAck) -> None:
        if getattr(ack, "response", None) is None:
            await ack()

    async def publish_home(self, user: str, event_id: str | None = None) -> None:
        """The App Home: the person's own view (the engine's status, privacy applied there)."""
        channel = self._dm.get(user)
        inbound = self._inbound(
            user, InboundKind.COMMAND, channel, text=HOME_COMMAND, event_id=event_id
        )
        outbounds = await self.handle(inbound)
        if not outbounds:
            return  # a retried event: the home was published the first time
        blocks: list[dict[str, Any]] = []
        for outbound in outbounds:
            if outbound.queued:
                continue
            if blocks:
                blocks.append({"type": "divider"})
            blocks.extend(blocks_for(outbound.message))
        if any(o.person_id is not None for o in outbounds):
            locale = await asyncio.to_thread(directory.locale_of, self.factory, PLATFORM, user)
            blocks.append({"type": "divider"})
            blocks.append(_shortcuts(Texts(locale)))
        view = {"type": "home", "blocks": _fit_home(blocks)}
        await self.client.views_publish(user_id=user, view=view)

    # --- channels and failures -----------------------------------------------------------

    @staticmethod
    def _channel_of(body: dict[str, Any]) -> str | None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        return str(channel) if isinstance(channel, str) and channel.startswith("D") else None

    async def dm_channel(self, user: str, hint: str | None = None) -> str:
        """The bot's DM with ``user``: from the payload, this process's memo, the stored
        address, or (once) ``conversations.open``."""
        if hint:
            self._dm[user] = hint
            return hint
        if user not in self._dm:
            stored = _channel(
                await asyncio.to_thread(directory.stored_address, self.factory, PLATFORM, user)
            )
            self._dm[user] = stored or await open_dm(self.client, user)
        return self._dm[user]

    async def _guard(
        self,
        user: str,
        channel: str | None,
        what: str,
        work: Callable[[], Awaitable[None]],
    ) -> None:
        """Run listener work after the person's earlier work (arrival order); a failure is
        logged with context and the person gets an apology."""
        self.started += 1
        async with self.backlog.working():
            try:
                await self.backlog.in_order(user, work)
            except Exception:
                log.exception("slack %s failed: user=%s channel=%s", what, user, channel)
                await self._apologise(user, channel)

    async def _channel_work(
        self,
        what: str,
        channel: str,
        work: Callable[[], Awaitable[None]],
        applies: bool = True,
    ) -> None:
        """Run the work of a channel event (no person to apologise to: a failure is logged).
        An event that is not about the bot, or has no channel, is counted as done."""
        self.started += 1
        async with self.backlog.working():
            try:
                if applies and channel:
                    await work()
            except Exception:
                log.exception("slack %s failed: channel=%s", what, channel)

    async def wait_idle(self, poll: float = 0.01) -> None:
        """Wait until no listener work is running (work continues after the ack): for tests,
        benchmarks and a graceful shutdown."""
        await asyncio.sleep(poll)
        while self.backlog.active:
            await asyncio.sleep(poll)

    async def _apologise(self, user: str, channel: str | None) -> None:
        try:
            locale = await asyncio.to_thread(directory.locale_of, self.factory, PLATFORM, user)
            target = channel or await self.dm_channel(user)
            apology = Message().text(Texts(locale).t("common.apology"))
            await self.sender.post(target, render_message(apology))
        except Exception:
            log.exception("slack apology could not be sent: user=%s", user)


def _unknown(result: list[Outbound]) -> bool:
    """The engine did not know this platform user (its only reply is for no person)."""
    return bool(result) and all(o.person_id is None for o in result)


def _meta(form: Form) -> str:
    return json.dumps({"form_id": form.form_id, "value": form.value}, separators=(",", ":"))


def _shortcuts(tx: Texts) -> dict[str, Any]:
    """App Home shortcuts: each button runs a text command of the engine."""
    buttons = [
        (tx._("Check in"), "check-in"),
        (tx._("Reflect now"), "reflect"),
        (tx._("Meetings"), "schedule"),
    ]
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": f"{RUN_COMMAND}_{n}",
                "text": {"type": "plain_text", "text": label},
                "value": command,
            }
            for n, (label, command) in enumerate(buttons)
        ],
    }


def _fit_home(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A home view holds at most 100 blocks: keep the first ones and the shortcuts."""
    if len(blocks) <= MAX_MODAL_BLOCKS:
        return blocks
    return blocks[: MAX_MODAL_BLOCKS - 1] + blocks[-1:]


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
        await adapter.wait_idle()
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


def _channel(address: dict[str, object]) -> str | None:
    """The DM channel id in a stored Slack address, if any."""
    channel = address.get("channel")
    return channel if isinstance(channel, str) and channel else None
