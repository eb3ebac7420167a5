"""The soak's short version: two clocks and two servers on PostgreSQL, four simulated weeks,
five random SIGKILLs/SIGTERMs — nothing missing, no duplicate outside the stated window, none
from a SIGTERM, no limit broken (``bench/soak.py`` prints the figures).

It runs for minutes and wants the machine to itself, so ``make test`` leaves it out: it runs
with ``MENTORBOT_SOAK=1`` (``make soak``), which CI (``.ci/run``) runs after ``make test``."""

from __future__ import annotations

import os

import pytest

from bench import soak
from tests.conftest import PG_SKIP, pg_url


def test_soak_short_loses_nothing_duplicates_only_in_the_window_and_keeps_the_limits() -> None:
    base = pg_url()
    if base is None:
        pytest.skip(PG_SKIP)
    if os.environ.get("MENTORBOT_SOAK") != "1":
        pytest.skip("the soak runs with MENTORBOT_SOAK=1 (make soak), on a machine of its own")
    name = f"mentorbot_soak_{os.getpid()}"
    argv = ["--database-url", base, "--pairs", "1000", "--weeks", "4", "--kills", "5"]
    try:
        assert soak.main([*argv, "--name", name]) == 0
    finally:
        soak.drop_database(base, name)
