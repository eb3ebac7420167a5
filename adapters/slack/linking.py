"""Engine turns for Slack users, and the first contact that links a user by email.

Slack events carry a user id, not an email. The first time a user writes, before the engine
runs, their profile is fetched once (``users.info``) and its email rides on the ``Inbound``;
the engine links the user to the person with that email. Everyone already linked goes straight
to the engine, so each event runs the engine once.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from adapters.backlog import Backlog
from adapters.slack.inbound import UNKNOWN_USER_ERRORS
from adapters.slack.sender import PLATFORM
from conversations import directory
from conversations.engine import Engine
from conversations.messages import Inbound, Outbound

log = logging.getLogger(__name__)

TURNS_AT_ONCE = 2
"""Engine turns running at once in one web process (threads compete for the GIL)."""


class EngineTurns:
    """Runs the engine for Slack users, linking each by email on first contact."""

    def __init__(
        self, engine: Engine, factory: sessionmaker[Session], client: AsyncWebClient
    ) -> None:
        self.engine = engine
        self.factory = factory
        self.client = client
        self._turns = asyncio.Semaphore(TURNS_AT_ONCE)
        self._first_contacts = Backlog(1)  # only its per-user order is used

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Run the engine once; a user not linked yet brings their email and name."""
        if inbound.email is None:
            outbounds = await self._turn_if_linked(inbound)
            if outbounds is not None:
                return outbounds
            # one first contact at a time per user in this process, so that a DM and a
            # command sent together ask users.info once; linking itself is safe across
            # processes (the engine inserts the identity with insert-or-ignore)
            return await self._first_contacts.in_order(inbound.user, lambda: self._link(inbound))
        return await self.turn(inbound)

    async def _turn_if_linked(self, inbound: Inbound) -> list[Outbound] | None:
        """The turn of a linked user, whose check is the turn's own first read (one worker
        thread and one session per event); None, and nothing done, for a user not linked yet."""
        async with self._turns:
            return await asyncio.to_thread(self.engine.handle_if_linked, inbound)

    async def _link(self, inbound: Inbound) -> list[Outbound]:
        if not await self._linked(inbound.user):  # unless the user's other event just did
            email, name = await self.profile(inbound.user)
            if email:
                inbound = inbound.model_copy(update={"email": email, "display_name": name})
        return await self.turn(inbound)

    async def _linked(self, user: str) -> bool:
        return await asyncio.to_thread(directory.linked, self.factory, PLATFORM, user)

    async def turn(self, inbound: Inbound) -> list[Outbound]:
        """One engine turn in a worker thread; at most ``TURNS_AT_ONCE`` run together, so a
        burst of events queues here instead of starving the event loop that sends the acks."""
        async with self._turns:
            return await asyncio.to_thread(self.engine.handle, inbound)

    async def profile(self, user: str) -> tuple[str | None, str | None]:
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
