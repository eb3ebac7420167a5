"""Sweep benchmark: seconds and SQL statements per sweep over N pairs, realistic data.

    .venv/bin/python -m bench.sweep_bench --pairs 1            # the fixed cost of a sweep
    .venv/bin/python -m bench.sweep_bench --pairs 10000 --db sqlite
    .venv/bin/python -m bench.sweep_bench --pairs 100000 --db postgresql \\
        --pg-url postgresql://postgres@127.0.0.1:5432/postgres

Seeds a fresh database (a temporary SQLite file, or a PostgreSQL database ``mentorbot_bench``
created next to ``--pg-url``) with N pairs three weeks into their programme
(``testsupport.seed.make_realistic``: four timezones, held and missed meetings, check-ins, pairs
that raise early warnings, shared goals; here also programmes in five holiday countries, so
working time is computed against Finnish, Swedish, US, British and Indian public holidays), then
times the sweeps of the clock on Monday
1 February 2027, the first working day of a month (supervisors' monthly summaries and HR's
weekly digest are due):

- cold: the first sweep at 09:30 Helsinki time — every nudge, alert and summary due, and
  every pair's next block of meetings booked (four meetings were booked);
- steady: five minutes later — nothing new (what a clock does most of the day);
- daily: a day later, at 09:30 on Tuesday — one day's reminders, check-ins and prompts.

Several sizes (``--pairs 1 1000 10000``) run one child process each, so each size's peak
memory (RSS) is its own, and a summary table follows.

Times are wall clock and, in brackets, this process's CPU time (the machine may be shared).
Statements are counted twice: ``execute`` calls (logical statements) and DBAPI round trips
(``before_cursor_execute``; on SQLite a many-row INSERT goes in pages of up to 1,000 rows). The
steady sweep is repeated ``--repeat`` times (default: 200 for one pair, else 3) and its median
reported: for one pair, that median is the fixed cost of a sweep.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from conversations.sweep.orchestration import sweep
from storage.db import make_engine, make_session_factory, normalise_url, transaction, upgrade
from storage.models import Mentorship, Programme
from testsupport.seed import make_realistic, seed_pairs

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 8, 0, tzinfo=HELSINKI)
COLD = datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI)  # first working day of February, a Monday
STEADY = COLD + timedelta(minutes=5)
DAILY = COLD + timedelta(days=1)
RETENTION_DAYS = 365
BOOKED_WEEKS = 8  # four meetings: the cold sweep books every pair's next block
HOLIDAY_COUNTRIES = ("FI", "SE", "US", "GB", "IN")


def mix_holiday_countries(engine: Engine) -> None:
    """Spread the pairs over programmes in ``HOLIDAY_COUNTRIES`` (pair id modulo 5)."""
    with engine.begin() as conn:
        base = conn.execute(select(Programme).order_by(Programme.id)).mappings().first()
        if base is None:
            return
        for i, country in enumerate(HOLIDAY_COUNTRIES[1:], 1):
            values = {k: v for k, v in base.items() if k != "id"}
            values.update(name=f"{base['name']} ({country})", holiday_country=country)
            pid = conn.execute(insert(Programme).values(values).returning(Programme.id)).scalar()
            conn.execute(
                update(Mentorship)
                .where(Mentorship.id % len(HOLIDAY_COUNTRIES) == i)
                .values(programme_id=pid)
            )


def database(kind: str, pg_url: str) -> str:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="mentorbot-bench-")) / "bench.db"
        return f"sqlite:///{path}"
    url = make_url(normalise_url(pg_url))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "mentorbot_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "mentorbot_bench"')
    return url.set(database="mentorbot_bench").render_as_string(False)


class Counter:
    def __init__(self, engine: Engine) -> None:
        self.logical = 0
        self.roundtrips = 0
        event.listen(engine, "before_execute", self._logical)
        event.listen(engine, "before_cursor_execute", self._roundtrip)

    def _logical(self, *args: Any) -> None:
        self.logical += 1

    def _roundtrip(self, *args: Any) -> None:
        self.roundtrips += 1

    def reset(self) -> None:
        self.logical = self.roundtrips = 0


@dataclass
class Measured:
    label: str
    seconds: float
    cpu: float
    logical: int
    roundtrips: int
    inserted: int
    booked: int


def measure(factory: sessionmaker[Session], counter: Counter, label: str, at: datetime) -> Measured:
    counter.reset()
    started, cpu = time.perf_counter(), time.process_time()
    with transaction(factory) as session:
        report = sweep(session, at, retention_days=RETENTION_DAYS, wait_for_lock=True)
    elapsed = time.perf_counter() - started
    return Measured(
        label,
        elapsed,
        time.process_time() - cpu,
        counter.logical,
        counter.roundtrips,
        report.inserted,
        report.meetings_booked,
    )


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[10_000])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=0, help="steady sweeps to time")
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)  # the child that seeds
    args = parser.parse_args(argv)
    if args.seed_into:
        return seed(args.seed_into, args.pairs[0])
    if len(args.pairs) > 1:
        return several(args)
    args.pairs = args.pairs[0]
    repeat = args.repeat or (200 if args.pairs == 1 else 3)
    url = database(args.db, args.pg_url)
    started = time.perf_counter()
    seeded = subprocess.run(  # in a child process: the peak RSS below is the sweeps' alone
        [sys.executable, "-m", "bench.sweep_bench", "--seed-into", url, "--pairs", str(args.pairs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    seed_s = time.perf_counter() - started
    engine = make_engine(url)
    factory = make_session_factory(engine)
    counter = Counter(engine)
    cold = measure(factory, counter, "cold", COLD)
    steadies = [
        measure(factory, counter, "steady", STEADY + timedelta(seconds=i)) for i in range(repeat)
    ]
    steady = steadies[len(steadies) // 2]
    steady.seconds = statistics.median(m.seconds for m in steadies)
    steady.cpu = statistics.median(m.cpu for m in steadies)
    daily = measure(factory, counter, "daily", DAILY)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sweep benchmark: {args.pairs} pairs on {engine.dialect.name}")
    print(f"  seeded {seeded} in {seed_s:.1f} s (another process)")
    for m in (cold, steady, daily):
        timing = f"{_duration(m.seconds)} ({_duration(m.cpu)} CPU)"
        if m is steady:
            timing += f", median of {repeat}"
        print(
            f"  {m.label}: {timing}, {m.logical} statements ({m.roundtrips} DBAPI round trips), "
            f"{m.inserted} outbox rows, {m.booked} meetings booked"
        )
    print(f"  peak memory (RSS) of the sweeping process: {rss_mb:.0f} MB")
    print("reproduce: .venv/bin/python -m bench.sweep_bench " + " ".join(sys.argv[1:]))
    engine.dispose()
    return 0


def seed(url: str, pairs: int) -> int:
    """Migrate and seed the benchmark's database (run as a child process)."""
    upgrade(url)
    engine = make_engine(url)
    seeded = seed_pairs(engine, pairs, START, booked_weeks=BOOKED_WEEKS)
    make_realistic(engine, COLD)
    mix_holiday_countries(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    print(f"{seeded.people} people, {seeded.meetings} meetings")
    return 0


def several(args: argparse.Namespace) -> int:
    """One child process per size, then a summary: statements and seconds, cold and daily."""
    rows = []
    for pairs in args.pairs:
        cmd = [sys.executable, "-m", "bench.sweep_bench", "--pairs", str(pairs), "--db", args.db]
        cmd += ["--pg-url", args.pg_url] + (["--repeat", str(args.repeat)] if args.repeat else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        print(out, end="")
        found = dict(re.findall(r"^  (cold|daily): (.+?),", out, re.M))
        stmts = dict(re.findall(r"^  (cold|daily): .*? (\d+) statements", out, re.M))
        rss = re.search(r"RSS\) of the sweeping process: (\d+) MB", out)
        rows.append((pairs, found, stmts, rss.group(1) if rss else "?"))
    print(f"\nsummary on {args.db}: pairs | cold | statements | daily | statements | peak RSS")
    for pairs, found, stmts, rss in rows:
        print(
            f"  {pairs:>7} | {found.get('cold')} | {stmts.get('cold')} | {found.get('daily')} | "
            f"{stmts.get('daily')} | {rss} MB"
        )
    print("reproduce: .venv/bin/python -m bench.sweep_bench " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
