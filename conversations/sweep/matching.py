"""The sweep's matching step: proposals unanswered for seven days expire and are followed up.

One read when nothing is due. Each expired proposal tells both people that another match is
being looked for (the words a decline also gives, so neither learns which it was), and the
programme's mode takes it from there (auto-propose again, or new choices for the actor).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.matching.proposals import expire
from conversations.messages import Message
from conversations.outbox import outbox_row
from storage.models import Person


def sweep_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Outbox rows of the proposals that expire at ``now`` and what follows them."""
    rows: list[dict[str, Any]] = []

    def send(to: Person, message: Message, kind: str, key: str) -> None:
        rows.append(
            outbox_row(
                person_id=to.id, kind=kind, message=message, dedupe_key=key, due_at=now, now=now
            )
        )

    expire(session, now, send)
    return rows
