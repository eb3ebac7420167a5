"""Per-platform send limits: a token bucket per channel and one for the whole workspace/app.

Sends are spaced so that a burst of thousands of queued nudges stays under the platform's
limits instead of provoking 429s. A 429 with ``Retry-After`` pauses the bucket it hit.
Defaults (configurable in settings): Slack ``chat.postMessage`` 1 message/s per channel and a
workspace budget; Teams 7/s per conversation and 30/s per app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformLimit:
    """Messages per second per channel (conversation) and for the whole platform."""

    per_channel: float
    overall: float
    channel_burst: float = 1.0
    overall_burst: float | None = None  # default: a tenth of a second's worth (absorbs jitter)


class TokenBucket:
    """``rate`` tokens per second up to ``capacity``; ``pause`` blocks it for a while."""

    def __init__(self, rate: float, capacity: float, now: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self._now = now
        self.updated = now()
        self.blocked_until = 0.0

    def _refill(self) -> float:
        now = self._now()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        now = self._refill()
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0

    def pause(self, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, self._now() + seconds)
        self.tokens = min(self.tokens, 0.0)


class RateLimiter:
    """Waits until a send to ``(platform, channel)`` is within every applicable limit."""

    def __init__(
        self,
        limits: Mapping[str, PlatformLimit],
        now: Callable[[], float] = time.monotonic,
        max_channels: int = 50_000,
    ) -> None:
        self.limits = dict(limits)
        self._now = now
        self._overall: dict[str, TokenBucket] = {}
        self._channels: dict[tuple[str, str], TokenBucket] = {}
        self._max_channels = max_channels

    def _buckets(self, platform: str, channel: str) -> list[TokenBucket]:
        limit = self.limits.get(platform)
        if limit is None:
            return []
        overall = self._overall.get(platform)
        if overall is None:
            burst = limit.overall_burst or max(1.0, limit.overall / 10)
            overall = TokenBucket(limit.overall, burst, self._now)
            self._overall[platform] = overall
        key = (platform, channel)
        bucket = self._channels.get(key)
        if bucket is None:
            if len(self._channels) >= self._max_channels:
                self._forget_idle()
            bucket = TokenBucket(limit.per_channel, limit.channel_burst, self._now)
            self._channels[key] = bucket
        return [bucket, overall]

    def _forget_idle(self) -> None:
        """Drop channel buckets that are full again (their history no longer matters)."""
        for key, bucket in list(self._channels.items()):
            if bucket.wait_time() == 0.0 and bucket.tokens >= bucket.capacity:
                del self._channels[key]

    async def acquire(self, platform: str, channel: str) -> None:
        """Wait for a token in the channel's bucket and the platform's, then take both."""
        buckets = self._buckets(platform, channel)
        while True:
            wait = max((b.wait_time() for b in buckets), default=0.0)
            if wait <= 0.0:
                for b in buckets:
                    b.take()
                return
            await asyncio.sleep(wait)

    def pause(self, platform: str, channel: str, seconds: float, overall: bool = False) -> None:
        """The platform said 'slow down' (429 + Retry-After): hold the channel (or all)."""
        buckets = self._buckets(platform, channel)
        targets = buckets if overall else buckets[:1]
        for b in targets:
            b.pause(seconds)
