"""Delivery with several workers: shared platform limits, renewed leases, a clean stop.

Workers here are separate ``DeliveryWorker``s, each with its own engine and its own limiter
(nothing shared in memory), against the local Slack double, which counts the posts of every
second overall and per channel.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.sender import SlackSender
from bot import demo
from bot.delivery import DeliveryConfig, DeliveryReport, DeliveryWorker
from bot.ratelimit import MOMENTS_GIVEN_UP, Limiter, PlatformLimit, RateLimiter
from bot.shared_limits import SharedRateLimiter
from bot.slack_client import KeyedWebClient
from conversations.clock import SettableClock
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Outbox, OutboxStatus, Person
from tests.teams.driver import TeamsDriver
from tests.test_delivery import NOW, queue, statuses
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, ThreadedSlackApi
from testsupport.slack_limits import count_violations
from testsupport.teams_connector import Posted

pytestmark = pytest.mark.postgres  # several workers need PostgreSQL: run them there too


@pytest.fixture
def double() -> Iterator[ThreadedSlackApi]:
    d = ThreadedSlackApi(DoubleConfig()).start()
    yield d
    d.stop()


def needs_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several delivery workers need PostgreSQL (SKIP LOCKED); SQLite: one worker")


def shared_worker(
    database_url: str, double: ThreadedSlackApi, limits: PlatformLimit, **config: object
) -> tuple[DeliveryWorker, Engine]:
    """A worker as another process would build it: its own engine and limiter."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
    worker = DeliveryWorker(
        factory,
        {"slack": SlackSender(client)},
        SharedRateLimiter(factory, {"slack": limits}),
        DeliveryConfig(**config),  # type: ignore[arg-type]
        rng=random.Random(3),
    )
    return worker, engine


async def deliver_together(built: list[tuple[DeliveryWorker, Engine]]) -> list[DeliveryReport]:
    """Every worker delivers what is due at once; their clients and engines closed after."""
    try:
        return list(await asyncio.gather(*(w.deliver_due(NOW) for w, _ in built)))
    finally:
        await close(built)


async def close(built: list[tuple[DeliveryWorker, Engine]]) -> None:
    for worker, engine in built:
        for sender in worker.senders.values():
            client = getattr(sender, "client", None)
            session = getattr(client, "session", None)
            if session is not None:
                await session.close()
        engine.dispose()


@pytest.mark.parametrize("workers", [2, 4])
async def test_workers_together_keep_the_workspace_and_channel_limits_and_use_them(
    workers: int,
    database_url: str,
    db_engine: Engine,
    factory: sessionmaker[Session],
    double: ThreadedSlackApi,
) -> None:
    needs_postgres(db_engine)
    seed_pairs(db_engine, 40, NOW)
    keys = queue(factory, per_person=3, people=80)  # three messages each: channels matter
    double.config.latency = 0.02
    double.config.per_channel_rate = 1.0
    double.config.workspace_rate = 20.0
    limits = PlatformLimit(per_channel=1.0, overall=20.0)
    built = [shared_worker(database_url, double, limits, batch_size=60) for _ in range(workers)]
    reports = await deliver_together(built)
    assert sum(r.sent for r in reports) == len(keys)
    assert sum(1 for r in reports if r.sent) >= 2  # the work really was shared
    assert double.duplicates() == set()
    assert double.limited == 0 and double.status_counts[429] == 0
    assert double.violations(per_channel=1.0, overall=20.0) == (0, 0)
    assert double.rate() >= 0.8 * 20.0


async def stall_now_and_then(every: float, stall: float) -> None:
    """Block the event loop for ``stall`` seconds after every ``every`` seconds of running, as a
    long render or a full garbage collection would (the double, in its own thread, keeps
    counting)."""
    while True:
        await asyncio.sleep(every)
        time.sleep(stall)


