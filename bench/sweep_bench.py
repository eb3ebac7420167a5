"""Sweep benchmark: seconds and SQL statements per sweep over N active pairs.

    .venv/bin/python -m bench.sweep_bench --pairs 10000 --db sqlite
    .venv/bin/python -m bench.sweep_bench --pairs 100000 --db postgresql \
        --pg-url postgresql://postgres@127.0.0.1:5432/postgres

Seeds a fresh database (a temporary SQLite file, or a PostgreSQL database ``mentorbot_bench``
created next to ``--pg-url``), then times (1) the first sweep a week into the programme, when
reminders, check-ins, task reminders and reflection prompts are due for a large share of the
pairs, and (2) the same sweep again (nothing new: the steady state). Statements are counted
twice: ``execute`` calls (logical statements) and DBAPI round trips (``before_cursor_execute``;
SQLAlchemy sends a many-row INSERT … RETURNING in pages of up to 1,000 rows).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from bench.seed import seed_pairs
from conversations.sweep.orchestration import sweep
from storage.db import make_engine, make_session_factory, normalise_url, transaction, upgrade

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 8, 0, tzinfo=HELSINKI)
SWEEP_AT = datetime(2027, 1, 20, 12, 0, tzinfo=HELSINKI)  # Wednesday of week 2


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    url = database(args.db, args.pg_url)
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    seeded = seed_pairs(engine, args.pairs, START)
    seed_s = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    factory = make_session_factory(engine)
    counter = Counter(engine)
    rows = []
    for label in ("first sweep", "second sweep"):
        counter.reset()
        started = time.perf_counter()
        with transaction(factory) as session:
            report = sweep(session, SWEEP_AT, retention_days=365)
        elapsed = time.perf_counter() - started
        rows.append((label, elapsed, counter.logical, counter.roundtrips, report.inserted))
    print(f"sweep benchmark: {args.pairs} active pairs on {engine.dialect.name}")
    print(f"  seeded {seeded.people} people, {seeded.meetings} meetings in {seed_s:.1f} s")
    for label, elapsed, logical, roundtrips, inserted in rows:
        print(
            f"  {label}: {elapsed:.2f} s, {logical} statements "
            f"({roundtrips} DBAPI round trips), {inserted} nudges queued"
        )
    print("reproduce: .venv/bin/python -m bench.sweep_bench " + " ".join(sys.argv[1:]))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
