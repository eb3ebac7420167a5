"""The work behind the acks is bounded, served in arrival order per person, never dropped."""

from __future__ import annotations

import asyncio

from adapters.backlog import Backlog


async def test_a_burst_waits_for_places_and_every_request_is_served() -> None:
    backlog = Backlog(limit=3)
    served: list[int] = []

    async def request(n: int) -> None:
        async with backlog.admit():
            await asyncio.sleep(0.001)
            served.append(n)

    await asyncio.gather(*(request(n) for n in range(200)))
    assert sorted(served) == list(range(200))  # nothing dropped
    assert backlog.peak == 3 and backlog.active == 0
    assert served == list(range(200))  # first come, first served


async def test_work_after_the_ack_counts_so_new_requests_wait_for_it() -> None:
    backlog = Backlog(limit=2)
    release = asyncio.Event()

    async def work_behind_ack() -> None:
        async with backlog.working():
            await release.wait()

    workers = [asyncio.create_task(work_behind_ack()) for _ in range(2)]
    await asyncio.sleep(0)
    admitted = asyncio.create_task(backlog.enter())
    await asyncio.sleep(0.01)
    assert not admitted.done()  # the backlog is full: the request waits before its ack
    release.set()
    await asyncio.wait_for(admitted, 1)
    backlog.end()
    await asyncio.gather(*workers)
    assert backlog.active == 0


async def test_one_persons_works_run_in_arrival_order_others_alongside() -> None:
    backlog = Backlog(limit=100)
    log: list[str] = []

    async def work(person: str, n: int, pause: float) -> None:
        async def run() -> None:
            await asyncio.sleep(pause)
            log.append(f"{person}{n}")

        await backlog.in_order(person, run)

    await asyncio.gather(
        work("a", 1, 0.03), work("a", 2, 0.0), work("b", 1, 0.0), work("a", 3, 0.01)
    )
    assert [e for e in log if e.startswith("a")] == ["a1", "a2", "a3"]
    assert log[0] == "b1"  # another person's work does not wait behind a's
    assert backlog._locks == {}  # no lock is kept for people with nothing queued
