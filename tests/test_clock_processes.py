"""Real ``mentorbot clock`` processes on PostgreSQL: exactly-once with two, and SIGKILL safety.

Time is simulated through ``MENTORBOT_CLOCK_FILE``; the sender is the real Slack sender
posting over HTTP to a local double of ``chat.postMessage`` that records the outbox key of
every post. Each test uses its own PostgreSQL database (created here, named after the test
process, and dropped afterwards), never the shared one.
To see what the clocks log, set ``DEBUG_CLOCK_LOG=/tmp/clock.log`` (and ``DEBUG_CLOCK_LEVEL``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.sweep.plan import GRACE
from storage.db import make_engine, normalise_url, upgrade
from storage.models import Meeting, Outbox, OutboxStatus, Person
from tests.databases import PG_SKIP, pg_url, worker_id
from testsupport.clock_world import (
    START,
    expected_keys,
    wait_for_sweeps,
    working_day_moments,
)
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, ThreadedSlackApi

ROOT = Path(__file__).resolve().parent.parent


def admin_url() -> str:
    """The server's maintenance database, for creating and dropping test databases."""
    base = pg_url()
    if base is None:
        pytest.skip(PG_SKIP)
    url = make_url(normalise_url(base))
    return url.set(drivername="postgresql", database="postgres").render_as_string(False)


def database_name(name: str) -> str:
    """``name`` made this test process's own (xdist worker and pid): concurrent runs on one
    server never drop each other's database."""
    return f"{name}_{worker_id()}_{os.getpid()}"


def fresh_database(name: str) -> str:
    """Create (or re-create) database ``name`` next to the test database; return its URL."""
    base = pg_url()
    assert base is not None
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    target = make_url(normalise_url(base)).set(database=name).render_as_string(False)
    upgrade(target)
    return target


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class World:
    name: str
    url: str
    engine: Engine
    double: ThreadedSlackApi
    clock_file: Path
    env: dict[str, str]

    def set_time(self, when: datetime) -> None:
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(when.isoformat(), "utf-8")
        tmp.replace(self.clock_file)  # atomic: a process never reads half a timestamp

    def start_clock(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "clock"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("DEBUG_CLOCK_LOG", os.devnull), "ab"),
        )

    def count(self, *where: object) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count(Outbox.id)).where(*where)) or 0)  # type: ignore[arg-type]

    def drained(self, now: datetime) -> bool:
        return (
            self.count(Outbox.status == OutboxStatus.SENDING.value) == 0
            and self.count(
                Outbox.status == OutboxStatus.PENDING.value, Outbox.next_attempt_at <= now
            )
            == 0
        )

    def sent(self) -> dict[str, Outbox]:
        with Session(self.engine) as s:
            return {
                r.dedupe_key: r
                for r in s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.SENT.value))
            }


@pytest.fixture
def world_factory(tmp_path: Path) -> Iterator[list[World]]:
    worlds: list[World] = []
    yield worlds
    for w in worlds:
        w.double.stop()
        w.engine.dispose()
        drop_database(w.name)


def make_world(worlds: list[World], tmp_path: Path, name: str, pairs: int) -> World:
    if pg_url() is None:
        pytest.skip(PG_SKIP)
    name = database_name(name)
    url = fresh_database(name)
    engine = make_engine(url)
    seed_pairs(engine, pairs, START)
    double = ThreadedSlackApi(DoubleConfig()).start()
    clock_file = tmp_path / f"{name}.now"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-load-test",
        "SLACK_API_URL": double.api_url,
        "MENTORBOT_CLOCK_FILE": str(clock_file),
        "MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.3",
        "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.2",
        "MENTORBOT_CLOCK_MISFIRE_GRACE": "5",
        "MENTORBOT_DELIVERY_LEASE_SECONDS": "10",
        "MENTORBOT_DELIVERY_BASE_BACKOFF_SECONDS": "1",
        "MENTORBOT_SLACK_RATE_PER_CHANNEL": "200",
        "MENTORBOT_SLACK_RATE_WORKSPACE": "5000",
        "MENTORBOT_LOG_LEVEL": os.environ.get("DEBUG_CLOCK_LEVEL", "WARNING"),
    }
    env.pop("MENTORBOT_TEST_DATABASE_URL", None)
    world = World(name, url, engine, double, clock_file, env)
    world.set_time(START)
    worlds.append(world)
    return world


