"""``POST /api/messages``: Teams activities in, cards out.

The route checks the Bot Framework JWT with the Agents SDK's validator and accepts an activity
only for the service its token names (``adapters.teams.auth``; only this route, so
``/healthz`` stays open). A valid activity is acknowledged at once with 202 —
Teams gives a bot 15 seconds — and handled in the background: member lookup (the email that
links a Teams user to a Person on first contact), the engine in a worker thread, then the
replies sent proactively with the conversation reference. Activities of one conversation are
handled in arrival order. In a team the bot only notes where it was added (a channel HR can
announce in, ``adapters.teams.channels``); it answers nothing said there.

An invalid form submission comes back from the engine as the same form with errors and the
typed values kept; it replaces the submitted card (``replyToId``) instead of adding a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from adapters.backlog import MAX_PENDING, Backlog
from adapters.teams.auth import WRONG_SERVICE, authorize, service_url_allowed
from adapters.teams.channels import apply, channel_event
from adapters.teams.connector import TeamsConfig, TeamsConnector, TokenProviderFactory
from adapters.teams.inbound import is_shared, kind_of, reference_of, to_inbound
from adapters.teams.sender import send_message
from conversations import directory
from conversations.clock import Clock
from conversations.delivery import SendError
from conversations.engine import Engine
from conversations.messages import Form, Inbound, InboundKind, Outbound
from conversations.outbox import queue_undelivered_replies
from conversations.texts import Texts

log = logging.getLogger(__name__)

EMAIL_CACHE_SIZE = 10_000


class TeamsBot:
    """Handles accepted activities in the background; ``drain`` waits for them."""

    def __init__(
        self,
        engine: Engine,
        factory: sessionmaker[Session],
        clock: Clock,
        connector: TeamsConnector,
    ) -> None:
        self.engine = engine
        self.factory = factory
        self.clock = clock
        self.connector = connector
        self.pending: set[asyncio.Task[None]] = set()
        self.backlog = Backlog(MAX_PENDING)
        """Bounds the activities queued behind the acks (back-pressure on new requests);
        one conversation's activities are handled in arrival order."""
        self.members: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def receive(self, activity: Activity) -> None:
        """Accept one activity for background handling, once the backlog has room for it."""
        await self.backlog.enter()
        task = asyncio.get_running_loop().create_task(self._handle_in_order(activity))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def drain(self) -> None:
        """Wait until every accepted activity has been handled (tests, shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def _handle_in_order(self, activity: Activity) -> None:
        key = activity.conversation.id if activity.conversation else ""
        try:
            await self.backlog.in_order(key, lambda: self.handle(activity))
        except Exception:
            log.exception("Teams activity %s could not be handled", activity.id)
        finally:
            self.backlog.end()

    async def handle(self, activity: Activity) -> None:
        """One activity: look the person up, run the engine, send the replies.

        In a team only membership counts (the channel HR can announce in); nothing said
        there reaches the engine.
        """
        if is_shared(activity):
            event = channel_event(activity)
            if event is not None:
                await asyncio.to_thread(apply, self.factory, event, self.clock.now())
            return
        if kind_of(activity) is None or activity.from_property is None:
            return
        reference = reference_of(activity)["conversation_reference"]
        member = await self._member(reference, activity.from_property.id)
        inbound = to_inbound(
            activity,
            self.clock.now(),
            email=member.get("email") or member.get("userPrincipalName"),
            display_name=member.get("name"),
        )
        if inbound is None:
            return
        replies = await asyncio.to_thread(self._run_engine, inbound)
        undelivered: list[Outbound] = []
        for outbound, locale in replies:
            if undelivered:  # keep the order: what follows a refused reply queues behind it
                undelivered.append(outbound)
                continue
            replace = _replaced_card(inbound, outbound, activity.reply_to_id)
            try:
                await send_message(
                    self.connector, reference, outbound.message, Texts(locale), replace
                )
            except SendError as err:
                log.warning("Teams reply to %s not delivered now: %s", inbound.user, err.reason)
                if not err.permanent:  # 429, 5xx, a timeout: the outbox's retries take over
                    undelivered.append(outbound)
        if undelivered:
            now = self.clock.now()
            await asyncio.to_thread(queue_undelivered_replies, self.factory, undelivered, now)

    def _run_engine(self, inbound: Inbound) -> list[tuple[Outbound, str | None]]:
        """The engine's direct replies (queued ones wait for the outbox), with each locale."""
        replies = [o for o in self.engine.handle(inbound) if not o.queued]
        out = []
        for outbound in replies:
            recipient = directory.contact(self.factory, outbound.person_id)
            out.append((outbound, recipient.locale if recipient else None))
        return out

    async def _member(self, reference: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The conversation member (email, name), cached per process; {} if unavailable."""
        if user_id in self.members:
            self.members.move_to_end(user_id)
            return self.members[user_id]
        try:
            member = await self.connector.member(reference, user_id)
        except SendError as err:
            log.warning("Teams member lookup failed: %s", err.reason)
            return {}
        self.members[user_id] = member
        while len(self.members) > EMAIL_CACHE_SIZE:
            self.members.popitem(last=False)
        return member


def _replaced_card(inbound: Inbound, outbound: Outbound, reply_to_id: str | None) -> str | None:
    """The submitted card's id when this reply is that form again with errors."""
    if inbound.kind != InboundKind.FORM or not reply_to_id:
        return None
    forms = outbound.message.forms
    if any(f.form_id == inbound.action_id and f.errors for f in forms if isinstance(f, Form)):
        return reply_to_id
    return None


TEAMS_KEY = web.AppKey("teams", TeamsBot)


TEAMS_AUTH_KEY = web.AppKey("teams_auth", AgentAuthConfiguration)


async def messages(request: web.Request) -> web.Response:
    """Acknowledge a Teams activity (202) and handle it in the background.

    The token is checked before the body is read, and the activity is accepted only for the
    service its token names (``adapters.teams.auth``).
    """
    identity = await authorize(request, request.app[TEAMS_AUTH_KEY])
    if isinstance(identity, web.Response):
        return identity
    try:
        body = await request.json()
        activity = Activity.model_validate(body)
    except (ValueError, ValidationError):
        return web.json_response({"error": "expected a Bot Framework activity"}, status=400)
    if not activity.service_url or activity.conversation is None:
        return web.json_response({"error": "activity lacks serviceUrl or conversation"}, status=400)
    if not service_url_allowed(identity, activity.service_url):
        log.warning("Teams activity refused: its serviceUrl is not the token's service")
        return web.json_response(WRONG_SERVICE, status=403)
    await request.app[TEAMS_KEY].receive(activity)
    return web.Response(status=202)


def mount(
    app: web.Application,
    settings: Any,
    engine: Engine,
    factory: sessionmaker[Session],
    token_provider_factory: TokenProviderFactory | None = None,
) -> TeamsBot:
    """Add ``POST /api/messages`` to the web app (JWT-checked unless anonymous is enabled)."""
    config = TeamsConfig.from_settings(settings)
    connector = TeamsConnector(config, token_provider_factory)
    bot = TeamsBot(engine, factory, engine.clock, connector)
    app[TEAMS_KEY] = bot
    app[TEAMS_AUTH_KEY] = connector.auth
    app.router.add_post("/api/messages", messages)

    async def finish(_: web.Application) -> None:
        await bot.drain()

    app.on_shutdown.append(finish)
    if config.anonymous_allowed:
        log.warning(
            "!!! TEAMS ANONYMOUS ACCESS IS ENABLED: /api/messages accepts requests WITHOUT a "
            "token. Only for local testing — never in production. Unset "
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED. !!!"
        )
    elif not config.client_id:
        log.info("Teams is not configured (no client id): /api/messages rejects every request")
    return bot