async def test_sends_whose_moment_passed_while_the_process_stalled_do_not_bunch_over_the_limit(
    database_url: str,
    db_engine: Engine,
    factory: sessionmaker[Session],
    double: ThreadedSlackApi,
) -> None:
    """Whenever the process resumes after a stall, the sends whose moments passed meanwhile
    would leave at once, on top of those due then: more posts in that second than the
    platform allows. A send that is late for its moment takes a new one instead. On
    PostgreSQL two workers share the budgets; on SQLite one worker keeps them in memory.
    Ten people get a second message, so a channel's spacing is counted too."""
    seed_pairs(db_engine, 40, NOW)
    keys = set(queue(factory, per_person=1, people=80)) | set(queue(factory, 2, people=10))
    limits = PlatformLimit(per_channel=1.0, overall=20.0)
    if db_engine.dialect.name == "postgresql":
        built = [shared_worker(database_url, double, limits) for _ in range(2)]
    else:
        client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
        alone = DeliveryWorker(
            factory, {"slack": SlackSender(client)}, RateLimiter({"slack": limits})
        )
        built = [(alone, db_engine)]
    stalls = asyncio.create_task(stall_now_and_then(every=0.6, stall=0.3))  # 0.3 s in 0.9 s
    try:
        reports = await deliver_together(built)
    finally:
        stalls.cancel()
    assert sum(r.sent for r in reports) == len(keys) and sorted(double.keys()) == sorted(keys)
    assert double.duplicates() == set()
    assert double.violations(per_channel=1.0, overall=20.0) == (0, 0)


async def test_sends_that_wait_for_a_send_slot_still_reach_each_channel_a_second_apart(
    database_url: str,
    db_engine: Engine,
    factory: sessionmaker[Session],
    double: ThreadedSlackApi,
) -> None:
    """Few send slots and a slow platform: a send often waits for a slot. Its moment in the
    channel's budget must be the moment it really leaves, or another worker's next send to
    that channel, leaving on time, reaches the platform less than a second later (a 429)."""
    needs_postgres(db_engine)
    seed_pairs(db_engine, 12, NOW)
    keys = queue(factory, per_person=3, people=24)
    double.config.latency = 0.3
    double.config.per_channel_rate = 1.0
    double.config.workspace_rate = 20.0
    limits = PlatformLimit(per_channel=1.0, overall=20.0)
    built = [
        shared_worker(database_url, double, limits, batch_size=8, concurrency=2) for _ in range(2)
    ]
    reports = await deliver_together(built)
    assert double.duplicates() == set()
    assert sorted(double.keys()) == sorted(keys)
    assert sum(r.sent for r in reports) == len(keys) and all(r.sent for r in reports)
    assert double.limited == 0
    assert double.violations(per_channel=1.0, overall=20.0) == (0, 0)


