"""Shared fixtures: every storage and engine test runs on SQLite and again on PostgreSQL.

PostgreSQL runs when ``MENTORBOT_TEST_DATABASE_URL`` is set (``.ci/run`` sets it); otherwise
those tests are skipped with that reason, never silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING
from datetime import datetime
from pathlib import Path
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

_pg_migrated = False


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def reset_postgres(url: str) -> None:
    """Drop and re-create the public schema, then migrate it (once per test session)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the PostgreSQL test database."""
    global _pg_migrated
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
        return
    url = pg_url()
    if url is None:
        pytest.skip(PG_SKIP)
    url = normalise_url(url)
    if not _pg_migrated:
        reset_postgres(url)
        _pg_migrated = True
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
def chat(factory: sessionmaker[Session], clock: SettableClock) -> "Chat":
    """The seeded pilot programme, with everyone able to talk through the console."""
    from tests.chat import make_chat, seed_people

    seed_people(factory, clock.now())
    made = make_chat(factory, clock.now())
    clock.set(made.console.clock.now())
    return made


if TYPE_CHECKING:
    from tests.chat import Chat
