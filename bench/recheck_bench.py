"""The send-time check's cost: every nudge one sweep queues for 1,000 pairs, checked again as
the delivery worker checks it just before sending (its own short session per row, SQLite).

    .venv/bin/python -m bench.recheck_bench
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import run_sweep
from bot.delivery import _recheck
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Outbox
from testsupport.seed import seed_pairs

HELSINKI = ZoneInfo("Europe/Helsinki")


def main() -> None:
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/recheck.db"
    upgrade(url)
    engine = make_engine(url)
    seed_pairs(engine, 1000, datetime(2027, 1, 11, 8, 59, tzinfo=HELSINKI))
    factory = make_session_factory(engine)
    now = datetime(2027, 1, 12, 14, 0, tzinfo=HELSINKI)  # reminders and check-ins are due
    run_sweep(factory, now)
    with factory() as session:
        keys = list(session.scalars(select(Outbox.dedupe_key)))
    times = []
    for key in keys:
        start = time.perf_counter()
        _recheck(factory, key, now)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"{len(keys)} queued nudges checked again at send time (SQLite, 1,000 pairs)")
    median, p95 = statistics.median(times), times[len(times) * 95 // 100]
    print(f"median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms per row")
    print("command: .venv/bin/python -m bench.recheck_bench")
    engine.dispose()


if __name__ == "__main__":
    main()
