"""Delivering due outbox rows through the platform senders, with retries and a dead letter."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.delivery import Recipient, Sender, SendError
from conversations.messages import Message
from storage.db import transaction
from storage.models import Outbox, OutboxStatus, Person, PlatformIdentity

log = logging.getLogger(__name__)

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    expired: int = 0


def backoff(attempt: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter; never sooner than the platform's Retry-After."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))
    delay = timedelta(seconds=rng.uniform(0.5, 1.0) * ceiling.total_seconds())
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def recipient_for(session: Session, person: Person) -> Recipient:
    """Reach a person where they last talked to the bot."""
    ident = session.scalars(
        select(PlatformIdentity)
        .where(PlatformIdentity.person_id == person.id)
        .order_by(PlatformIdentity.last_seen_at.desc())
    ).first()
    return Recipient(
        person_id=person.id,
        name=person.name,
        email=person.email,
        locale=person.locale,
        platform=ident.platform if ident else None,
        platform_user_id=ident.platform_user_id if ident else None,
        address=dict(ident.address) if ident else {},
    )


async def deliver_due(
    factory: sessionmaker[Session],
    senders: Mapping[str, Sender],
    now: datetime,
    *,
    default_platform: str | None = None,
    max_attempts: int = 8,
    limit: int = 500,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send every due row once; failures are rescheduled with backoff or marked dead."""
    rng = rng or random.Random()
    report = DeliveryReport()
    with transaction(factory) as session:
        rows = list(
            session.scalars(
                select(Outbox)
                .where(
                    Outbox.status == OutboxStatus.PENDING,
                    Outbox.next_attempt_at <= now,
                )
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(limit)
            )
        )
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                row.status = OutboxStatus.CANCELLED
                row.last_error = "expired before it could be delivered"
                report.expired += 1
                continue
            person = session.get(Person, row.person_id)
            assert person is not None
            recipient = recipient_for(session, person)
            platform = recipient.platform or default_platform
            sender = senders.get(platform) if platform else None
            row.attempts += 1
            try:
                if sender is None:
                    raise SendError(f"no way to reach this person (platform {platform!r})")
                message_id = await sender.send(recipient, Message.model_validate(row.payload))
            except SendError as err:
                row.last_error = err.reason
                if err.permanent or row.attempts >= max_attempts:
                    row.status = OutboxStatus.DEAD
                    report.dead += 1
                    log.warning(
                        "outbox %s dead after %s attempts: %s", row.id, row.attempts, err.reason
                    )
                else:
                    row.next_attempt_at = now + backoff(row.attempts, err.retry_after, rng)
                    report.retried += 1
                continue
            row.status = OutboxStatus.SENT
            row.platform = platform
            row.platform_message_id = message_id
            row.sent_at = now
            report.sent += 1
    return report
