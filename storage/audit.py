"""The audit log's one writer: who read or changed whose data (design.md, AuditLog).

It lives in ``storage`` so that every layer — the chat's HR commands and the command line,
including its light listings — records reads and changes the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditLog, Person


def audit(
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    subject: Person | None = None,
    **detail: Any,
) -> None:
    """Record who read or changed whose data."""
    session.add(
        AuditLog(
            at=now,
            actor=actor[:254],
            action=action,
            subject_person_id=subject.id if subject else None,
            detail=detail,
        )
    )
