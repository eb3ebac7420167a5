"""How long ``mentorbot`` commands take, as whole processes, from exec to exit.

Each command runs ``--runs`` times after one warm-up run, on a migrated SQLite database with
a programme, 40 people and 20 pairs. Printed: the median, min and max wall time, and the
median CPU time (user + system) of the process, the median as a multiple of ``--help``'s
(the interpreter's own start, which load inflates alike), with the load average. On a busy
machine the wall time includes waiting for a CPU; the CPU time is what the start itself costs.
Last, the floor: an interpreter importing only SQLAlchemy's ORM, its SQLite dialect and
pydantic, which any command that opens the database needs.

    .venv/bin/python bench/cli_start.py --runs 7

``--source DIR`` measures another tree of the code instead (``python -m bot.cli`` with
``PYTHONPATH=DIR``), e.g. an earlier commit unpacked with ``git archive REV | tar -x -C DIR``,
to compare before and after on the same machine at the same load.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["--version"],
    ["outbox", "status"],
    ["people", "list"],
    ["pairs", "list", "--format", "json"],
    ["programme", "list"],
    ["doctor"],
]
TARGET_SECONDS = 0.6
# What every command that opens the database must load whatever Mentorbot does: the
# interpreter with SQLAlchemy's ORM, its SQLite dialect and pydantic. Timed beside the
# commands, so a reader sees how much of a start is Mentorbot's own.
FLOOR = "import sqlalchemy.orm, sqlalchemy.dialects.sqlite, pydantic"


def mentorbot() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m bot.cli``."""
    script = Path(sys.executable).parent / "mentorbot"
    if script.exists():
        return [str(script)]
    found = shutil.which("mentorbot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds of one whole process; None when the command failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def seed(base: list[str], env: dict[str, str], cwd: Path) -> None:
    steps = [["db", "upgrade"], ["programme", "create", "Bench"]]
    for i in range(40):
        steps.append(["people", "add", f"p{i}@bench.example", "--name", f"Person {i}"])
    for i in range(0, 40, 2):
        steps.append(
            [
                "pairs",
                "add",
                "--programme",
                "Bench",
                "--mentor",
                f"p{i}@bench.example",
                "--actor",
                f"p{i + 1}@bench.example",
            ]
        )
    for step in steps:
        subprocess.run([*base, *step], env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    parser.add_argument(
        "--source", type=Path, metavar="DIR", help="measure the code in DIR (PYTHONPATH)"
    )
    args = parser.parse_args()
    base = [sys.executable, "-m", "bot.cli"] if args.source else mentorbot()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{cwd / 'bench.db'}"}
        # An installed Mentorbot has its bytecode cached; the warm-up run writes it here too.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if args.source:
            env["PYTHONPATH"] = str(args.source.resolve())
        seed(base, env, cwd)
        print(f"mentorbot = {' '.join(base)}; {args.runs} runs per command after a warm-up")
        print(
            f"{'command':<34} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8} {'×help':>6}",
            flush=True,
        )
        worst = 0.0
        help_median = 0.0
        for command in COMMANDS:
            label = "mentorbot " + " ".join(command)
            if run([*base, *command], env, cwd) is None:
                print(f"{label:<34} (fails or does not exist in this tree)", flush=True)
                continue
            runs = [r for r in (run([*base, *command], env, cwd) for _ in range(args.runs)) if r]
            times = [wall for wall, _ in runs]
            median = statistics.median(times)
            cpu = statistics.median(c for _, c in runs)
            worst = max(worst, median)
            help_median = help_median or median  # ``--help`` runs first: the interpreter's floor
            print(
                f"{label:<34} {median:>7.2f}s {min(times):>7.2f}s {max(times):>7.2f}s "
                f"{cpu:>7.2f}s {median / help_median:>5.1f}×",
                flush=True,
            )
        floor = [
            r for r in (run([sys.executable, "-c", FLOOR], env, cwd) for _ in range(args.runs)) if r
        ]
        floor_wall = statistics.median(wall for wall, _ in floor)
        print(
            f"{'floor: python -c ' + repr(FLOOR)[:16] + '…':<34} {floor_wall:>7.2f}s "
            f"{min(w for w, _ in floor):>7.2f}s {max(w for w, _ in floor):>7.2f}s "
            f"{statistics.median(c for _, c in floor):>7.2f}s {floor_wall / help_median:>5.1f}×"
        )
        print(f'  (the floor is `python -c "{FLOOR}"`: what any database command loads)')
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"slowest median wall time {worst:.2f} s (target ≤ {TARGET_SECONDS} s); "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}"
    )
    source = f" --source {args.source}" if args.source else ""
    print(f"reproduce: {sys.executable} bench/cli_start.py --runs {args.runs}{source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
