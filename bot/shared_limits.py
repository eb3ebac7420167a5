"""Platform limits for the whole deployment: the send budgets in PostgreSQL.

Several ``clock`` processes send for one Slack workspace or one Teams app, so the budgets of
``bot.ratelimit`` cannot live in one process's memory. Here each budget is a row of
``send_budget`` (``slack:*`` for the workspace, ``slack:C123`` for a channel). A send reserves
its moment in one short transaction: lock the channel's and the platform's rows (in key order,
so two workers never deadlock), compute the moment on the *database's* clock (hosts' clocks
may differ; the database's is the one every worker shares), move both on, commit. The worker
reserves while it holds a send slot (so the moment is when the send really leaves) and waits
for it holding no lock; when another worker holds the channel it reserves nothing, gives the
slot back and waits for the channel outside it.

What a process reserved for a channel it remembers, so it waits for the channel before taking
a send slot without asking the database; a channel another worker used meanwhile only makes
the reservation later, never two sends too close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from bot.ratelimit import DEFAULT_HEADROOM, Pacing, PlatformLimit, allowed_lateness, pacings
from storage.db import transaction
from storage.send_budget import create_budgets, forget_idle, pause_budget, reserve_moment

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
        self._created: set[str] = set()  # budget rows known to exist
        self._autocommit = factory.kw["bind"].execution_options(isolation_level="AUTOCOMMIT")
        self._allowed_late = allowed_lateness(headroom)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    def channel_delay(self, platform: str, channel: str) -> float:
        return max(0.0, self._known.get((platform, channel), 0.0) - time.monotonic())

    def reserve(self, platform: str, channel: str) -> float:
        """Reserve the channel's next moment (and the platform's, when the channel is free);
        return the seconds to wait for it."""
        return self._reserve(platform, channel)[0]

    def _reserve(self, platform: str, channel: str) -> tuple[float, bool]:
        """One statement: (seconds to wait, whether the moment is reserved; if not, the wait
        is for the channel's next moment, after which the caller asks again)."""
        limit = self.limits.get(platform)
        if limit is None:
            return 0.0, True
        channel_pacing, overall_pacing = pacings(limit, self._headroom)
        keys = (channel_key(platform, channel), overall_key(platform))
        params = {
            "c": keys[0],
            "o": keys[1],
            "ctol": channel_pacing.tolerance,
            "otol": overall_pacing.tolerance,
            "ci": channel_pacing.interval,
            "oi": overall_pacing.interval,
        }
        for _ in range(3):
            if not self._created.issuperset(keys):
                self._create(keys)
            with self._autocommit.connect() as conn:  # the locks end with the statement
                row = reserve_moment(conn, params)
            if row is not None:
                break
            self._created.difference_update(keys)  # pruned meanwhile: create again
        else:  # pragma: no cover - only if the rows vanish three times in a row
            raise RuntimeError("send budget rows could not be reserved")
        at, now, ready = float(row[0]), float(row[1]), bool(row[2])
        wait = max(0.0, at - now)
        if len(self._known) >= self._max_channels:
            self._known.clear()
        free_in = wait + (channel_pacing.interval - channel_pacing.tolerance if ready else 0.0)
        self._known[(platform, channel)] = time.monotonic() + free_in
        return wait, ready

    def _create(self, keys: tuple[str, ...]) -> None:
        with transaction(self.factory) as session:
            create_budgets(session, keys)
        if len(self._created) >= self._max_channels:
            self._created.clear()
        self._created.update(keys)

    async def acquire(self, platform: str, channel: str, may_give_up: bool = True) -> bool:
        """Reserve a moment and wait for it. False when another worker holds the channel
        (nothing reserved), or when the wait overslept the moment (a stalled process) and
        ``may_give_up``: the moment is given up (``allowed_lateness``). Either way the
        channel's next moment is then in ``channel_delay``. A send that leaves late all the
        same moves the channel's budget on from now, so another worker's next send there
        keeps its distance from this one."""
        if platform not in self.limits:
            return True
        ready, due = await asyncio.to_thread(self._reserved, platform, channel)
        if not ready:  # its moment is in ``channel_delay``: waited for outside the slot
            return False
        await self.sleep(due - time.monotonic())
        if time.monotonic() - due > self._allowed_late:
            if may_give_up:
                return False
            await asyncio.to_thread(self._push, platform, channel)
        return True

    def _reserved(self, platform: str, channel: str) -> tuple[bool, float]:
        """``_reserve`` and the moment due on this process's clock, taken as the statement
        returned: a loop slow to resume after the thread counts as lateness too."""
        wait, ready = self._reserve(platform, channel)
        return ready, time.monotonic() + wait

    def _channel_pacing(self, limit: PlatformLimit) -> Pacing:
        return pacings(limit, self._headroom)[0]

    def _free_from_now(self, platform: str, channel: str, seconds: float) -> None:
        """This process will not send to ``channel`` for ``seconds`` (what it knows already
        may keep it longer)."""
        key = (platform, channel)
        self._known[key] = max(self._known.get(key, 0.0), time.monotonic() + seconds)

    def _push(self, platform: str, channel: str) -> None:
        interval = self._channel_pacing(self.limits[platform]).interval
        with self._autocommit.connect() as conn:
            pause_budget(conn, channel_key(platform, channel), interval)
        self._free_from_now(platform, channel, interval)

    def sent(self, platform: str, channel: str) -> None:
        limit = self.limits.get(platform)
        if limit is not None:
            pacing = self._channel_pacing(limit)
            self._free_from_now(platform, channel, pacing.interval - pacing.tolerance)

    async def pause(
        self, platform: str, channel: str, seconds: float, overall: bool = False
    ) -> None:
        await asyncio.to_thread(self._pause, platform, channel, seconds, overall)

    def _pause(self, platform: str, channel: str, seconds: float, overall: bool) -> None:
        keys = [channel_key(platform, channel)] + ([overall_key(platform)] if overall else [])
        with self._autocommit.connect() as conn:
            for key in keys:
                pause_budget(conn, key, seconds)
        self._known[(platform, channel)] = time.monotonic() + seconds

    def prune(self) -> int:
        """Delete channel budgets idle for an hour (at most once a minute per process)."""
        if time.monotonic() - self._last_prune < 60.0:
            return 0
        self._last_prune = time.monotonic()
        with transaction(self.factory) as session:
            return forget_idle(session, FORGET_AFTER)
