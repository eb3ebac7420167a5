"""The ``send_budget`` rows' statements (PostgreSQL only): the platform limits every worker
of a deployment shares (``bot.shared_limits`` decides when to call them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, text
from sqlalchemy.orm import Session

from storage.dialect import insert_ignore
from storage.models import SendBudget

EPOCH_NOW = func.extract("epoch", func.clock_timestamp())
RESERVE = text(
    """
    WITH cur AS (
        SELECT key, tat FROM send_budget WHERE key IN (:c, :o) ORDER BY key FOR UPDATE
    ), moment AS (
        SELECT greatest(
                   extract(epoch FROM clock_timestamp()),
                   max(CASE WHEN key = :c THEN tat - :ctol ELSE tat - :otol END)
               ) AS at,
               count(*) AS n
        FROM cur
    )
    UPDATE send_budget AS b
    SET tat = greatest(b.tat, moment.at) + CASE WHEN b.key = :c THEN :ci ELSE :oi END
    FROM moment
    WHERE b.key IN (:c, :o) AND moment.n = 2
    RETURNING moment.at, extract(epoch FROM clock_timestamp())
    """
)
"""One statement: lock the channel's and the platform's budget (in key order, so two
workers never deadlock), take the moment both allow on the database's clock, move both on.
The locks are held only while the statement runs."""
PAUSE = text(
    """
    INSERT INTO send_budget AS b (key, tat)
    VALUES (:k, extract(epoch FROM clock_timestamp()) + :s)
    ON CONFLICT (key) DO UPDATE
    SET tat = greatest(b.tat, extract(epoch FROM clock_timestamp()) + :s)
    """
)
"""A 429's Retry-After: hold the budget at least that long (one statement)."""


def reserve_moment(conn: Connection, params: Mapping[str, Any]) -> Any:
    """Run ``RESERVE``; None when a budget row is missing (pruned meanwhile)."""
    return conn.execute(RESERVE, dict(params)).first()


def pause_budget(conn: Connection, key: str, seconds: float) -> None:
    conn.execute(PAUSE, {"k": key, "s": seconds})


def create_budgets(session: Session, keys: Sequence[str]) -> None:
    """Create the budget rows that do not exist yet."""
    insert_ignore(session, SendBudget, [{"key": k, "tat": 0.0} for k in keys], ["key"], ("key",))


def forget_idle(session: Session, seconds: float) -> int:
    """Delete channel budgets idle ``seconds`` (the platforms' ``*`` budgets stay)."""
    result = session.execute(
        delete(SendBudget).where(
            SendBudget.tat < EPOCH_NOW - seconds, ~SendBudget.key.endswith(":*")
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
