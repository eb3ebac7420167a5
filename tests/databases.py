"""Test databases, made cheaply: SQLite copied from a template migrated once per process, and
one private PostgreSQL schema per test process (per pytest-xdist worker).

Running alembic costs about half a second per database; a test suite that migrates a fresh
SQLite file for every test spends minutes on it. Each test process migrates one template file
through alembic — so the migrations still run, every session — and every test gets a byte
copy of it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine, normalise_url, upgrade
from storage.models import Base

PG_ENV = "MENTORBOT_TEST_DATABASE_URL"
PG_SKIP = f"{PG_ENV} is not set: the PostgreSQL run of this test is skipped"

_template: Path | None = None


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def worker_id() -> str:
    """The pytest-xdist worker this process is (``gw0``, ``gw1``…), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def sqlite_template() -> Path:
    """This process's migrated, empty SQLite file (made on first use, removed at exit)."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix=f"mentorbot-template-{worker_id()}-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        # one self-contained file: everything checkpointed out of the write-ahead log, so a
        # byte copy is the whole database (make_engine turns WAL on again for each copy)
        with sqlite3.connect(template) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        _template = template
    return _template


def migrated_sqlite(path: Path) -> str:
    """A migrated, empty SQLite database at ``path`` (a copy of the template); its URL."""
    shutil.copyfile(sqlite_template(), path)
    return f"sqlite:///{path}"


def create_private_schema(url: str) -> tuple[str, str]:
    """A schema of this test process's own, migrated: (its name, a URL that uses it).

    Named after the xdist worker and the process id, so the workers of one run and
    concurrent runs on one server never share tables.
    """
    url = normalise_url(url)
    schema = f"mentorbot_test_{worker_id()}_{os.getpid()}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    upgrade(scoped)
    return schema, scoped


def drop_schema(url: str, schema: str) -> None:
    engine = make_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def truncate_all(url: str) -> None:
    """Empty every table (identities restart), so each test starts from a migrated, empty
    database without migrating again."""
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
