"""Values computed once per test run and shared by every test and every xdist worker.

The Slack and Teams replays of a scenario each compare their database with what the console
leaves after the same scenario. Playing the console takes seconds, and its result depends
only on the code and the scenario, so the first test that needs it plays it and stores the
result in the run's folder; the others, in any worker process, read it.
"""

from __future__ import annotations

import copy
import fcntl
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

RUN_DIR_ENV = "MENTORBOT_TEST_RUN_DIR"
T = TypeVar("T")
_memory: dict[str, Any] = {}


def start_run() -> Path:
    """Make the run's folder (in the controlling process; xdist workers inherit it)."""
    folder = Path(tempfile.mkdtemp(prefix="mentorbot-test-run-"))
    os.environ[RUN_DIR_ENV] = str(folder)
    return folder


def end_run(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop(RUN_DIR_ENV, None)


def once_per_run(key: str, compute: Callable[[Path], T]) -> T:
    """``compute(scratch_folder)`` the first time any process of this run asks for ``key``;
    later a deep copy of that result, so a caller may change what it gets."""
    if key not in _memory:
        run_dir = os.environ.get(RUN_DIR_ENV)
        if run_dir is None:  # not under pytest's session (a module imported alone)
            with tempfile.TemporaryDirectory() as scratch:
                _memory[key] = compute(Path(scratch))
        else:
            _memory[key] = _shared(Path(run_dir), key, compute)
    return cast(T, copy.deepcopy(_memory[key]))


def _shared(run_dir: Path, key: str, compute: Callable[[Path], T]) -> T:
    stored = run_dir / f"{key}.pickle"
    with open(run_dir / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process computes; the others wait, then read
        if stored.exists():
            return cast(T, pickle.loads(stored.read_bytes()))
        scratch = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=run_dir))
        value = compute(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        partial = stored.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(stored)
        return value
