"""Shared fixtures: every storage and engine test runs on SQLite, and the tests where the
database matters run again on PostgreSQL.

A test runs on PostgreSQL too when it (or its module) is marked ``@pytest.mark.postgres`` —
storage, the sweep, delivery, concurrency and the engine's own tests are; adapters, the CLI and
the HR end-to-end scenarios run on SQLite. ``MENTORBOT_TEST_POSTGRES=all`` runs every database
test on both. PostgreSQL runs when ``MENTORBOT_TEST_DATABASE_URL`` is set (``.ci/run`` sets it);
otherwise those runs are skipped with that reason, never silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from conversations.clock import SettableClock
from storage.db import make_engine, make_session_factory
from tests.databases import (
    PG_ENV,
    PG_SKIP,
    create_private_schema,
    drop_schema,
    migrated_sqlite,
    pg_url,
    truncate_all,
)
from tests.once import end_run, start_run

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 9, 0, tzinfo=HELSINKI)
ALL_ON_POSTGRES_ENV = "MENTORBOT_TEST_POSTGRES"
_RUN_DIR = pytest.StashKey[Path]()
LONG_MODULES = frozenset(  # tens of seconds each (``--durations`` shows them)
    {
        "tests/test_clock_processes.py",
        "tests/slack/test_slack_lifecycle.py",
        "tests/teams/test_teams_lifecycle.py",
        "tests/slack/test_slack_hr_scenario.py",
        "tests/teams/test_teams_hr_scenario.py",
        "tests/test_lifecycle_transcripts.py",
        "tests/hr/test_hr_scenario.py",
        "tests/test_engine_random_inputs.py",
    }
)

__all__ = ["PG_ENV", "PG_SKIP", "START", "pg_url"]


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controlling process; workers inherit the run
        config.stash[_RUN_DIR] = start_run()
    config.addinivalue_line(
        "markers",
        "postgres: the database matters here: run on PostgreSQL too, not only on SQLite",
    )
    config.addinivalue_line(
        "markers",
        "no_sweeps: the chat fixture's steps deliver the outbox without running the clock's"
        " sweep first (for tests about neither timing nor nudges)",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_RUN_DIR, None)
    if folder is not None:
        end_run(folder)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: with pytest-xdist's work stealing, a long test started last
    would leave the other workers idle while it runs on alone."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONG_MODULES)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``database_url`` is SQLite, plus PostgreSQL for tests marked ``postgres``."""
    if "database_url" not in metafunc.fixturenames:
        return
    both = (
        metafunc.definition.get_closest_marker("postgres") is not None
        or os.environ.get(ALL_ON_POSTGRES_ENV) == "all"
    )
    params = ["sqlite", "postgresql"] if both else ["sqlite"]
    metafunc.parametrize("database_url", params, indirect=True)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """This test process's own migrated PostgreSQL schema, dropped when the session ends."""
    url = pg_url()
    if url is None:
        pytest.skip(PG_SKIP)
    schema, scoped = create_private_schema(url)
    yield scoped
    drop_schema(url, schema)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a copy of the migrated SQLite template, or this process's
    PostgreSQL schema with every table emptied."""
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "test.db")
    url: str = request.getfixturevalue("postgres_schema_url")
    truncate_all(url)
    return url


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def chat(
    request: pytest.FixtureRequest, factory: sessionmaker[Session], clock: SettableClock
) -> Chat:
    """The seeded pilot programme, with everyone able to talk through the console.

    Like ``mentorbot console``, every step runs the clock's sweep and delivers the outbox. A
    test about neither timing nor nudges may be marked ``no_sweeps``: its steps then only
    deliver, which makes them several times cheaper.
    """
    from tests.chat import make_chat, seed_people

    seed_people(factory, clock.now())
    sweeps = request.node.get_closest_marker("no_sweeps") is None
    made = make_chat(factory, clock.now(), sweeps=sweeps)
    clock.set(made.console.clock.now())
    return made


if TYPE_CHECKING:
    from tests.chat import Chat
