"""Delivering due outbox rows through the platform senders: claim, send, record.

1. **Claim** (one short transaction): rows that are ``pending`` and due, or ``sending`` whose
   lease (``locked_until``, wall-clock) ran out because their worker died, are marked
   ``sending`` with a fresh lease and ``attempts + 1``. On PostgreSQL the candidate rows are
   selected ``FOR UPDATE SKIP LOCKED``, so any number of workers share the queue without
   waiting for each other or taking the same row. SQLite: one worker process. Pending rows
   past their ``expires_at`` are cancelled here (a meeting reminder is never sent after the
   meeting).
2. **Send** outside any transaction, concurrently, each send waiting for the per-platform
   ``RateLimiter``. The row's dedupe key is available to senders in ``OUTBOX_KEY``.
3. **Record** (one transaction per batch): ``sent`` with the platform message id (and what
   the sender had to find out to reach someone, e.g. a Slack user found by email and the DM it
   opened, stored as their platform identity so no process looks again); or, on
   ``SendError``, ``pending`` again after exponential backoff with full jitter (never sooner
   than ``Retry-After``); or ``dead`` with the error kept after a permanent error or the last
   attempt.

The crash window: a process killed between a platform's accepting a message and step 3 leaves
the row ``sending``; when its lease runs out another worker sends it again. That is the only
way a nudge reaches a person twice (at-least-once to the platform, exactly-once in the
database).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.ratelimit import RateLimiter
from conversations.delivery import Recipient, Sender, SendError, Sent
from conversations.messages import Message
from conversations.outbox import NOT_YET_SENT
from storage.db import transaction
from storage.models import Channel, Outbox, OutboxStatus, Person, PlatformIdentity
from storage.queries import link_identity

log = logging.getLogger(__name__)

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)

OUTBOX_KEY: ContextVar[str | None] = ContextVar("mentorbot_outbox_key", default=None)
"""The dedupe key of the outbox row being sent (for senders that pass it along)."""


def wall_clock() -> datetime:
    """Real time, for leases: a lease is about a process being alive, not simulated time."""
    return datetime.now(UTC)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    expired: int = 0
    claimed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.expired += other.expired
        self.claimed += other.claimed


@dataclass(frozen=True)
class DeliveryConfig:
    """How the worker behaves; see ``bot.settings`` for the environment variables."""

    max_attempts: int = 8
    batch_size: int = 200
    concurrency: int = 32
    lease: timedelta = timedelta(minutes=2)
    base_backoff: timedelta = BASE_BACKOFF
    max_backoff: timedelta = MAX_BACKOFF


def backoff(
    attempt: int,
    retry_after: float | None,
    rng: random.Random,
    base: timedelta = BASE_BACKOFF,
    cap: timedelta = MAX_BACKOFF,
) -> timedelta:
    """Exponential backoff with full jitter; never sooner than the platform's Retry-After."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
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
    return _recipient(person, ident)


def _recipient(person: Person, ident: PlatformIdentity | None) -> Recipient:
    return Recipient(
        person_id=person.id,
        name=person.name,
        email=person.email,
        locale=person.locale,
        platform=ident.platform if ident else None,
        platform_user_id=ident.platform_user_id if ident else None,
        address=dict(ident.address) if ident else {},
    )


def channel_of(recipient: Recipient) -> str:
    """The conversation a send goes to, for the per-channel rate limit."""
    address = recipient.address or {}
    channel = address.get("channel")
    if channel:
        return str(channel)
    conversation = address.get("conversation")
    if isinstance(conversation, dict) and conversation.get("id"):
        return str(conversation["id"])
    if recipient.channel_id is not None:
        return f"channel-{recipient.channel_id}"
    return recipient.platform_user_id or f"person-{recipient.person_id}"


def _recipient_key(recipient: Recipient) -> str:
    if recipient.person_id is not None:
        return f"person-{recipient.person_id}"
    return channel_of(recipient)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    attempts: int
    payload: dict[str, Any]
    expires_at: datetime | None
    recipient: Recipient


@dataclass
class _Outcome:
    row: Claimed
    status: OutboxStatus
    platform: str | None = None
    message_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    learned: Sent | None = None


