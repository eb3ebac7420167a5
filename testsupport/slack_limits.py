"""How the Slack double behaves under load: latency, Slack-like rate limits (token buckets per
channel and for the workspace), injected faults, and the posts it accepted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

KEY_HEADER = "X-Mentorbot-Outbox-Key"
"""The header carrying the outbox row's dedupe key (``bot.slack_client``)."""


@dataclass
class Post:
    """One ``chat.postMessage`` Slack accepted: with its outbox key, when it arrived."""

    key: str
    channel: str
    text: str
    at: float
    blocks: str = ""  # the Block Kit blocks as posted (JSON), for tests that read the whole text


@dataclass
class DoubleConfig:
    """How ``chat.postMessage`` behaves under load (the defaults: at once, never limited)."""

    latency: float = 0.0
    per_channel_rate: float | None = None  # posts/s allowed per channel (bucket of 1)
    workspace_rate: float | None = None  # posts/s for the workspace (bucket of one second)
    fail_429: float = 0.0  # share of calls answered 429 + Retry-After at random
    fail_500: float = 0.0  # share of calls answered 500 at random
    retry_after: int = 1
    seed: int = 7


@dataclass
class Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def count_violations(
    posts: list[tuple[float, str]], per_channel: float, overall: float
) -> tuple[int, int]:
    """Whole seconds with more than ``overall`` posts, and (channel, second) pairs with more
    than ``per_channel`` posts: how an operator counting a platform's limits would see it."""
    seconds = Counter(int(at) for at, _ in posts)
    channels = Counter((channel, int(at)) for at, channel in posts)
    return (
        sum(1 for n in seconds.values() if n > overall),
        sum(1 for n in channels.values() if n > per_channel),
    )
