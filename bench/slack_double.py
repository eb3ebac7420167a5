"""A local double of Slack's ``chat.postMessage`` for load tests and benchmarks.

An aiohttp server on 127.0.0.1 that answers like Slack's Web API (``{"ok": true, "ts": …}``)
after a configurable latency, enforces Slack-like rate limits itself (per channel and for the
workspace, answering HTTP 429 with ``Retry-After`` when exceeded), can inject a share of
429s and 500s at random, and records every accepted post with the outbox key the bot sent in
the ``X-Mentorbot-Outbox-Key`` header. It runs in its own thread with its own event loop, so
a test can drive separate ``mentorbot clock`` processes against it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web

KEY_HEADER = "X-Mentorbot-Outbox-Key"


@dataclass
class Post:
    key: str
    channel: str
    text: str
    at: float
    blocks: str = ""  # the Block Kit blocks as posted (JSON), for tests that read the whole text


@dataclass
class DoubleConfig:
    latency: float = 0.0
    per_channel_rate: float | None = None  # posts/s allowed per channel (bucket of 1)
    workspace_rate: float | None = None  # posts/s for the workspace (bucket of one second)
    fail_429: float = 0.0  # share of calls answered 429 + Retry-After at random
    fail_500: float = 0.0  # share of calls answered 500 at random
    retry_after: int = 1
    seed: int = 7


@dataclass
class _Bucket:
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


@dataclass
class SlackPostDouble:
    """Start with ``start()``; ``posts`` are the accepted posts; ``status_counts`` all answers."""

    config: DoubleConfig = field(default_factory=DoubleConfig)
    posts: list[Post] = field(default_factory=list)
    status_counts: Counter[int] = field(default_factory=Counter)
    limited: int = 0  # 429s provoked by exceeding the rate limits (not injected)
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._ts = itertools.count(1)
        self._channels: dict[str, _Bucket] = {}
        self._workspace: _Bucket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> SlackPostDouble:
        self._thread = threading.Thread(target=self._run, name="slack-double", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Slack double did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = int(runner.addresses[0][1])
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def keys(self) -> Counter[str]:
        """How many distinct messages were accepted per outbox key."""
        with self._lock:
            return Counter(p.key for p in {(p.key, p.text): p for p in self.posts}.values())

    def duplicates(self) -> set[str]:
        """Outbox keys of which the same post was accepted more than once."""
        with self._lock:
            seen = Counter((p.key, p.text) for p in self.posts)
        return {key for (key, _), n in seen.items() if n > 1}

    def violations(self, per_channel: float, overall: float) -> tuple[int, int]:
        """Seconds (of the double's clock) in which more posts arrived than the limits allow:
        (in the whole workspace, summed over channels)."""
        with self._lock:
            posts = list(self.posts)
        return count_violations([(p.at, p.channel) for p in posts], per_channel, overall)

    def rate(self) -> float:
        """Accepted posts per second from the first post to the last."""
        with self._lock:
            times = sorted(p.at for p in self.posts)
        if len(times) < 2 or times[-1] == times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def _allowed(self, channel: str, now: float) -> bool:
        cfg = self.config
        if cfg.per_channel_rate is not None:
            bucket = self._channels.get(channel)
            if bucket is None:
                bucket = _Bucket(cfg.per_channel_rate, 1.0, 1.0, now)
                self._channels[channel] = bucket
            if not bucket.take(now):
                return False
        if cfg.workspace_rate is not None:
            if self._workspace is None:
                rate = cfg.workspace_rate
                self._workspace = _Bucket(rate, rate, rate, now)
            if not self._workspace.take(now):
                return False
        return True

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(parse_qsl(await request.text()))
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        if method != "chat.postMessage":
            return web.json_response({"ok": False, "error": "unknown_method"})
        channel = str(args.get("channel", ""))
        now = time.monotonic()
        with self._lock:
            roll = self._rng.random()
            if roll < self.config.fail_429:
                self.status_counts[429] += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(self.config.retry_after)},
                )
            if roll < self.config.fail_429 + self.config.fail_500:
                self.status_counts[500] += 1
                return web.json_response({"ok": False, "error": "internal_error"}, status=500)
            if not self._allowed(channel, now):
                self.status_counts[429] += 1
                self.limited += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(self.config.retry_after)},
                )
            self.status_counts[200] += 1
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            self.posts.append(
                Post(
                    key=request.headers.get(KEY_HEADER, ""),
                    channel=channel,
                    text=str(args.get("text", "")),
                    at=now,
                    blocks=str(args.get("blocks", "")),
                )
            )
        return web.json_response({"ok": True, "channel": channel, "ts": ts})


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


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)
