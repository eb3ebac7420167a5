"""Shared fixtures: every storage and engine test runs on SQLite and again on PostgreSQL.

PostgreSQL runs when ``MENTORBOT_TEST_DATABASE_URL`` is set (``.ci/run`` sets it); otherwise
those tests are skipped with that reason, never silently.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from conversations.clock import SettableClock
from storage.db import make_engine, make_session_factory, normalise_url, upgrade
from storage.models import Base

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 9, 0, tzinfo=HELSINKI)
PG_ENV = "MENTORBOT_TEST_DATABASE_URL"
PG_SKIP = f"{PG_ENV} is not set: the PostgreSQL run of this test is skipped"

_pg_schema_url: str | None = None


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def private_schema_url(url: str) -> str:
    """A schema of this test process's own, so concurrent test runs never collide.

    The schema is created, migrated once per session, and dropped at exit.
    """
    schema = f"mentorbot_test_{os.getpid()}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()

    def drop() -> None:
        cleanup = make_engine(url)
        with cleanup.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        cleanup.dispose()

    atexit.register(drop)
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    upgrade(scoped)
    return scoped


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the PostgreSQL test database."""
    global _pg_schema_url
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
        return
    url = pg_url()
    if url is None:
        pytest.skip(PG_SKIP)
    if _pg_schema_url is None:
        _pg_schema_url = private_schema_url(normalise_url(url))
    url = _pg_schema_url
    engine = make_engine(url)
    truncate_all(engine)
    engine.dispose()
    yield url


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
def chat(factory: sessionmaker[Session], clock: SettableClock) -> Chat:
    """The seeded pilot programme, with everyone able to talk through the console."""
    from tests.chat import make_chat, seed_people

    seed_people(factory, clock.now())
    made = make_chat(factory, clock.now())
    clock.set(made.console.clock.now())
    return made


if TYPE_CHECKING:
    from tests.chat import Chat
