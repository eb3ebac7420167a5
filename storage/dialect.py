"""The few statements SQLite and PostgreSQL write differently, in one place.

Everything above ``storage/`` asks for *what* it needs ("insert, skip duplicates", "bulk
insert", "the sweep's lock") and never which database it runs on; ``tests/test_layering.py``
keeps dialect-specific SQL here.

- ``insert_ignore``: ``INSERT … ON CONFLICT DO NOTHING`` (both dialects), returning how many
  rows were really new.
- ``bulk_insert``: the same for many rows in ONE statement. On PostgreSQL the rows travel as
  one JSON parameter read by ``jsonb_to_recordset``: a 100,000-row multi-VALUES statement
  spends most of its time in the driver's parameter parsing. On SQLite SQLAlchemy sends few
  multi-VALUES statements ("insertmanyvalues").
- ``advisory_xact_lock``: PostgreSQL's transaction-level advisory lock; on SQLite (one
  process, one writer at a time) always granted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Connection, DateTime, Integer, String, Text, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from storage.model_base import Base
from storage.types import UTCDateTime

# Advisory locks belong to a whole database; the schema's hash is folded into the key, so
# deployments (or test processes) in separate schemas of one database never wait for each other.
_KEY = "CAST(:id AS bigint) # hashtextextended(current_schema(), 0)"
_LOCK = text(f"SELECT pg_advisory_xact_lock({_KEY})")
_TRY_LOCK = text(f"SELECT pg_try_advisory_xact_lock({_KEY})")
_TRY_LOCK_PAIR = text(
    "SELECT pg_try_advisory_xact_lock(CAST(:a AS integer) # hashtext(current_schema()), :b)"
)
_LOCK_KEY = text(f"SELECT {_KEY}")


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _table(model: type[Base] | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__  # type: ignore[return-value]


def insert_ignore(
    session: Session,
    model: type[Base] | Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[str] = ("id",),
) -> list[tuple[Any, ...]]:
    """Insert ``rows``, skipping those that collide on the unique ``conflict`` columns;
    returns the ``returning`` columns of the rows really inserted (RETURNING, because
    rowcount is unreliable for executemany)."""
    if not rows:
        return []
    table = _table(model)
    ins: Any = postgresql.insert(table) if is_postgresql(session) else sqlite.insert(table)
    stmt = ins.on_conflict_do_nothing(index_elements=list(conflict)).returning(
        *(table.c[name] for name in returning)
    )
    if len(rows) == 1:
        return [tuple(r) for r in session.execute(stmt.values(rows[0]))]
    return [tuple(r) for r in session.connection().execute(stmt, list(rows))]


def bulk_insert(
    session: Session,
    model: type[Base] | Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[str] = ("id",),
) -> list[tuple[Any, ...]]:
    """``insert_ignore`` for many rows in one statement (see the module docstring); every row
    carries the same keys."""
    if not rows:
        return []
    if not is_postgresql(session):
        return insert_ignore(session, model, rows, conflict, returning)
    table = _table(model)
    stmt = _pg_bulk(table.name, tuple(rows[0]), tuple(conflict), tuple(returning))
    return [tuple(r) for r in session.execute(stmt, {"rows": to_json(rows)})]


@cache
def _pg_bulk(
    name: str, columns: tuple[str, ...], conflict: tuple[str, ...], ret: tuple[str, ...]
) -> Any:
    """The ``jsonb_to_recordset`` statement for one table and column set, built once."""
    table = Base.metadata.tables[name]
    record = ", ".join(f"{c} {_pg_type(table.c[c].type)}" for c in columns)
    cols = ", ".join(columns)
    return text(
        f"INSERT INTO {name} ({cols}) SELECT {cols} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x({record}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(ret)}"
    )


def _pg_type(sql_type: Any) -> str:
    if isinstance(sql_type, UTCDateTime | DateTime):
        return "timestamptz"
    if isinstance(sql_type, Boolean):
        return "boolean"
    if isinstance(sql_type, Integer):
        return "bigint" if "big" in type(sql_type).__name__.lower() else "integer"
    if isinstance(sql_type, String | Text):
        return "text"
    name = type(sql_type).__name__.lower()
    if "json" in name:
        return "json"
    if name == "date":
        return "date"
    return str(sql_type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def advisory_xact_lock(
    session: Session, lock_id: int, *, wait: bool = False, part: int | None = None
) -> bool:
    """Take a transaction-level advisory lock (PostgreSQL); False if another process holds it.

    ``wait`` blocks until it is free instead. ``part`` locks one part of ``lock_id`` (the
    two-key form), so workers can hand out chunks of one job. SQLite: always True.
    """
    if not is_postgresql(session):
        return True
    if part is not None:
        return bool(session.scalar(_TRY_LOCK_PAIR, {"a": lock_id & 0x7FFFFFFF, "b": part}))
    if wait:
        session.execute(_LOCK, {"id": lock_id})
        return True
    return bool(session.scalar(_TRY_LOCK, {"id": lock_id}))


def advisory_lock_key(conn: Connection, lock_id: int) -> int:
    """The key ``advisory_xact_lock`` takes for ``lock_id`` in this connection's schema (what
    ``pg_locks`` shows as ``classid << 32 | objid``, for tools that watch the lock)."""
    return int(conn.scalar(_LOCK_KEY, {"id": lock_id}) or 0)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one compact JSON array (datetimes in ISO 8601 with their offset)."""
    return json.dumps(list(rows), default=_json_default, separators=(",", ":"))


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
