"""Delivering a rendered ``Message`` to one person's Slack DM (outbox delivery and replies).

Where the DM channel comes from: the web adapter puts ``{"channel": "D…"}`` into
``Inbound.address`` whenever it knows the person's DM with the bot (every ``message.im``,
``app_home_opened``, a click in the DM, or ``conversations.open`` once per process for a slash
command or a modal); the engine stores it in ``PlatformIdentity.address`` on every inbound. A
nudge therefore finds the channel in ``Recipient.address`` and never calls
``conversations.open``. Only when no channel is stored (someone who never wrote to the bot)
does the sender open the DM itself with ``conversations.open``. Someone added to a programme
who has never written to the bot has no Slack user id yet: the sender finds them by email
(``users.lookupByEmail``, scope ``users:read.email``) so the welcome reaches them. What it
found (the user id, the DM channel) goes back in ``Sent``; the delivery worker stores it as the
person's Slack identity, so no process looks it up again, and the person's first message is
recognised without ``users.info``.

The sender never retries: rate limits (HTTP 429, ``ratelimited``) and platform errors are
reported as ``SendError`` (with ``retry_after`` from Slack's ``Retry-After`` header) to the
delivery worker, which owns the one retry policy.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.retry_after import retry_after_of
from adapters.slack.render import Rendered, render_message
from conversations.delivery import Recipient, SendError, Sent
from conversations.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "slack"

PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "invalid_blocks",
        "invalid_blocks_format",
        "is_archived",
        "msg_too_long",
        "no_text",
        "not_in_channel",
        "restricted_action",
        "too_many_attachments",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
    }
)
"""Slack errors that trying again cannot fix; the row goes to the dead letter at once."""


def send_error(err: Exception) -> SendError:
    """Translate an SDK or network failure into what the delivery worker understands."""
    if isinstance(err, SlackApiError):
        response = err.response
        code = str(response.get("error") or "unknown_error")
        status = response.status_code
        retry_after = retry_after_of(response.headers)
        if status == 429 or code == "ratelimited":
            return SendError(f"slack: ratelimited (HTTP {status})", retry_after=retry_after or 1.0)
        return SendError(
            f"slack: {code} (HTTP {status})",
            retry_after=retry_after,
            permanent=code in PERMANENT_ERRORS,
        )
    if isinstance(err, SlackClientError | aiohttp.ClientError | asyncio.TimeoutError):
        return SendError(f"slack: {type(err).__name__}: {err}")
    return SendError(f"slack: unexpected {type(err).__name__}: {err}")


class SlackSender:
    """``conversations.delivery.Sender`` for Slack: ``chat.postMessage`` to the person's DM."""

    platform = PLATFORM
    finds_people = True  # users.lookupByEmail: someone who never wrote is reached anyway

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.channels: dict[str, str] = {}
        """This process's memo of DM channels by Slack user id (the stored address wins)."""
        self.user_ids: dict[str, str] = {}
        """This process's memo of Slack user ids by email, for people never seen in Slack."""

    async def send(self, recipient: Recipient, message: Message) -> Sent:
        """Post ``message`` to the recipient's DM (or a channel's stored address); ``Sent``
        carries the ``ts`` of the first post and, if the sender had to find the person, how."""
        try:
            stored = _stored_channel(recipient)
            channel = stored or await self.dm_channel(recipient)
            ts = await self.post(channel, render_message(message))
        except SendError:
            raise
        except Exception as err:
            raise send_error(err) from err
        if stored:
            return Sent(ts)
        user_id = recipient.platform_user_id or self.user_ids.get((recipient.email or "").lower())
        return Sent(ts, user_id=user_id, address={"channel": channel})

    async def dm_channel(self, recipient: Recipient) -> str:
        """The stored DM channel, or (uncached) the one ``conversations.open`` gives; someone
        never seen in Slack is found by email first."""
        channel = _stored_channel(recipient)
        if channel:
            return channel
        user_id = recipient.platform_user_id
        if not user_id and recipient.email:
            email = recipient.email.lower()
            if email not in self.user_ids:
                self.user_ids[email] = await self.user_by_email(email)
            user_id = self.user_ids[email]
        if not user_id:
            raise SendError("slack: this person has no Slack user id", permanent=True)
        if user_id not in self.channels:
            self.channels[user_id] = await open_dm(self.client, user_id)
        return self.channels[user_id]

    async def user_by_email(self, email: str) -> str:
        """The Slack user with this email (``users.lookupByEmail``): reaches people who have
        been added to a programme but never wrote to the bot (e.g. the welcome message)."""
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as err:
            if err.response.get("error") == "users_not_found":
                # they may join the workspace later, or write from another platform: wait
                raise SendError("slack: no Slack user has this email", unreachable=True) from err
            raise send_error(err) from err
        user = response.get("user") or {}
        user_id = user.get("id") if isinstance(user, dict) else None
        if not user_id:
            raise SendError("slack: users.lookupByEmail returned no user", permanent=True)
        return str(user_id)

    async def post(self, channel: str, rendered: Rendered) -> str:
        """Post every part of a rendered message in order; files are uploaded after the text."""
        first_ts = ""
        try:
            for post in rendered.posts:
                response = await self.client.chat_postMessage(
                    channel=channel, text=post.text, blocks=post.blocks, unfurl_links=False
                )
                first_ts = first_ts or str(response.get("ts") or "")
            for attachment in rendered.files:
                await self.client.files_upload_v2(
                    channel=channel,
                    filename=attachment.filename,
                    title=attachment.filename,
                    content=attachment.content.encode("utf-8"),
                )
        except Exception as err:
            raise send_error(err) from err
        return first_ts or "file"


def _stored_channel(recipient: Recipient) -> str | None:
    channel = recipient.address.get("channel") if recipient.address else None
    return channel if isinstance(channel, str) and channel else None


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    """The id of the bot's DM with ``user_id`` (``conversations.open`` is idempotent)."""
    try:
        response = await client.conversations_open(users=user_id)
    except Exception as err:
        raise send_error(err) from err
    channel = response.get("channel") or {}
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    if not channel_id:
        raise SendError("slack: conversations.open returned no channel")
    return str(channel_id)
