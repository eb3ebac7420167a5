"""What tests and benchmarks of real ``mentorbot clock`` processes share: the simulated start,
the working-day moments a walk through time stops at, waiting for sweeps, and the nudges the
rules owe the seeded pairs (``testsupport.seed``) by a moment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from conversations.sweep.rows import SWEEP_LOCK_ID
from storage.dialect import advisory_lock_key
from storage.models import Meeting, Mentorship

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 8, 0, tzinfo=HELSINKI)
"""Where the seeded pairs' time begins: Monday 11 January 2027, 08:00 in Helsinki."""
COLD = datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI)
"""The first working day of February (a Monday): a sweep there books every pair's next block."""


class HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


def sweeps_running(engine: Engine) -> set[str]:
    """The transactions holding this schema's sweep lock right now (one sweep each; the
    server's other databases and schemas, other test runs' included, have sweeps of their own)."""
    with engine.connect() as conn:
        key = advisory_lock_key(conn, SWEEP_LOCK_ID)
        return set(
            conn.scalars(
                text(
                    "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND classid = :high AND objid = :low AND objsubid = 1 "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                ),
                {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
            )
        )


def wait_for_sweeps(engine: Engine, sweeps: int, timeout: float, settle: float = 0.0) -> bool:
    """Wait ``settle`` seconds (a clock reads the time when its sweep job starts, and may take
    the lock a moment later), then until ``sweeps`` sweeps that began after that have ended.
    Each sweep is its own transaction: one seen holding the lock and then gone has ended, even
    when the other clock's sweep took the lock right after it. A busy machine slows the sweep;
    walking time faster than it would make the test measure the machine, not the bot."""
    time.sleep(settle)
    deadline = time.monotonic() + timeout
    quiet = time.monotonic() + 1.0  # never seen held: sweeps are too quick to catch
    earlier = sweeps_running(engine)  # may have read the time before it moved
    seen: set[str] = set()
    ended: set[str] = set()
    while time.monotonic() < deadline:
        running = sweeps_running(engine) - earlier
        ended |= seen - running
        seen |= running
        if len(ended) >= sweeps:
            return True
        if not seen and time.monotonic() > quiet:
            return True
        time.sleep(0.005)
    return False


def working_day_moments(start: datetime, end: datetime) -> Iterator[datetime]:
    """09:30 and 15:00 of every weekday: when a running clock's sweeps matter for the rules
    (every seeded meeting is at 10:00), so a test can walk eight weeks in about a minute."""
    day = start.astimezone(HELSINKI).date()
    while True:
        if day.weekday() < 5:
            for hour, minute in ((9, 30), (15, 0)):
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI)
                if moment > end:
                    return
                if moment > start:
                    yield moment
        day += timedelta(days=1)


def expected_keys(world: HasEngine, until: datetime) -> set[str]:
    """Nudges the rules owe every pair between START and ``until`` (computed from the data)."""
    keys: set[str] = set()
    with Session(world.engine) as s:
        rows = s.execute(
            select(
                Meeting.id, Meeting.seq, Meeting.scheduled_at, Meeting.ics_sequence, Mentorship
            ).join(Mentorship, Mentorship.id == Meeting.mentorship_id)
        ).all()
        for meeting_id, seq, at, version, m in rows:
            for person in (m.actor_id, m.mentor_id):
                if START + timedelta(days=4) <= at <= until - timedelta(days=2):
                    keys.add(f"reminder:{meeting_id}.{version}:{person}")
                if at + timedelta(hours=3) <= until - timedelta(days=1):
                    keys.add(f"checkin:{meeting_id}:{person}")
                if at + timedelta(days=8) <= until - timedelta(days=1):
                    keys.add(f"reflect:{m.id}:{seq}:{person}")
    return keys
