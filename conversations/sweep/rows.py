"""Writing the sweep's outbox rows in one statement, and the sweep's advisory lock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from storage.models import Outbox

SWEEP_LOCK_ID = 0x6D656E746F72  # "mentor": the advisory lock id of the sweep
_LOCK = text("SELECT pg_advisory_xact_lock(:id)")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:id)")

# RETURNING counts what was really inserted (rowcount is unreliable for executemany);
# SQLAlchemy sends the rows as few multi-VALUES statements ("insertmanyvalues")
_SQLITE_INSERT = (
    sqlite.insert(Outbox).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Outbox.id)
)
_PG_BULK_INSERT = text(
    """
    INSERT INTO outbox (dedupe_key, person_id, channel_id, kind, payload, due_at,
                        next_attempt_at, expires_at, status, attempts, created_at)
    SELECT dedupe_key, person_id, channel_id, kind, payload, due_at, next_attempt_at,
           expires_at, status, attempts, created_at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(
        dedupe_key text, person_id integer, channel_id integer, kind text, payload json,
        due_at timestamptz, next_attempt_at timestamptz, expires_at timestamptz, status text,
        attempts integer, created_at timestamptz)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """
)


def try_sweep_lock(session: Session, wait: bool = False) -> bool:
    """PostgreSQL: take the sweep's advisory lock for this transaction (False if taken).

    ``wait`` blocks until the lock is free instead (the console and tests, which must not
    skip a moment); the clock never waits: another process is sweeping already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(_LOCK, {"id": SWEEP_LOCK_ID})
        return True
    return bool(session.scalar(_TRY_LOCK, {"id": SWEEP_LOCK_ID}))


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows once per dedupe key in one statement; returns how many were new.

    On PostgreSQL the rows travel as one JSON parameter (``jsonb_to_recordset``): a
    100,000-row multi-VALUES statement spends most of its time in the driver's parameter
    parsing. On SQLite: one many-row ``INSERT … ON CONFLICT DO NOTHING``.
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name != "postgresql":
        return len(session.connection().execute(_SQLITE_INSERT, rows).all())
    return len(session.execute(_PG_BULK_INSERT, {"rows": to_json(rows)}).all())


def to_json(rows: list[dict[str, Any]]) -> str:
    """Rows as one compact JSON array (datetimes in ISO 8601 with their offset)."""
    return json.dumps(rows, default=_json_default, separators=(",", ":"))


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
