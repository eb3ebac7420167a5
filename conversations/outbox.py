"""Writing proactive messages to the outbox: once per dedupe key, whatever happens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from conversations.messages import Message, Outbound
from storage.db import transaction
from storage.dialect import insert_ignore
from storage.models import Outbox, OutboxStatus

REPLY_KIND = "reply"
"""Outbox rows that are direct replies which could not, or must not yet, be sent directly."""
NOT_YET_SENT = (OutboxStatus.PENDING.value, OutboxStatus.WAITING.value)
"""Rows nobody is sending right now that may still be sent."""


def outbox_row(
    *,
    person_id: int | None,
    kind: str,
    message: Message | None,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    expires_at: datetime | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """One outbox row for ``insert_ignoring_duplicates``: to a person, or to a channel.
    ``message`` None: no content until the delivery renders it when it sends it."""
    return {
        "dedupe_key": dedupe_key[:200],
        "person_id": person_id,
        "channel_id": channel_id,
        "kind": kind,
        "payload": message.model_dump(mode="json") if message is not None else {},
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
    return len(insert_ignore(session, Outbox, rows, conflict=["dedupe_key"]))


def cancel_pending(session: Session, key_prefix: str, reason: str) -> int:
    """Cancel queued, not yet sent messages whose dedupe key starts with ``key_prefix``."""
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.dedupe_key.startswith(key_prefix, autoescape=True),
            Outbox.status.in_(NOT_YET_SENT),
        )
        .values(status=OutboxStatus.CANCELLED.value, last_error=reason, payload={})
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


_WAITING = and_(
    Outbox.person_id == bindparam("person"), Outbox.status == OutboxStatus.WAITING.value
)
_RELEASE = (
    update(Outbox)
    .where(_WAITING)
    .values(status=OutboxStatus.PENDING.value, next_attempt_at=Outbox.due_at)
    .execution_options(synchronize_session=False)
)
_QUEUED_REPLY = and_(
    Outbox.person_id == bindparam("person"),
    Outbox.kind == REPLY_KIND,
    Outbox.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)),
)
# one statement in the common case: is anything waiting for the person, is a reply queued
_WAITING_OR_QUEUED = select(exists().where(_WAITING), exists().where(_QUEUED_REPLY))


def release_waiting(session: Session, person_id: int) -> int:
    """The person became reachable (installed the app, wrote): what waited for them is due
    again at its original time, so it goes before anything queued later; how many rows."""
    result = session.execute(_RELEASE, {"person": person_id})
    return int(getattr(result, "rowcount", 0) or 0)


def replies_in_queue(session: Session, person_id: int) -> bool:
    """Earlier replies to this person still wait in the outbox (refused by the platform, or
    queued behind what waited for them): a new reply must queue behind them too."""
    return bool(session.scalar(select(exists().where(_QUEUED_REPLY)), {"person": person_id}))


def release_and_check_queue(session: Session, person_id: int) -> bool:
    """``release_waiting``, then whether this turn's replies must queue behind the outbox
    (something was released or a reply still waits): one read when nothing waits, which is
    nearly every turn, instead of an update and a read."""
    waiting, queued = session.execute(_WAITING_OR_QUEUED, {"person": person_id}).one()
    if waiting:
        return release_waiting(session, person_id) > 0 or replies_in_queue(session, person_id)
    return bool(queued)


def queue_replies(
    session: Session,
    person_id: int,
    messages: list[Message],
    now: datetime,
    kind: str = REPLY_KIND,
) -> list[dict[str, Any]]:
    """Direct replies that must go through the outbox (after what waited for the person, or
    because the platform refused them): rows due now, in order, with unique keys."""
    batch = uuid.uuid4().hex
    rows = [
        outbox_row(
            person_id=person_id,
            kind=kind,
            message=message,
            dedupe_key=f"{kind}:{person_id}:{batch}:{i}",
            due_at=now,
            now=now,
        )
        for i, message in enumerate(messages)
    ]
    insert_ignoring_duplicates(session, rows)
    return rows


def queue_undelivered_replies(
    factory: sessionmaker[Session], outbounds: Sequence[Outbound], now: datetime
) -> int:
    """Direct replies the platform refused for now (429, 5xx, a timeout) go to the outbox,
    whose retry policy delivers them: no reply is lost. A reply to someone the bot could not
    identify has nobody to reach later and is dropped. How many were queued."""
    by_person: dict[int, list[Message]] = {}
    for outbound in outbounds:
        if outbound.person_id is not None:
            by_person.setdefault(outbound.person_id, []).append(outbound.message)
    with transaction(factory) as session:
        for person_id, messages in by_person.items():
            queue_replies(session, person_id, messages, now)
    return sum(len(messages) for messages in by_person.values())
