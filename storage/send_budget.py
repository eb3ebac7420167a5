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
        SELECT extract(epoch FROM clock_timestamp()) AS now,
               max(CASE WHEN key = :c THEN tat - :ctol END) AS ch,
               max(CASE WHEN key = :o THEN tat - :otol END) AS ov,
               count(*) AS n
        FROM cur
    ), plan AS (
        SELECT now, n, ch <= now AS ready,
               CASE WHEN ch <= now THEN greatest(now, ov) ELSE ch END AS at
        FROM moment
    )
    UPDATE send_budget AS b
    SET tat = CASE WHEN NOT plan.ready THEN b.tat
                   ELSE greatest(b.tat, plan.at) + CASE WHEN b.key = :c THEN :ci ELSE :oi END
              END
    FROM plan
    WHERE plan.n = 2 AND (b.key = :c OR (b.key = :o AND plan.ready))
    RETURNING plan.at, plan.now, plan.ready
    """
)
"""One statement: lock the channel's and the platform's budget (in key order, so two
workers never deadlock) and, on the database's clock:

- when the channel is free, take the moment both allow and move both on (``ready``);
- when it is not (another worker used it), reserve nothing and return the channel's next
  moment: the worker waits for it and asks again. Reserving the platform's budget for that
  later moment would hold every other channel's sends back until then (the platform's
  budget is one moment, it cannot keep a hole), and the send slots with it.

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
    """(moment, now, ready) from ``RESERVE``; None when a budget row is missing (pruned)."""
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