@dataclass
class DeliveryWorker:
    """Claims due outbox rows and sends them; safe to run in many processes on PostgreSQL."""

    factory: sessionmaker[Session]
    senders: Mapping[str, Sender]
    limiter: RateLimiter
    config: DeliveryConfig = field(default_factory=DeliveryConfig)
    default_platform: str | None = None
    rng: random.Random = field(default_factory=random.Random)
    lease_clock: Callable[[], datetime] = wall_clock

    async def deliver_due(self, now: datetime, max_batches: int = 1000) -> DeliveryReport:
        """Deliver every row due at ``now``, batch after batch, until none is left."""
        report = DeliveryReport()
        for _ in range(max_batches):
            batch = await self.deliver_batch(now)
            report.add(batch)
            if batch.claimed < self.config.batch_size:
                break
        return report

    async def deliver_batch(self, now: datetime) -> DeliveryReport:
        """Claim one batch, send it, record the outcomes."""
        report = DeliveryReport()
        expired, claimed = await asyncio.to_thread(self.claim, now)
        report.expired = expired
        report.claimed = len(claimed)
        if not claimed:
            return report
        gate = asyncio.Semaphore(self.config.concurrency)

        in_queue_order: dict[str, list[Claimed]] = {}
        for row in claimed:  # one recipient's messages arrive in the order they were queued
            in_queue_order.setdefault(_recipient_key(row.recipient), []).append(row)

        async def one_by_one(rows: list[Claimed]) -> list[_Outcome]:
            done = []
            for row in rows:
                async with gate:
                    done.append(await self._send(row, now))
            return done

        groups = await asyncio.gather(*(one_by_one(rows) for rows in in_queue_order.values()))
        outcomes = [outcome for group in groups for outcome in group]
        await asyncio.to_thread(self._record, outcomes, now)
        for outcome in outcomes:
            if outcome.status == OutboxStatus.SENT:
                report.sent += 1
            elif outcome.status == OutboxStatus.DEAD:
                report.dead += 1
            elif outcome.status == OutboxStatus.CANCELLED:
                report.expired += 1
            else:
                report.retried += 1
        return report

    def claim(self, now: datetime) -> tuple[int, list[Claimed]]:
        """Cancel expired rows and claim up to one batch of due rows (one transaction)."""
        wall = self.lease_clock()
        with transaction(self.factory) as session:
            expired = session.execute(
                update(Outbox)
                .where(
                    Outbox.status.in_(NOT_YET_SENT),
                    Outbox.expires_at.is_not(None),
                    Outbox.expires_at <= now,
                )
                .values(
                    status=OutboxStatus.CANCELLED.value,
                    last_error="its moment passed before it could be delivered",
                )
                .execution_options(synchronize_session=False)
            )
            due = (
                select(Outbox.id)
                .where(
                    or_(
                        and_(
                            Outbox.status == OutboxStatus.PENDING.value,
                            Outbox.next_attempt_at <= now,
                        ),
                        and_(
                            Outbox.status == OutboxStatus.SENDING.value,
                            Outbox.locked_until <= wall,
                        ),
                    )
                )
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(self.config.batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.scalars(due))
            if not ids:
                return int(getattr(expired, "rowcount", 0) or 0), []
            session.execute(
                update(Outbox)
                .where(Outbox.id.in_(ids))
                .values(
                    status=OutboxStatus.SENDING.value,
                    attempts=Outbox.attempts + 1,
                    locked_until=wall + self.config.lease,
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.execute(
                select(
                    Outbox.id,
                    Outbox.dedupe_key,
                    Outbox.kind,
                    Outbox.attempts,
                    Outbox.payload,
                    Outbox.expires_at,
                    Outbox.person_id,
                    Outbox.channel_id,
                )
                .where(Outbox.id.in_(ids))
                .order_by(Outbox.next_attempt_at, Outbox.id)
            ).all()
            recipients = self._recipients(
                session, {r.person_id for r in rows if r.person_id is not None}
            )
            channels = self._channels(
                session, {r.channel_id for r in rows if r.channel_id is not None}
            )
            claimed = [
                Claimed(
                    id=r.id,
                    key=r.dedupe_key,
                    kind=r.kind,
                    attempts=r.attempts,
                    payload=r.payload,
                    expires_at=r.expires_at,
                    recipient=(
                        recipients[r.person_id]
                        if r.person_id is not None
                        else channels[r.channel_id]
                    ),
                )
                for r in rows
            ]
            return int(getattr(expired, "rowcount", 0) or 0), claimed

    @staticmethod
    def _recipients(session: Session, person_ids: set[int]) -> dict[int, Recipient]:
        """Each person with their most recently used platform identity (two queries)."""
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
        latest: dict[int, PlatformIdentity] = {}
        for ident in session.scalars(
            select(PlatformIdentity)
            .where(PlatformIdentity.person_id.in_(person_ids))
            .order_by(PlatformIdentity.last_seen_at)
        ):
            latest[ident.person_id] = ident
        return {pid: _recipient(p, latest.get(pid)) for pid, p in people.items()}

    @staticmethod
    def _channels(session: Session, channel_ids: set[int]) -> dict[int, Recipient]:
        """Shared channels as recipients (one query); the address is what their sender needs."""
        if not channel_ids:
            return {}
        return {
            c.id: Recipient(
                person_id=None,
                name=c.name,
                email=None,
                locale=c.locale,
                platform=c.platform,
                platform_user_id=None,
                address=dict(c.address),
                channel_id=c.id,
            )
            for c in session.scalars(select(Channel).where(Channel.id.in_(channel_ids)))
        }

    async def _send(self, row: Claimed, now: datetime) -> _Outcome:
        if row.expires_at is not None and row.expires_at <= now:
            reason = "its moment passed before sending"
            if row.attempts > 1:  # an earlier attempt died or timed out: it may have arrived
                reason += "; an earlier attempt may have reached the platform"
            return _Outcome(row, OutboxStatus.CANCELLED, error=reason)
        recipient = row.recipient
        platform = recipient.platform or self.default_platform
        sender = self.senders.get(platform) if platform else None
        channel = channel_of(recipient)
        try:
            if sender is None or platform is None:
                # they may install the app or write later: the row waits for them
                raise SendError(
                    f"no way to reach this person yet (platform {platform!r})", unreachable=True
                )
            await self.limiter.acquire(platform, channel)
            token = OUTBOX_KEY.set(row.key)
            try:
                sent = await sender.send(recipient, Message.model_validate(row.payload))
            finally:
                OUTBOX_KEY.reset(token)
        except SendError as err:
            if err.retry_after is not None and platform is not None:
                self.limiter.pause(platform, channel, err.retry_after)
            return self._failed(row, err, now)
        except Exception as err:  # a sender bug must not stop the worker: retry, then dead
            log.exception("sender failed unexpectedly for outbox %s", row.id)
            return self._failed(row, SendError(f"{type(err).__name__}: {err}"), now)
        return _Outcome(
            row,
            OutboxStatus.SENT,
            platform=platform,
            message_id=sent.message_id,
            learned=sent if sent.learned else None,
        )

    def _failed(self, row: Claimed, err: SendError, now: datetime) -> _Outcome:
        if err.unreachable and row.recipient.person_id is not None:
            platform = row.recipient.platform or self.default_platform
            return _Outcome(row, OutboxStatus.WAITING, platform=platform, error=err.reason)
        if err.permanent or row.attempts >= self.config.max_attempts:
            log.warning("outbox %s dead after %s attempts: %s", row.id, row.attempts, err.reason)
            return _Outcome(row, OutboxStatus.DEAD, error=err.reason)
        delay = backoff(
            row.attempts,
            err.retry_after,
            self.rng,
            self.config.base_backoff,
            self.config.max_backoff,
        )
        return _Outcome(row, OutboxStatus.PENDING, error=err.reason, next_attempt_at=now + delay)

    def _record(self, outcomes: Sequence[_Outcome], now: datetime) -> None:
        """Write every outcome of a batch in one transaction (bulk update by primary key)."""
        values: list[dict[str, Any]] = []
        for o in outcomes:
            item: dict[str, Any] = {"id": o.row.id, "status": o.status.value, "locked_until": None}
            if o.status == OutboxStatus.SENT:
                item.update(platform=o.platform, platform_message_id=o.message_id, sent_at=now)
            elif o.status == OutboxStatus.WAITING:  # waiting is no attempt: none is used up
                item.update(
                    platform=o.platform, attempts=o.row.attempts - 1, last_error=o.error or ""
                )
            else:
                item["last_error"] = (o.error or "")[:2000]
            if o.next_attempt_at is not None:
                item["next_attempt_at"] = o.next_attempt_at
            values.append(item)
        with transaction(self.factory) as session:
            session.execute(update(Outbox), values)
            self._remember_addresses(session, outcomes, now)

    @staticmethod
    def _remember_addresses(session: Session, outcomes: Sequence[_Outcome], now: datetime) -> None:
        """Store how a sender found someone (their platform user id, the DM it opened) as the
        person's identity on that platform, so no process has to look it up again."""
        learned: dict[tuple[int, str, str], dict[str, Any]] = {}
        for o in outcomes:
            person_id, found = o.row.recipient.person_id, o.learned
            user_id = (found.user_id or o.row.recipient.platform_user_id) if found else None
            if person_id is None or found is None or o.platform is None or not user_id:
                continue
            learned[(person_id, o.platform, user_id)] = dict(found.address or {})
        for (person_id, platform, user_id), address in learned.items():
            known = session.scalars(
                select(PlatformIdentity).where(
                    PlatformIdentity.platform == platform,
                    PlatformIdentity.platform_user_id == user_id,
                )
            ).first()
            if known is None:
                link_identity(
                    session,
                    person_id=person_id,
                    platform=platform,
                    platform_user_id=user_id,
                    address=address,
                    now=now,
                )
            elif known.person_id == person_id and {**known.address, **address} != known.address:
                known.address = {**known.address, **address}


async def deliver_due(
    factory: sessionmaker[Session],
    senders: Mapping[str, Sender],
    now: datetime,
    *,
    default_platform: str | None = None,
    max_attempts: int = 8,
    limiter: RateLimiter | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Deliver every row due at ``now`` once (used by the console and tests)."""
    worker = DeliveryWorker(
        factory,
        senders,
        limiter or RateLimiter({}),
        DeliveryConfig(max_attempts=max_attempts),
        default_platform=default_platform,
        rng=rng or random.Random(),
    )
    return await worker.deliver_due(now)