async def test_rows_waiting_for_their_turn_keep_their_lease_and_are_sent_once(
    database_url: str, db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    needs_postgres(db_engine)
    seed_pairs(db_engine, 50, NOW)
    keys = queue(factory, per_person=1, people=100)
    limits = PlatformLimit(per_channel=10.0, overall=40.0)
    # a lease of one second, and about three seconds of sends per claimed batch
    built = [
        shared_worker(database_url, double, limits, lease=timedelta(seconds=1), batch_size=100)
        for _ in range(2)
    ]
    reports = await deliver_together(built)
    assert double.duplicates() == set()
    assert sorted(double.keys()) == sorted(keys)
    assert sum(r.sent for r in reports) == len(keys)
    assert statuses(factory) == {OutboxStatus.SENT.value: len(keys)}


async def test_a_stop_finishes_the_sends_on_the_wire_and_gives_the_rest_back(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 20, NOW)
    keys = queue(factory, per_person=2, people=40)
    double.config.latency = 0.05
    client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
    limiter = RateLimiter({"slack": PlatformLimit(per_channel=5.0, overall=20.0)})
    w = DeliveryWorker(factory, {"slack": SlackSender(client)}, limiter, DeliveryConfig())
    running = asyncio.create_task(w.deliver_due(NOW))
    while len(double.posts) < 10:
        await asyncio.sleep(0.01)
    w.request_stop()
    report = await asyncio.wait_for(running, 10)
    posted = set(double.keys())
    assert 10 <= report.sent < len(keys) and report.released == len(keys) - report.sent
    assert statuses(factory) == {
        OutboxStatus.SENT.value: report.sent,
        OutboxStatus.PENDING.value: len(keys) - report.sent,
    }
    with factory() as s:
        sent_keys = set(
            s.scalars(select(Outbox.dedupe_key).where(Outbox.status == OutboxStatus.SENT.value))
        )
        attempts = set(
            s.scalars(select(Outbox.attempts).where(Outbox.status == OutboxStatus.PENDING.value))
        )
    assert sent_keys == posted and attempts == {0}  # a given-back row's attempt is not counted
    again = DeliveryWorker(factory, {"slack": SlackSender(client)}, limiter, DeliveryConfig())
    assert (await again.deliver_due(NOW)).sent == len(keys) - report.sent
    assert double.duplicates() == set() and sorted(double.keys()) == sorted(keys)


async def test_a_stop_while_a_send_waits_for_its_moment_sends_nothing_more(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    """The workspace allows one post a second: the second row waits for its moment inside its
    send slot, and the stop comes during that wait. It is given back, not sent."""
    seed_pairs(db_engine, 1, NOW)
    keys = queue(factory, per_person=1, people=2)
    client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
    stopping: list[DeliveryWorker] = []

    async def sleep(seconds: float) -> None:
        if seconds > 0.5:  # the second row's wait for the workspace's next moment
            stopping[0].request_stop()
        await asyncio.sleep(0)

    limiter = RateLimiter({"slack": PlatformLimit(per_channel=1.0, overall=1.0)}, sleep=sleep)
    w = DeliveryWorker(factory, {"slack": SlackSender(client)}, limiter, DeliveryConfig())
    stopping.append(w)
    report = await w.deliver_due(NOW)
    assert (report.sent, report.released) == (1, 1)
    assert len(double.keys()) == 1 and set(double.keys()) < set(keys)
    assert statuses(factory) == {OutboxStatus.SENT.value: 1, OutboxStatus.PENDING.value: 1}


class FakeTime:
    """A clock and a sleep that only move the clock: pacing without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def paced_on(t: FakeTime) -> Limiter:
    """Slack's limits (1/s per channel, 10/s overall) on the fake clock, without headroom."""
    return RateLimiter(
        {"slack": PlatformLimit(per_channel=1.0, overall=10.0)},
        now=lambda: t.now,
        sleep=t.sleep,
        headroom=1.0,
    )


async def test_the_limiter_paces_a_channel_and_the_platform_on_an_injected_clock() -> None:
    t = FakeTime()
    limiter = paced_on(t)
    moments = []
    for channel in ["A", "A", "B", "C", "A"]:
        await limiter.sleep(limiter.channel_delay("slack", channel))
        await limiter.acquire("slack", channel)
        moments.append(round(t.now - 1000.0, 6))
    # A waits a second for itself; B and C only for the workspace's tenth of a second
    assert moments == [0.0, 1.0, 1.1, 1.2, 2.0]
    await limiter.pause("slack", "B", 30.0)
    assert limiter.channel_delay("slack", "B") == pytest.approx(30.0)
    assert limiter.channel_delay("slack", "C") == pytest.approx(0.2)  # its second since 1.2
    assert limiter.channel_delay("slack", "D") == 0.0


async def test_a_channels_next_send_is_spaced_from_the_platforms_answer_not_the_moment() -> None:
    t = FakeTime()
    limiter = paced_on(t)
    assert await limiter.acquire("slack", "A")
    assert limiter.channel_delay("slack", "A") == pytest.approx(1.0)
    t.now += 0.4  # the post was slow on the wire (or left late)
    limiter.sent("slack", "A")
    assert limiter.channel_delay("slack", "A") == pytest.approx(1.0)  # from the answer
    assert limiter.channel_delay("slack", "B") == 0.0


class Oversleeping(FakeTime):
    """A fake clock whose sleeps wake up ``late_by`` seconds late, as in a stalled process."""

    def __init__(self, late_by: float) -> None:
        super().__init__()
        self.late_by = late_by

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + self.late_by)


async def test_a_send_that_overslept_its_moment_gives_it_up_unless_told_to_go() -> None:
    t = Oversleeping(late_by=0.2)
    limits = {"slack": PlatformLimit(per_channel=1.0, overall=10.0)}
    limiter = RateLimiter(limits, now=lambda: t.now, sleep=t.sleep)
    assert await limiter.acquire("slack", "A")  # at once: no wait, no lateness
    assert not await limiter.acquire("slack", "A")  # woke 0.2 s after its moment: given up
    # the channel's next moment is one interval (1/0.9 s) after the one given up
    assert limiter.channel_delay("slack", "A") == pytest.approx(1 / 0.9 - 0.2)
    assert await limiter.acquire("slack", "A", may_give_up=False)  # the last try goes late
    t.late_by = 0.05  # within half the headroom's spare time (0.056 s at 90 %)
    assert await limiter.acquire("slack", "A")


class CountingLimiter(RateLimiter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused = 0

    async def acquire(self, platform: str, channel: str, may_give_up: bool = True) -> bool:
        ok = await super().acquire(platform, channel, may_give_up)
        self.refused += not ok
        return ok


async def test_a_process_late_at_every_wake_up_still_sends_every_row(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    """Every wake-up is 0.2 s late: each send gives up its moment at most three times, then
    leaves late, so delivery goes on (slowly) instead of stopping."""
    seed_pairs(db_engine, 2, NOW)
    keys = queue(factory, per_person=3, people=4)
    t = Oversleeping(late_by=0.2)
    limiter = CountingLimiter(
        {"slack": PlatformLimit(per_channel=1.0, overall=10.0)}, now=lambda: t.now, sleep=t.sleep
    )
    client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
    w = DeliveryWorker(factory, {"slack": SlackSender(client)}, limiter, DeliveryConfig())
    report = await w.deliver_due(NOW)
    assert report.sent == len(keys) and sorted(double.keys()) == sorted(keys)
    assert 0 < limiter.refused <= MOMENTS_GIVEN_UP * len(keys)


async def test_a_send_waiting_for_its_channel_leaves_the_send_slot_to_other_channels(
    database_url: str, db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    """Another worker used channel A just now (its next moment is a second away): this
    worker, with a single send slot, sends to B and C while A waits for its moment — neither
    its send slot nor the workspace's budget is held by A's wait."""
    needs_postgres(db_engine)
    seed_pairs(db_engine, 2, NOW)
    with factory() as s:
        first, *others = s.scalars(select(Person.id).order_by(Person.id).limit(3))
    limits = PlatformLimit(per_channel=1.0, overall=20.0)
    other_worker = SharedRateLimiter(factory, {"slack": limits})
    assert other_worker.reserve("slack", f"D{first}") == 0.0  # A's next moment: ~1.1 s away
    with transaction(factory) as s:
        rows = [
            outbox_row(
                person_id=pid,
                kind="test",
                message=Message().text(f"for {pid}"),
                dedupe_key=f"test:{pid}",
                due_at=NOW,
                now=NOW,
            )
            for pid in (first, *others)  # A's row is claimed and dispatched first
        ]
        insert_ignoring_duplicates(s, rows)
    built = [shared_worker(database_url, double, limits, concurrency=1)]
    try:
        report = await built[0][0].deliver_due(NOW)
    finally:
        await close(built)
    assert report.sent == 3
    posts = sorted(double.posts, key=lambda p: p.at)
    order = [p.channel for p in posts]
    assert order[-1] == f"D{first}" and set(order[:2]) == {f"D{pid}" for pid in others}
    # B and C did not wait for A's moment: A's wait held neither the slot nor them
    assert posts[-1].at - posts[1].at > 0.5, [p.at - posts[0].at for p in posts]
    assert double.violations(per_channel=1.0, overall=20.0) == (0, 0)


class TimedPosts(list[Posted]):
    """The Teams double's record of posts, with the moment each arrived (monotonic)."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[tuple[float, str]] = []

    def append(self, posted: Posted) -> None:
        self.at.append((time.monotonic(), posted.conversation_id))
        super().append(posted)


def test_teams_workers_together_keep_the_conversation_and_app_limits(
    database_url: str, db_engine: Engine, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    """Teams: two workers, each with its own engine and shared budget, six messages in each
    person's conversation (four people: the app's limit binds, not the conversations'): no
    conversation and no second over the limits, all sent once, at ≥ 0.8× the app's limit."""
    needs_postgres(db_engine)
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    try:
        driver.install_everyone()
        posts = driver.double.posted = TimedPosts()
        keys = queue(factory, per_person=6, people=100)  # the demo's four people
        limits = PlatformLimit(per_channel=1.0, overall=3.0)
        built = []
        for _ in range(2):
            engine = make_engine(database_url)
            own = make_session_factory(engine)
            limiter = SharedRateLimiter(own, {"teams": limits})
            worker = DeliveryWorker(
                own, {"teams": driver.sender}, limiter, DeliveryConfig(batch_size=20)
            )
            worker.default_platform = "teams"
            built.append((worker, engine))

        async def together() -> list[DeliveryReport]:
            return list(await asyncio.gather(*(w.deliver_due(NOW) for w, _ in built)))

        reports = driver.loop.run(together(), timeout=180)
        for _, engine in built:
            engine.dispose()
    finally:
        driver.close()
    assert sum(r.sent for r in reports) == len(posts) >= len(keys) == 24
    assert sum(1 for r in reports if r.sent) == 2  # the work really was shared
    assert count_violations(posts.at, per_channel=1.0, overall=3.0) == (0, 0)
    times = sorted(t for t, _ in posts.at)
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.8 * 3.0
