"""Platform limits for the whole deployment: the send budgets in PostgreSQL.

Several ``clock`` processes send for one Slack workspace or one Teams app, so the budgets of
``bot.ratelimit`` cannot live in one process's memory. Here each budget is a row of
``send_budget`` (``slack:*`` for the workspace, ``slack:C123`` for a channel). A send reserves
its moment in one short transaction: lock the channel's and the platform's rows (in key order,
so two workers never deadlock), compute the moment on the *database's* clock (hosts' clocks
may differ; the database's is the one every worker shares), move both on, commit. The worker
then waits for its moment without holding any lock or send slot.

What a process reserved for a channel it remembers, so it waits for the channel before taking
a send slot without asking the database; a channel another worker used meanwhile only makes
the reservation later, never two sends too close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.ratelimit import DEFAULT_HEADROOM, PlatformLimit, pacings, reserve
from storage.db import transaction
from storage.models import SendBudget

EPOCH_NOW = func.extract("epoch", func.clock_timestamp())
FORGET_AFTER = 3600.0  # seconds: a budget idle this long is deleted (it would reserve "now")


def overall_key(platform: str) -> str:
    return f"{platform}:*"


def channel_key(platform: str, channel: str) -> str:
    return f"{platform}:{channel}"[:300]


class SharedRateLimiter:
    """The budgets of every worker of a deployment, in PostgreSQL."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        limits: Mapping[str, PlatformLimit],
        headroom: float = DEFAULT_HEADROOM,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_channels: int = 50_000,
    ) -> None:
        self.factory = factory
        self.limits = dict(limits)
        self._headroom = headroom
        self._sleep = sleep
        self._known: dict[tuple[str, str], float] = {}  # channel -> monotonic moment it is free
        self._max_channels = max_channels
        self._last_prune = 0.0

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    def channel_delay(self, platform: str, channel: str) -> float:
        return max(0.0, self._known.get((platform, channel), 0.0) - time.monotonic())

    def reserve(self, platform: str, channel: str) -> float:
        """One transaction: reserve the next moment; return the seconds to wait for it."""
        limit = self.limits.get(platform)
        if limit is None:
            return 0.0
        channel_pacing, overall_pacing = pacings(limit, self._headroom)
        keys = sorted([channel_key(platform, channel), overall_key(platform)])
        pacing = {
            channel_key(platform, channel): channel_pacing,
            overall_key(platform): overall_pacing,
        }
        with transaction(self.factory) as session:
            now, tats = self._lock(session, keys)
            at, new = reserve(
                [tats[k] for k in keys],
                [pacing[k] for k in keys],
                now,
            )
            for key, tat in zip(keys, new, strict=True):
                session.execute(update(SendBudget).where(SendBudget.key == key).values(tat=tat))
        wait = at - now
        if len(self._known) >= self._max_channels:
            self._known.clear()
        self._known[(platform, channel)] = (
            time.monotonic() + wait + channel_pacing.interval - channel_pacing.tolerance
        )
        return wait

    @staticmethod
    def _lock(session: Session, keys: list[str]) -> tuple[float, dict[str, float]]:
        """Lock the budgets' rows (creating the missing ones); the database's 'now' too."""
        query = (
            select(SendBudget.key, SendBudget.tat, EPOCH_NOW)
            .where(SendBudget.key.in_(keys))
            .order_by(SendBudget.key)
            .with_for_update()
        )
        rows = session.execute(query).all()
        if len(rows) < len(keys):
            session.execute(
                insert(SendBudget)
                .values([{"key": k, "tat": 0.0} for k in keys])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            rows = session.execute(query).all()
        return float(rows[0][2]), {str(k): float(t) for k, t, _ in rows}

    async def acquire(self, platform: str, channel: str) -> None:
        await self.sleep(await asyncio.to_thread(self.reserve, platform, channel))

    async def pause(
        self, platform: str, channel: str, seconds: float, overall: bool = False
    ) -> None:
        await asyncio.to_thread(self._pause, platform, channel, seconds, overall)

    def _pause(self, platform: str, channel: str, seconds: float, overall: bool) -> None:
        keys = sorted(
            [channel_key(platform, channel)] + ([overall_key(platform)] if overall else [])
        )
        with transaction(self.factory) as session:
            now, tats = self._lock(session, keys)
            for key in keys:
                values: dict[str, Any] = {"tat": max(tats[key], now + seconds)}
                session.execute(update(SendBudget).where(SendBudget.key == key).values(**values))
        self._known[(platform, channel)] = time.monotonic() + seconds

    def prune(self) -> int:
        """Delete channel budgets idle for an hour (at most once a minute per process)."""
        if time.monotonic() - self._last_prune < 60.0:
            return 0
        self._last_prune = time.monotonic()
        with transaction(self.factory) as session:
            result = session.execute(
                delete(SendBudget).where(
                    SendBudget.tat < EPOCH_NOW - FORGET_AFTER, ~SendBudget.key.endswith(":*")
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
