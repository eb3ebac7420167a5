"""Writing proactive messages to the outbox: once per dedupe key, whatever happens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.messages import Message
from storage.models import Outbox, OutboxStatus


def outbox_row(
    *,
    person_id: int | None,
    kind: str,
    message: Message,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    expires_at: datetime | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """One outbox row for ``insert_ignoring_duplicates``: to a person, or to a channel."""
    return {
        "dedupe_key": dedupe_key[:200],
        "person_id": person_id,
        "channel_id": channel_id,
        "kind": kind,
        "payload": message.model_dump(mode="json"),
        "due_at": due_at,
        "next_attempt_at": due_at,
        "expires_at": expires_at,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
    }


def insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows in one statement; rows whose dedupe key exists are skipped."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(Outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(Outbox)
    # RETURNING counts what was really inserted (rowcount is unreliable for executemany);
    # SQLAlchemy batches the rows into few multi-VALUES statements ("insertmanyvalues").
    result = session.connection().execute(stmt.returning(Outbox.id), rows)
    return len(result.all())


def cancel_pending(session: Session, key_prefix: str, reason: str) -> int:
    """Cancel queued, not yet sent messages whose dedupe key starts with ``key_prefix``."""
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.dedupe_key.startswith(key_prefix, autoescape=True),
            Outbox.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
