"""Writing the sweep's outbox rows in one statement, and the sweep's advisory lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.dialect import advisory_xact_lock, bulk_insert
from storage.models import Outbox

SWEEP_LOCK_ID = 0x6D656E746F72  # "mentor": the advisory lock id of the sweep


def try_sweep_lock(session: Session, wait: bool = False) -> bool:
    """Take the sweep's lock for this transaction (False if another process holds it).

    ``wait`` blocks until the lock is free instead (the console and tests, which must not
    skip a moment); the clock never waits: another process is sweeping already.
    """
    return advisory_xact_lock(session, SWEEP_LOCK_ID, wait=wait)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows once per dedupe key in one statement; returns how many were new."""
    return len(bulk_insert(session, Outbox, rows, conflict=["dedupe_key"]))
