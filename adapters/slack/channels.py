"""The shared Slack channels Mentorbot is in, from Slack's events (HR announces there).

Someone runs ``/invite @Mentorbot`` in a channel (or adds the app to it): Slack sends
``member_joined_channel`` with the bot's own user id, the bot asks ``conversations.info`` for the
channel's name and remembers it with ``{"channel": "C…"}`` as its address, so the delivery worker
posts there with ``chat.postMessage`` like to a DM. The bot removed (``member_left_channel`` for
the bot, ``channel_left``/``group_left``) or the channel archived (``channel_archive``/
``group_archive``): the channel is forgotten. A rename (``channel_rename``/``group_rename``)
refreshes the name, but only of a channel the bot is in — Slack sends the renames of every public
channel, and ``conversations.info`` says whether the bot is a member.

The adapter decides nothing else: ``conversations.channels`` keeps the list, the announcement
flow offers it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.sender import PLATFORM
from conversations.channels import forget_channel, remember_channel
from conversations.clock import Clock

log = logging.getLogger(__name__)

JOINED = "member_joined_channel"
"""Someone joined a channel the bot is in; when it is the bot, the bot was added."""
MEMBER_LEFT = "member_left_channel"
"""Someone left a channel the bot is in; when it is the bot, the bot was removed."""
GONE = ("channel_left", "group_left", "channel_archive", "group_archive")
"""The bot was removed from a public or private channel, or the channel was archived."""
RENAMED = ("channel_rename", "group_rename")
EVENTS = (JOINED, MEMBER_LEFT, *GONE, *RENAMED)
"""Every channel event the adapter handles (the manifest subscribes to exactly these)."""


def channel_of(event: dict[str, Any]) -> str:
    """The channel id of a channel event: a string, or ``{"id": …}`` in the rename events."""
    channel = event.get("channel")
    if isinstance(channel, dict):
        channel = channel.get("id")
    return channel if isinstance(channel, str) else ""


def new_name(event: dict[str, Any]) -> str:
    """The name a rename event gives the channel (without ``#``)."""
    channel = event.get("channel")
    name = channel.get("name") if isinstance(channel, dict) else None
    return name if isinstance(name, str) else ""


class SlackChannels:
    """Keeps ``conversations.channels`` in step with the channels Slack says the bot is in."""

    def __init__(
        self, client: AsyncWebClient, factory: sessionmaker[Session], clock: Clock
    ) -> None:
        self.client = client
        self.factory = factory
        self.clock = clock

    async def joined(self, channel_id: str) -> None:
        """The bot was added: remember the channel by its ``#name`` (its id if Slack will not
        say)."""
        info = await self._info(channel_id)
        name = str(info.get("name") or "") if info else ""
        await self._remember(channel_id, f"#{name}" if name else channel_id)

    async def left(self, channel_id: str) -> None:
        """The bot was removed or the channel archived: nothing new goes there."""
        await asyncio.to_thread(
            forget_channel,
            self.factory,
            platform=PLATFORM,
            channel_id=channel_id,
            now=self.clock.now(),
        )

    async def renamed(self, channel_id: str, name: str) -> None:
        """A channel got a new name; only a channel the bot is in is (re)named."""
        info = await self._info(channel_id)
        if not info or not info.get("is_member") or info.get("is_archived"):
            return
        await self._remember(channel_id, f"#{name or info.get('name') or channel_id}")

    async def _info(self, channel_id: str) -> dict[str, Any] | None:
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except Exception as err:  # missing scope, channel gone, network: the caller decides
            log.warning("slack conversations.info failed: channel=%s: %s", channel_id, err)
            return None
        channel = response.get("channel")
        return channel if isinstance(channel, dict) else None

    async def _remember(self, channel_id: str, name: str) -> None:
        await asyncio.to_thread(
            remember_channel,
            self.factory,
            platform=PLATFORM,
            channel_id=channel_id,
            name=name,
            address={"channel": channel_id},
            now=self.clock.now(),
        )
