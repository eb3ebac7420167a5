"""Per-platform send limits: one budget per channel (conversation) and one per workspace/app.

Every budget is a GCRA ("virtual scheduling"): it keeps the theoretical arrival time ``tat``
of its next send. A send *reserves* a moment for itself in the channel's budget and the
platform's budget at once, ``t = max(now, tat_channel - tolerance, tat_overall - tolerance)``,
moves both ``tat`` on by one interval, and leaves at ``t``. Reserving is instant; only the wait
until ``t`` takes time, so a worker can tell the moment a channel is free without holding a
send slot while it waits (``channel_delay``). The delivery worker reserves only once it holds a
send slot, so ``t`` is when the send really leaves; and when the platform has answered, the
channel's next send is spaced from that answer (``sent``), so a send that left late or was
slow on the wire never arrives less than an interval before the next.

Sends are paced at ``headroom`` (default 90 %) of the configured limits: timers and networks
jitter by milliseconds, and a platform counts strictly, so a message that leaves a few
milliseconds late must not land in the same second as the next one. A send much later than
its moment (the process stalled: a long render, a garbage collection, a busy machine) does
not leave then: it would land together with the sends due at that time, more in one second
than the platform allows. It takes a new moment instead (``allowed_lateness``), a few times
at most.

``RateLimiter`` keeps the budgets in memory: right for one process (SQLite, the console,
tests). ``bot.shared_limits.SharedRateLimiter`` keeps the same budgets in PostgreSQL, so every
worker of a deployment shares them. Both take an injected clock and sleep, so a test can run
a minute of pacing without waiting a minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

DEFAULT_HEADROOM = 0.9
MOMENTS_GIVEN_UP = 3
"""How many moments one send gives up for being late before it leaves late anyway: a process
that is late at every wake-up must still deliver (at a quarter of its rate at worst, and the
platform's 429 then paces it)."""
TIMER_SLACK = 0.005  # seconds: a timer on a busy machine is this late without anything wrong


@dataclass(frozen=True)
class PlatformLimit:
    """Messages per second per channel (conversation) and for the whole platform; the bursts
    are how many messages may leave back to back after a quiet spell (default 1: none)."""

    per_channel: float
    overall: float
    channel_burst: float = 1.0
    overall_burst: float = 1.0


@dataclass(frozen=True)
class Pacing:
    """A budget's interval between sends and how far ahead of ``tat`` a send may leave."""

    interval: float
    tolerance: float

    @classmethod
    def of(cls, rate: float, burst: float, headroom: float) -> Pacing:
        interval = 1.0 / (rate * headroom)
        return cls(interval, max(0.0, burst - 1.0) * interval)


def reserve(tats: list[float], pacings: list[Pacing], now: float) -> tuple[float, list[float]]:
    """The moment a send may leave under every budget, and each budget's next ``tat``."""
    at = max([now, *(tat - p.tolerance for tat, p in zip(tats, pacings, strict=True))])
    return at, [max(tat, at) + p.interval for tat, p in zip(tats, pacings, strict=True)]


def pacings(limit: PlatformLimit, headroom: float) -> tuple[Pacing, Pacing]:
    """(channel, overall) pacing of a platform."""
    return (
        Pacing.of(limit.per_channel, limit.channel_burst, headroom),
        Pacing.of(limit.overall, limit.overall_burst, headroom),
    )


def allowed_lateness(headroom: float) -> float:
    """How late a send may leave after its reserved moment: the rule both limiters follow.

    Paced at ``headroom`` of a limit, the sends a platform allows in one second are spread
    over ``1/headroom`` seconds (1.11 s at 90 %, and at a channel's one a second, its next
    send comes 1.11 s after the last). So a second may hold sends that left up to
    ``1/headroom - 1`` seconds (0.11 s) after their moments without holding more than the
    limit. A send may be late by half of that; the other half is left for the network. A
    later send gives its moment up (``MOMENTS_GIVEN_UP`` times at most: the worker counts)."""
    return max(TIMER_SLACK, (1.0 / headroom - 1.0) / 2)


class Limiter(Protocol):
    """What the delivery worker needs from a limiter, in memory or shared."""

    def channel_delay(self, platform: str, channel: str) -> float:
        """Seconds until a send to ``channel`` could leave as far as this process knows (the
        worker waits this long *before* taking a send slot)."""
        ...

    async def acquire(self, platform: str, channel: str, may_give_up: bool = True) -> bool:
        """Reserve a moment in the channel's and the platform's budget and wait for it; the
        worker holds its send slot already, so the moment is the one the send really leaves.
        False when another worker took the channel meanwhile (nothing reserved), or when the
        wait overslept the moment (``allowed_lateness``) and ``may_give_up``: the worker gives its
        slot back and waits ``channel_delay`` again."""
        ...

    def sent(self, platform: str, channel: str) -> None:
        """The platform answered a send to ``channel`` just now: this process's next send
        there is spaced from now, not from the reserved moment (a send that left late, or
        took long on the wire, still leaves a whole interval to the next)."""
        ...

    async def pause(
        self, platform: str, channel: str, seconds: float, overall: bool = False
    ) -> None:
        """The platform said 'slow down' (429 + Retry-After): hold the channel (or all)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RateLimiter:
    """The budgets of one process, in memory."""

    def __init__(
        self,
        limits: Mapping[str, PlatformLimit],
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_channels: int = 50_000,
        headroom: float = DEFAULT_HEADROOM,
    ) -> None:
        self.limits = dict(limits)
        self.now = now
        self._sleep = sleep
        self._headroom = headroom
        self._overall: dict[str, float] = {}
        self._channels: dict[tuple[str, str], float] = {}
        self._max_channels = max_channels
        self._allowed_late = allowed_lateness(headroom)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    def channel_delay(self, platform: str, channel: str) -> float:
        limit = self.limits.get(platform)
        if limit is None:
            return 0.0
        channel_pacing, _ = pacings(limit, self._headroom)
        tat = self._channels.get((platform, channel), 0.0)
        return max(0.0, tat - channel_pacing.tolerance - self.now())

    def _reserve(self, platform: str, channel: str) -> float:
        """Reserve the next moment for a send: the moment, on ``now``'s clock."""
        limit = self.limits.get(platform)
        if limit is None:
            return self.now()
        if len(self._channels) >= self._max_channels:
            self._forget_idle()
        now = self.now()
        key = (platform, channel)
        at, (channel_tat, overall_tat) = reserve(
            [self._channels.get(key, 0.0), self._overall.get(platform, 0.0)],
            list(pacings(limit, self._headroom)),
            now,
        )
        self._channels[key] = channel_tat
        self._overall[platform] = overall_tat
        return at

    async def acquire(self, platform: str, channel: str, may_give_up: bool = True) -> bool:
        at = self._reserve(platform, channel)
        await self.sleep(at - self.now())
        return not (may_give_up and self.now() - at > self._allowed_late)

    def sent(self, platform: str, channel: str) -> None:
        limit = self.limits.get(platform)
        if limit is None:
            return
        channel_pacing, _ = pacings(limit, self._headroom)
        key = (platform, channel)
        self._channels[key] = max(
            self._channels.get(key, 0.0), self.now() + channel_pacing.interval
        )

    async def pause(
        self, platform: str, channel: str, seconds: float, overall: bool = False
    ) -> None:
        until = self.now() + seconds
        key = (platform, channel)
        self._channels[key] = max(self._channels.get(key, 0.0), until)
        if overall:
            self._overall[platform] = max(self._overall.get(platform, 0.0), until)

    def _forget_idle(self) -> None:
        """Drop channel budgets whose moment has passed (their history no longer matters)."""
        now = self.now()
        for key, tat in list(self._channels.items()):
            if tat <= now:
                del self._channels[key]
