"""Replies to the person who acted, in the bot's DM with them (or a modal, while the click's
``trigger_id`` is fresh).

A reply Slack refuses for now goes to the outbox with the replies after it (the delivery
worker's retries take over); the DM channel comes from the payload, this process's memo, the
stored address, or once from ``conversations.open``.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack import modals
from adapters.slack.inbound import stored_channel
from adapters.slack.render import render_message
from adapters.slack.sender import PLATFORM, SlackSender, open_dm
from conversations import directory
from conversations.clock import Clock
from conversations.delivery import SendError
from conversations.messages import Message, Outbound
from conversations.outbox import queue_undelivered_replies
from conversations.texts import Texts

log = logging.getLogger(__name__)


class Replies:
    """Posts the engine's direct replies for one Slack workspace."""

    def __init__(
        self,
        client: AsyncWebClient,
        sender: SlackSender,
        factory: sessionmaker[Session],
        clock: Clock,
    ) -> None:
        self.client = client
        self.sender = sender
        self.factory = factory
        self.clock = clock
        self.dm = sender.channels  # one memo of DM channels for replies and nudges

    async def deliver(
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
            now = self.clock.now()
            await asyncio.to_thread(queue_undelivered_replies, self.factory, undelivered, now)

    async def _reply(self, message: Message, channel: str, trigger_id: str | None) -> str | None:
        """Post one reply (its first form as a modal while ``trigger_id`` is fresh); the
        trigger id still unused."""
        form, rest = modals.first_form(message)
        if (
            trigger_id
            and form is not None
            and await modals.open_modal(self.client, trigger_id, form)
        ):
            if rest.blocks:
                await self.sender.post(channel, render_message(rest))
            return None
        await self.sender.post(channel, render_message(message))
        return trigger_id

    async def dm_channel(self, user: str, hint: str | None = None) -> str:
        """The bot's DM with ``user``: from the payload, this process's memo, the stored
        address, or (once) ``conversations.open``."""
        if hint:
            self.dm[user] = hint
            return hint
        if user not in self.dm:
            stored = stored_channel(
                await asyncio.to_thread(directory.stored_address, self.factory, PLATFORM, user)
            )
            self.dm[user] = stored or await open_dm(self.client, user)
        return self.dm[user]

    async def apologise(self, user: str, channel: str | None) -> None:
        try:
            locale = await asyncio.to_thread(directory.locale_of, self.factory, PLATFORM, user)
            target = channel or await self.dm_channel(user)
            apology = Message().text(Texts(locale).t("common.apology"))
            await self.sender.post(target, render_message(apology))
        except Exception:
            log.exception("slack apology could not be sent: user=%s", user)
