"""Delivery over real HTTP to a local Slack double: limits, retries, dead letter, claiming."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.sender import SlackSender
from bot.delivery import DeliveryConfig, DeliveryWorker
from bot.operator import outbox_status, retry_dead
from bot.ratelimit import PlatformLimit, RateLimiter
from bot.slack_client import KeyedWebClient
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from storage.db import transaction
from storage.models import Outbox, OutboxStatus, Person
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, ThreadedSlackApi

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


@pytest.fixture
def double() -> Iterator[ThreadedSlackApi]:
    d = ThreadedSlackApi(DoubleConfig()).start()
    yield d
    d.stop()


def queue(
    factory: sessionmaker[Session], per_person: int, people: int, *, expires: bool = False
) -> list[str]:
    """Queue ``per_person`` messages for each of the first ``people`` seeded people."""
    with transaction(factory) as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id).limit(people)))
        rows = [
            outbox_row(
                person_id=pid,
                kind="test",
                message=Message().text(f"message {n} for {pid}"),
                dedupe_key=f"test:{pid}:{n}",
                due_at=NOW,
                now=NOW,
                expires_at=NOW - timedelta(minutes=1) if expires else None,
            )
            for pid in ids
            for n in range(per_person)
        ]
        insert_ignoring_duplicates(s, rows)
    return [r["dedupe_key"] for r in rows]


def worker(
    factory: sessionmaker[Session],
    double: ThreadedSlackApi,
    limits: PlatformLimit,
    **config: object,
) -> DeliveryWorker:
    client = KeyedWebClient(token="xoxb-test", base_url=double.api_url)
    return DeliveryWorker(
        factory,
        {"slack": SlackSender(client)},
        RateLimiter({"slack": limits}),
        DeliveryConfig(**config),  # type: ignore[arg-type]
        rng=random.Random(3),
    )


def statuses(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {
            status: int(n)
            for status, n in s.execute(
                select(Outbox.status, func.count(Outbox.id)).group_by(Outbox.status)
            )
        }


async def test_a_burst_is_spaced_under_the_platform_limits_and_provokes_no_429(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 3, NOW)
    keys = queue(factory, per_person=3, people=8)  # 24 messages to 8 DM channels
    double.config.per_channel_rate = 4.0
    double.config.workspace_rate = 16.0
    # 90 % of the limits: the double allows no burst at all, so a send delayed by a busy
    # machine must not arrive right behind the next one
    w = worker(factory, double, PlatformLimit(per_channel=3.6, overall=14.4))
    started = time.monotonic()
    report = await w.deliver_due(NOW)
    elapsed = time.monotonic() - started
    assert report.sent == len(keys) == 24
    assert double.limited == 0 and double.status_counts[429] == 0
    assert sorted(double.keys()) == sorted(keys)
    assert elapsed >= 0.4  # three posts per channel at 4/s cannot all leave at once
    with factory() as s:
        row = s.scalars(select(Outbox).where(Outbox.dedupe_key == keys[0])).one()
    assert row.status == OutboxStatus.SENT and row.platform == "slack"
    assert row.platform_message_id and row.sent_at == NOW


async def test_429_and_500_are_retried_with_backoff_until_each_message_is_sent_once(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 10, NOW)
    keys = queue(factory, per_person=2, people=20)
    double.config.fail_429 = 0.25
    double.config.fail_500 = 0.15
    w = worker(factory, double, PlatformLimit(per_channel=50.0, overall=500.0), max_attempts=30)
    now = NOW
    for _ in range(60):
        await w.deliver_due(now)
        if statuses(factory) == {OutboxStatus.SENT.value: len(keys)}:
            break
        now += timedelta(hours=2)  # past any backoff
    assert statuses(factory) == {OutboxStatus.SENT.value: len(keys)}
    assert double.duplicates() == set()
    assert sorted(double.keys()) == sorted(keys)
    assert double.status_counts[429] > 0 and double.status_counts[500] > 0
    with factory() as s:
        retried = list(s.scalars(select(Outbox).where(Outbox.attempts > 1)))
    assert retried and all(r.last_error for r in retried)


async def test_retry_after_sets_the_next_attempt_no_sooner_than_slack_asked(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 1, NOW)
    queue(factory, per_person=1, people=1)
    double.config.fail_429 = 1.0
    double.config.retry_after = 900
    w = worker(
        factory,
        double,
        PlatformLimit(per_channel=50.0, overall=500.0),
        base_backoff=timedelta(seconds=1),
    )
    report = await w.deliver_due(NOW)
    assert report.retried == 1
    with factory() as s:
        row = s.scalars(select(Outbox)).one()
    assert row.status == OutboxStatus.PENDING
    assert row.next_attempt_at >= NOW + timedelta(seconds=900)
    assert "ratelimited" in (row.last_error or "")


async def test_after_the_last_attempt_a_row_is_dead_with_its_error_and_can_be_retried(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 1, NOW)
    queue(factory, per_person=1, people=2)
    double.config.fail_500 = 1.0
    w = worker(factory, double, PlatformLimit(per_channel=50.0, overall=500.0), max_attempts=3)
    now = NOW
    for _ in range(5):
        await w.deliver_due(now)
        now += timedelta(hours=3)
    assert statuses(factory) == {OutboxStatus.DEAD.value: 2}
    with factory() as s:
        view = outbox_status(s)
    assert view.dead_total == 2 and all(d.attempts == 3 for d in view.dead)
    assert all(
        "500" in (d.last_error or "") or "internal" in (d.last_error or "") for d in view.dead
    )
    assert any("dead rows: 2" in line for line in view.lines())
    double.config.fail_500 = 0.0
    with transaction(factory) as s:
        assert retry_dead(s, now) == 2
    await w.deliver_due(now)
    assert statuses(factory) == {OutboxStatus.SENT.value: 2}


async def test_a_message_whose_moment_passed_is_cancelled_not_sent(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 1, NOW)
    queue(factory, per_person=1, people=2, expires=True)
    report = await worker(factory, double, PlatformLimit(5.0, 50.0)).deliver_due(NOW)
    assert report.expired == 2 and report.sent == 0
    assert statuses(factory) == {OutboxStatus.CANCELLED.value: 2}
    assert double.posts == []


async def test_a_sent_or_cancelled_row_keeps_no_copy_of_its_message_without_a_sweep(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 2, NOW)
    sent_keys = queue(factory, per_person=1, people=2)
    with transaction(factory) as s:  # two more whose moment has passed: cancelled at claim
        s.execute(update(Outbox).values(dedupe_key=Outbox.dedupe_key + ":sent"))
    expired_keys = queue(factory, per_person=1, people=2, expires=True)
    report = await worker(factory, double, PlatformLimit(5.0, 50.0)).deliver_due(NOW)
    assert report.sent == 2 and report.expired == 2
    with factory() as s:
        finished = {r.dedupe_key: r for r in s.scalars(select(Outbox))}
    assert len(finished) == len(sent_keys) + len(expired_keys) == 4
    assert sorted(r.status for r in finished.values()) == ["cancelled"] * 2 + ["sent"] * 2
    assert all(r.payload == {} for r in finished.values())  # dropped as the status changed


async def test_a_row_left_sending_by_a_dead_worker_is_sent_again_after_its_lease(
    db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    seed_pairs(db_engine, 1, NOW)
    queue(factory, per_person=1, people=1)
    w = worker(factory, double, PlatformLimit(5.0, 50.0), lease=timedelta(seconds=60))
    _, claimed = w.claim(NOW)  # claimed, then the process "dies" before sending
    assert len(claimed) == 1
    assert (await w.deliver_due(NOW)).claimed == 0  # the lease still holds
    with transaction(factory) as s:
        s.execute(update(Outbox).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    report = await w.deliver_due(NOW)
    assert report.sent == 1
    with factory() as s:
        assert s.scalars(select(Outbox.attempts)).one() == 2


async def test_two_workers_share_the_queue_without_sending_anything_twice(
    database_url: str, db_engine: Engine, factory: sessionmaker[Session], double: ThreadedSlackApi
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("several delivery workers need PostgreSQL (SKIP LOCKED); SQLite: one worker")
    seed_pairs(db_engine, 30, NOW)
    keys = queue(factory, per_person=5, people=60)  # 300 rows
    double.config.latency = 0.005
    limits = PlatformLimit(per_channel=100.0, overall=1000.0)
    a = worker(factory, double, limits, batch_size=25)
    b = worker(factory, double, limits, batch_size=25)
    reports = await asyncio.gather(a.deliver_due(NOW), b.deliver_due(NOW))
    assert reports[0].sent > 0 and reports[1].sent > 0
    assert reports[0].sent + reports[1].sent == len(keys)
    assert double.duplicates() == set()
    assert sorted(double.keys()) == sorted(keys)
