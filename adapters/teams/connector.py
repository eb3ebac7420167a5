"""Talking to the Bot Connector service through the Microsoft 365 Agents SDK.

Every outbound call (a reply, a proactive outbox message, a member lookup) continues the
conversation from its stored reference with ``CloudAdapter.continue_conversation``, so the
``clock`` process can send without the web server. Failures become
``conversations.delivery.SendError``; nothing here retries on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.activity import Attachment as ActivityAttachment
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    ClaimsIdentity,
    ConnectionManager,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from adapters.retry_after import retry_after_of
from conversations.delivery import SendError

log = logging.getLogger(__name__)

TokenProviderFactory = Callable[[AgentAuthConfiguration], AccessTokenProviderBase]
PERMANENT_STATUSES = frozenset({400, 403, 404, 413})  # 413: the message is too big


@dataclass(frozen=True)
class TeamsConfig:
    """The bot's identity and limits, from ``bot.settings.Settings``."""

    client_id: str = ""
    client_secret: str = ""
    tenant_id: str = ""
    anonymous_allowed: bool = False
    send_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Any) -> TeamsConfig:
        return cls(
            client_id=settings.teams_client_id,
            client_secret=settings.teams_client_secret,
            tenant_id=settings.teams_tenant_id,
            anonymous_allowed=settings.teams_anonymous_allowed,
            send_timeout=settings.teams_send_timeout,
        )

    def auth_configuration(self) -> AgentAuthConfiguration:
        """The SDK's connection settings; issuers are always validated (SDK default: off)."""
        return AgentAuthConfiguration(
            client_id=self.client_id or None,
            client_secret=self.client_secret or None,
            tenant_id=self.tenant_id or None,
            anonymous_allowed=self.anonymous_allowed,
            validate_issuer=True,
        )


def send_error(err: BaseException) -> SendError:
    """Translate a connector failure into what the delivery worker's policy needs."""
    if isinstance(err, aiohttp.ClientResponseError):
        retry_after = retry_after_of(err.headers)
        reason = f"Bot Connector answered {err.status}"
        if err.status == 429:
            return SendError(f"{reason} (throttled)", retry_after=retry_after)
        return SendError(
            reason, retry_after=retry_after, permanent=err.status in PERMANENT_STATUSES
        )
    if isinstance(err, TimeoutError):
        return SendError("Bot Connector did not answer in time")
    if isinstance(err, aiohttp.ClientError):
        return SendError(f"Bot Connector unreachable: {type(err).__name__}")
    return SendError(f"sending to Teams failed: {type(err).__name__}: {err}")


class TeamsConnector:
    """Sends cards to, updates cards in and looks up members of stored Teams conversations."""

    def __init__(
        self, config: TeamsConfig, token_provider_factory: TokenProviderFactory | None = None
    ) -> None:
        self.config = config
        self.auth = config.auth_configuration()
        self.connections = ConnectionManager(
            provider_factory=token_provider_factory or MsalAuth,
            connections_configurations={"SERVICE_CONNECTION": self.auth},
        )
        self.adapter = CloudAdapter(connection_manager=self.connections)
        # The SDK's default turn-error handler posts "Exception caught: …" into the user's
        # chat and swallows the error; we need the error itself (SendError for the worker).
        self.adapter.on_turn_error = None

    async def _continue(
        self, reference: dict[str, Any], callback: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        ref = ConversationReference.model_validate(reference)
        continuation = ref.get_continuation_activity()
        if self.config.client_id:
            await self.adapter.continue_conversation(self.config.client_id, continuation, callback)
        else:  # local testing without a registered bot: no token is requested
            claims = ClaimsIdentity({}, authentication_type="anonymous")
            await self.adapter.continue_conversation_with_claims(claims, continuation, callback)

    async def _run(
        self, reference: dict[str, Any], callback: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        try:
            await asyncio.wait_for(self._continue(reference, callback), self.config.send_timeout)
        except SendError:
            raise
        except Exception as err:
            raise send_error(err) from err

    async def send_card(
        self, reference: dict[str, Any], card: dict[str, Any], replace_id: str | None = None
    ) -> str:
        """Post the card (or replace activity ``replace_id`` with it); the activity id."""
        sent: list[str] = []

        async def callback(context: TurnContext) -> None:
            context.activity.id = None  # a new message in the chat, not a reply
            activity = Activity(
                type="message",
                attachments=[
                    ActivityAttachment(content_type=card["contentType"], content=card["content"])
                ],
            )
            if replace_id:
                activity.id = replace_id
                activity.conversation = context.activity.conversation
                response = await context.update_activity(activity)
                sent.append(getattr(response, "id", None) or replace_id)
            else:
                response = await context.send_activity(activity)
                sent.append(getattr(response, "id", None) or "")

        await self._run(reference, callback)
        return sent[0] if sent else ""

    async def member(self, reference: dict[str, Any], user_id: str) -> dict[str, Any]:
        """``GET v3/conversations/{id}/members/{userId}``: the member's account (with email)."""
        found: list[dict[str, Any]] = []

        async def callback(context: TurnContext) -> None:
            client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
            conversation = context.activity.conversation
            assert client is not None and conversation is not None
            member = await client.conversations.get_conversation_member(conversation.id, user_id)
            found.append(member.model_dump(mode="json", by_alias=True, exclude_none=True))

        await self._run(reference, callback)
        return found[0] if found else {}
