"""Reads of plain columns, run on the session's connection.

``Session.execute`` gives an ORM statement's rows the ORM's per-statement work (compile
state, loading context) even when it selects only columns; on the session's connection the
same statement costs half as much. The sweep runs some twenty such reads every few minutes
(and after every step of the console and the demo), so the difference is most of its cost at
small sizes. What the session has pending is flushed first, as ``Session.execute`` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Executable, Result
from sqlalchemy.orm import Session

STREAM: Mapping[str, Any] = {"yield_per": 5000}
"""For the large reads: rows arrive in batches (a server-side cursor on PostgreSQL) rather
than as one list next to the objects built from them."""


def read_rows(
    session: Session,
    statement: Executable,
    params: Mapping[str, Any] | None = None,
    *,
    stream: bool = False,
) -> Result[*tuple[Any, ...]]:
    """The rows of a statement that selects columns (not mapped objects), in the session's
    transaction; ``stream`` for reads of every pair."""
    return connection(session).execute(
        statement, dict(params or {}), execution_options=STREAM if stream else None
    )


def connection(session: Session) -> Connection:
    """The session's connection, with what the session has pending written first (as
    ``Session.execute`` would): for statements of plain columns, and for bulk deletes and
    updates that touch no object the session holds."""
    if session.autoflush:
        session.flush()
    return session.connection()
