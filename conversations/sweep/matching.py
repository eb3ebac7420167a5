"""The sweep's matching step: proposals unanswered for seven days expire and are followed up.

One read when nothing is due. Each expired proposal tells both people that another match is
being looked for (the words a decline also gives, so neither learns which it was), and the
programme's mode takes it from there (auto-propose again, or new choices for the actor).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.matching.proposals import expire, row_sender


def sweep_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Outbox rows of the proposals that expire at ``now`` and what follows them."""
    rows: list[dict[str, Any]] = []
    expire(session, now, row_sender(rows, now))
    return rows
