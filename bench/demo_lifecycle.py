"""How long ``mentorbot demo`` takes, as a whole process, per language.

Each run is a fresh process (``python -m bot.cli demo --locale L --db TMP``): interpreter start,
imports, migrations, seeding and the six-month transcript with the clock sweeping twice every
working day. One warm-up run per language, then ``--runs`` timed runs; prints the median, min
and max wall time, and the median CPU time (user + system) of the process — on a shared
machine the CPU time moves less than the wall time.

    .venv/bin/python -m bench.demo_lifecycle [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def play_once(locale: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``mentorbot demo`` process."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "demo", "--locale", locale, "--db", f"{tmp}/d.db"],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=Path(__file__).parent.parent,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("locale  median wall s  min s  max s  median CPU s")
    for locale in ("en", "fi"):
        play_once(locale)  # warm-up: file system caches, compiled bytecode
        runs = [play_once(locale) for _ in range(args.runs)]
        walls = [w for w, _ in runs]
        print(
            f"{locale:6}  {statistics.median(walls):13.2f}  {min(walls):5.2f}  {max(walls):5.2f}"
            f"  {statistics.median(c for _, c in runs):12.2f}"
        )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\nreproduce: .venv/bin/python -m bench.demo_lifecycle --runs {args.runs}")


if __name__ == "__main__":
    main()
