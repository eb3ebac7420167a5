"""Back-pressure for the work a web process does after acknowledging a request.

Slack wants an ack within 3 seconds and Teams within 15, so the adapters acknowledge first and
work afterwards. Without a bound, a burst of events becomes as many waiting tasks, each with
its payload, and the process's memory follows the burst. ``Backlog`` bounds it: at most
``limit`` requests are being admitted or worked on; the next request waits for a place
*before* it is acknowledged, so its connection (and the platform's retry) holds it, not our
memory. Nothing is dropped: a waiting request is served as soon as a place is free, in arrival
order (waiters are woken one at a time, first come first served).

``in_order`` runs the works of one key (a person, a conversation) one after the other in
arrival order, with one lock per key that is forgotten as soon as nobody waits on it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

T = TypeVar("T")

MAX_PENDING = 256
"""Requests admitted or worked on at once per adapter: enough to keep the engine's threads
and the platform calls busy, small enough that a burst of 50,000 events costs no memory."""


class Backlog:
    """At most ``limit`` admitted-or-running works; ``admit`` waits for a free place."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.active = 0
        self.peak = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def _wake_one(self) -> None:
        while self._waiters and self.active < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self.begin()  # the place is handed over, not raced for
                return

    def begin(self) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)

    def end(self) -> None:
        self.active -= 1
        self._wake_one()

    async def enter(self) -> None:
        """Take a place, waiting for one; the caller must ``end()`` it."""
        if self.active < self.limit and not self._waiters:
            self.begin()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.end()  # we were handed a place but leave: pass it on
            raise

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a place while a request is admitted (e.g. while it is dispatched and acked)."""
        await self.enter()
        try:
            yield
        finally:
            self.end()

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Hold a place while work runs after the ack (counted, never waiting: the request
        that started it already waited)."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    async def in_order(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` after every earlier work of ``key`` (arrival order per person)."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
