"""How long a whole six-month relationship takes through the engine and the console.

Seeds the demo programme into a fresh SQLite file and plays the demo transcript (about 100
steps: onboarding, agreement, 13 meetings with check-ins, reflections, interim and final
evaluation), several times per language. Prints the median and the range.

    .venv/bin/python bench/demo_lifecycle.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session, open_database


def play_once(locale: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        factory = open_database(f"sqlite:///{Path(tmp) / 'demo.db'}")
        steps = parse(demo.scenario(locale), "Europe/Helsinki")
        started = time.perf_counter()
        demo.seed(factory, demo.DEMO_START, locale)
        lines: list[str] = []
        run(console_session(factory, demo.DEMO_START, out=lines.append), steps)
        return time.perf_counter() - started, len(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("locale  steps  median s  min s  max s")
    for locale in ("en", "fi"):
        timings = []
        steps = 0
        for _ in range(args.runs):
            seconds, steps = play_once(locale)
            timings.append(seconds)
        print(
            f"{locale:6}  {steps:5}  {statistics.median(timings):8.2f}  {min(timings):5.2f}  "
            f"{max(timings):5.2f}"
        )
    print(f"\nreproduce: .venv/bin/python bench/demo_lifecycle.py --runs {args.runs}")


if __name__ == "__main__":
    main()