def wait_drained(world: World, now: datetime, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if world.drained(now):
            return
        time.sleep(0.05)
    raise AssertionError("the outbox did not drain in time")


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def test_two_clock_processes_deliver_every_nudge_of_eight_weeks_exactly_once(
    world_factory: list[World], tmp_path: Path
) -> None:
    # 150 pairs (301 people) cover every rule the seed varies (its variations repeat every
    # 2 to 25 pairs) and give both processes dozens of rows to race for at every step; the
    # clocks sweep every 0.1 s. A clock runs one sweep at a time and reads the time when it
    # starts one, so at most one sweep per process began before a step moved the time: a step
    # waits for two more sweeps than there are processes, so two of them began after it.
    world = make_world(world_factory, tmp_path, "mentorbot_clock_test", pairs=150)
    world.env.update(
        {"MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.1", "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.05"}
    )
    procs = [world.start_clock(), world.start_clock()]
    try:
        end = START + timedelta(weeks=8)
        # run on for four more days, so that what the rules moved to the next working
        # morning (a check-in due on a Friday evening, say) is due before we look
        for now in working_day_moments(START, end + timedelta(days=4)):
            world.set_time(now)
            wait_for_sweeps(world.engine, 2 + len(procs), timeout=30)
            wait_drained(world, now, timeout=15)  # let the two processes keep pace
            assert all(p.poll() is None for p in procs), "a clock process died"
        wait_drained(world, now)
    finally:
        stop(*procs)
    sent = world.sent()
    posted = world.double.keys()
    assert world.double.duplicates() == set()
    assert set(posted) == set(sent)  # every post is a sent row; every sent row was posted
    missing = expected_keys(world, end) - set(sent)
    assert not missing, sorted(missing)[:10]
    kinds = {key.split(":")[0] for key in sent}
    assert {"reminder", "checkin", "reflect", "task", "block", "hr.digest"} <= kinds
    assert world.count(Outbox.status == OutboxStatus.DEAD.value) == 0


def test_sigkill_at_random_moments_loses_nothing_and_duplicates_only_rows_mid_send(
    world_factory: list[World], tmp_path: Path
) -> None:
    world = make_world(world_factory, tmp_path, "mentorbot_crash_test", pairs=300)
    rng = random.Random(11)
    now = START
    lock = threading.Lock()
    stop_time = threading.Event()

    def advance() -> None:  # simulated time runs on while processes come and go
        nonlocal now
        while not stop_time.wait(0.25):
            with lock:
                now += timedelta(hours=3)
                world.set_time(now)

    mid_send: set[str] = set()
    kills = 0
    ticker = threading.Thread(target=advance, daemon=True)
    ticker.start()
    try:
        for round_no in range(12):
            proc = world.start_clock()
            time.sleep(rng.uniform(1.5, 4.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
            with Session(world.engine) as s:
                mid_send |= set(
                    s.scalars(
                        select(Outbox.dedupe_key).where(Outbox.status == OutboxStatus.SENDING.value)
                    )
                )
            if round_no == 5:  # three days of downtime: caught up by the rules, no burst
                with lock:
                    now += timedelta(days=3)
                    world.set_time(now)
    finally:
        stop_time.set()
        ticker.join(5)
    final = world.start_clock()
    try:
        with lock:
            now += timedelta(hours=1)
            world.set_time(now)
        deadline = time.monotonic() + 60  # a busy machine may kill clocks before they swept
        while world.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        wait_drained(world, now)
    finally:
        stop(final)
    assert kills >= 10
    sent = world.sent()
    assert sent, "the processes delivered nothing"
    # nothing lost between post and record, except the documented crash window: a row a
    # killed process had posted, or one whose send timed out after the platform took it, is
    # tried again; when its moment has passed by then, it is cancelled, not sent twice
    unrecorded = set(world.double.keys()) - set(sent)
    with Session(world.engine) as s:
        retried = set(
            s.scalars(
                select(Outbox.dedupe_key).where(
                    Outbox.dedupe_key.in_(unrecorded),
                    Outbox.status == OutboxStatus.CANCELLED.value,
                    Outbox.attempts > 1,
                )
            )
        )
    assert unrecorded <= mid_send | retried
    assert set(sent) <= set(world.double.keys())  # everything recorded sent was posted
    assert world.double.duplicates() <= mid_send  # the documented crash window only
    assert (
        world.count(Outbox.status == OutboxStatus.PENDING.value, Outbox.next_attempt_at <= now) == 0
    )
    with Session(world.engine) as s:
        meeting_at = {i: at for i, at in s.execute(select(Meeting.id, Meeting.scheduled_at))}
    for key, row in sent.items():
        kind = key.split(":")[0]
        if kind == "reminder":  # never after the meeting
            assert (
                row.sent_at is not None
                and row.sent_at < meeting_at[int(key.split(":")[1].split(".")[0])]
            )
        if kind == "checkin":  # late is fine, stale is not
            assert row.sent_at is not None
            limit = meeting_at[int(key.split(":")[1].split(".")[0])] + GRACE + timedelta(days=4)
            assert row.sent_at <= limit


def queue_direct(world: World, per_person: int) -> set[str]:
    """Queue ``per_person`` messages for every seeded person, all due now."""
    with Session(world.engine) as s, s.begin():
        ids = list(s.scalars(select(Person.id)))
        rows = [
            outbox_row(
                person_id=pid,
                kind="load",
                message=Message().text(f"message {n} for {pid}"),
                dedupe_key=f"load:{pid}:{n}",
                due_at=START,
                now=START,
            )
            for pid in ids
            for n in range(per_person)
        ]
        insert_ignoring_duplicates(s, rows)
    return {str(r["dedupe_key"]) for r in rows}


def delivery_world(worlds: list[World], tmp_path: Path, name: str, latency: float) -> World:
    world = make_world(worlds, tmp_path, name, pairs=60)
    world.double.config.latency = latency
    world.env.update(
        {
            "MENTORBOT_SWEEP_INTERVAL_SECONDS": "3600",
            "MENTORBOT_SLACK_RATE_PER_CHANNEL": "5",
            "MENTORBOT_SLACK_RATE_WORKSPACE": "60",
            "MENTORBOT_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "MENTORBOT_DELIVERY_LEASE_SECONDS": "10",
        }
    )
    return world


CONCURRENCY = 8


def wait_posts(world: World, at_least: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(world.double.posts) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError("the clock posted nothing")
        time.sleep(0.05)


def posted_unrecorded(world: World) -> set[str]:
    """Keys the double accepted whose row is not recorded sent (still ``sending``)."""
    with Session(world.engine) as s:
        sending = set(
            s.scalars(select(Outbox.dedupe_key).where(Outbox.status == OutboxStatus.SENDING.value))
        )
    return sending & set(world.double.keys())


def drain_with_one_clock(world: World, keys: set[str]) -> None:
    proc = world.start_clock()
    try:
        deadline = time.monotonic() + 90
        while set(world.double.keys()) < keys or not world.drained(START):
            assert time.monotonic() < deadline, "the outbox did not drain in time"
            time.sleep(0.3)
    finally:
        stop(proc)


def test_sigterm_mid_batch_exits_cleanly_and_duplicates_nothing(
    world_factory: list[World], tmp_path: Path
) -> None:
    world = delivery_world(world_factory, tmp_path, "mentorbot_sigterm_test", latency=0.1)
    keys = queue_direct(world, per_person=3)
    for _ in range(4):
        proc = world.start_clock()
        wait_posts(world, len(world.double.posts) + 40)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        # nothing left claimed: what went out is recorded sent, the rest is pending again
        assert world.count(Outbox.status == OutboxStatus.SENDING.value) == 0
        assert set(world.double.keys()) == set(world.sent()) & set(world.double.keys())
    drain_with_one_clock(world, keys)
    assert world.double.duplicates() == set()
    assert set(world.double.keys()) >= keys


def test_sigkill_mid_batch_duplicates_at_most_the_sends_in_flight(
    world_factory: list[World], tmp_path: Path
) -> None:
    world = delivery_world(world_factory, tmp_path, "mentorbot_sigkill_test", latency=0.4)
    keys = queue_direct(world, per_person=3)
    window: set[str] = set()
    for _ in range(4):
        proc = world.start_clock()
        wait_posts(world, len(world.double.posts) + 40)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        time.sleep(world.double.config.latency + 0.2)  # what was on the wire has arrived
        in_flight = posted_unrecorded(world) - window  # an earlier kill's rows may still wait
        assert len(in_flight) <= CONCURRENCY
        window |= in_flight
    drain_with_one_clock(world, keys)
    assert world.double.duplicates() <= window
    assert len(world.double.duplicates()) <= 4 * CONCURRENCY
    assert set(world.double.keys()) >= keys
