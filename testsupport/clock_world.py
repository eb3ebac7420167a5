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

from storage.models import Meeting, Mentorship

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 8, 0, tzinfo=HELSINKI)
"""Where the seeded pairs' time begins: Monday 11 January 2027, 08:00 in Helsinki."""
COLD = datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI)
"""The first working day of February (a Monday): a sweep there books every pair's next block."""


class HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


def sweeping(engine: Engine) -> bool:
    """Whether a clock holds the sweep's advisory lock right now."""
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            )
        )


def wait_for_sweeps(engine: Engine, sweeps: int, timeout: float) -> bool:
    """Wait until ``sweeps`` sweeps have ended (the lock seen taken, then free): the first may
    have begun before the time moved, the next began after it. A busy machine slows the sweep;
    walking time faster than it would make the soak measure the machine, not the bot."""
    deadline = time.monotonic() + timeout
    quiet = time.monotonic() + 2.0  # never seen held: sweeps are too quick to catch
    ended, held = 0, sweeping(engine)
    seen = held
    while time.monotonic() < deadline:
        now_held = sweeping(engine)
        seen = seen or now_held
        if held and not now_held:
            ended += 1
            if ended >= sweeps:
                return True
        if not seen and time.monotonic() > quiet:
            return True
        held = now_held
        time.sleep(0.005)
    return False


STEP_SECONDS = 0.8


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
