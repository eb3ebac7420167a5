"""Delivering due outbox rows through the platform senders: claim, send, record, one by one.

1. **Claim** (one short transaction, ``bot.outbox_claims``): rows that are ``pending`` and
   due, or ``sending`` whose lease (``locked_until``, wall clock) ran out because their worker
   died, are marked ``sending`` with a fresh lease and ``attempts + 1``. On PostgreSQL the
   candidate rows are selected ``FOR UPDATE SKIP LOCKED``, so any number of workers share the
   queue. Pending rows past their ``expires_at`` are cancelled here. The next claim is made
   as soon as fewer than half a batch is left, not when the whole batch is done.
2. **Hold**: while a worker holds rows it renews their lease every third of it, so a row that
   waits for its channel's turn is never claimable by another worker meanwhile; a row whose
   lease could not be renewed (the process stalled) is not sent by this worker.
3. **Send**: the rows of one channel are sent in order, one at a time; a row first waits for
   its channel to be free *without* a send slot, then takes one of ``concurrency`` slots,
   reserves its moment in the channel's and the platform's budget (``bot.ratelimit``, shared
   by every worker through PostgreSQL in ``bot.shared_limits``), waits for it and is sent.
   Reserving inside the slot makes the reserved moment the moment the send leaves; the
   channel's next send is spaced from the platform's answer.
4. **Record**, in a short transaction right after the platform answered, while the send slot
   is still held (outcomes that arrive while a commit runs share the next one): ``sent``
   with the platform message id (and what the sender had to
   find out to reach someone); or, on ``SendError``, ``pending`` again after exponential
   backoff with full jitter (never sooner than ``Retry-After``); or ``dead`` with the error
   kept after a permanent error or the last attempt.

**Stopping** (``request_stop``, on SIGTERM/SIGINT): no new claim and no new send; sends
already on the wire finish and are recorded; every other held row is released to
``pending`` at once (its attempt not counted). A clean stop duplicates nothing.

**The crash window**: a process killed between a platform's accepting a message and step 4
leaves the row ``sending``; when its lease runs out another worker sends it again. A send slot
is held from the platform call to the commit, so one SIGKILL can duplicate at most
``concurrency`` messages (default 32). That is the only way a nudge reaches a person twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import outbox_claims
from bot.outbox_claims import Claimed, Outcome
from bot.ratelimit import MOMENTS_GIVEN_UP, Limiter, RateLimiter
from conversations.delivery import Recipient, Sender, SendError
from conversations.messages import Message
from conversations.sweep.recheck import DROP, RECHECKED_KINDS, Verdict, recheck
from storage.models import OutboxStatus

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
    released: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.expired += other.expired
        self.claimed += other.claimed
        self.released += other.released

    def count(self, outcome: Outcome) -> None:
        if outcome.status == OutboxStatus.SENT:
            self.sent += 1
        elif outcome.status == OutboxStatus.DEAD:
            self.dead += 1
        elif outcome.status == OutboxStatus.CANCELLED:
            self.expired += 1
        else:
            self.retried += 1


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


@dataclass
class DeliveryWorker:
    """Claims due outbox rows and sends them; safe to run in many processes on PostgreSQL."""

    factory: sessionmaker[Session]
    senders: Mapping[str, Sender]
    limiter: Limiter
    config: DeliveryConfig = field(default_factory=DeliveryConfig)
    default_platform: str | None = None
    rng: random.Random = field(default_factory=random.Random)
    lease_clock: Callable[[], datetime] = wall_clock
    stopping: bool = False
    _wake: asyncio.Event | None = field(default=None, repr=False)

    def request_stop(self) -> None:
        """Stop claiming and sending; the running pass finishes what is on the wire."""
        self.stopping = True
        if self._wake is not None:
            self._wake.set()

    async def deliver_due(self, now: datetime, max_batches: int = 1000) -> DeliveryReport:
        """Deliver every row due at ``now`` until none is left (or a stop is requested)."""
        if self.stopping:
            return DeliveryReport()
        self._wake = asyncio.Event()
        try:
            return await _Pass(self, now, self._wake, max_batches).run()
        finally:
            self._wake = None

    async def deliver_batch(self, now: datetime) -> DeliveryReport:
        """Claim one batch and deliver it."""
        return await self.deliver_due(now, max_batches=1)

    def claim(self, now: datetime, limit: int | None = None) -> tuple[int, list[Claimed]]:
        """Cancel expired rows and claim up to ``limit`` (a batch) due rows."""
        return outbox_claims.claim(
            self.factory,
            now,
            self.lease_clock(),
            self.config.lease,
            limit or self.config.batch_size,
        )

    async def send(self, row: Claimed, now: datetime) -> Outcome:
        """One platform call for one row (its slot and moment already taken)."""
        recipient = row.recipient
        platform = recipient.platform or self.default_platform
        sender = self.senders.get(platform) if platform else None
        token = OUTBOX_KEY.set(row.key)
        try:
            if sender is None or platform is None:
                # they may install the app or write later: the row waits for them
                raise SendError(
                    f"no way to reach this person yet (platform {platform!r})", unreachable=True
                )
            sent = await sender.send(recipient, Message.model_validate(row.payload))
        except SendError as err:
            if err.retry_after is not None and platform is not None:
                await self.limiter.pause(platform, channel_of(recipient), err.retry_after)
            return self.failed(row, err, now)
        except Exception as err:  # a sender bug must not stop the worker: retry, then dead
            log.exception("sender failed unexpectedly for outbox %s", row.id)
            return self.failed(row, SendError(f"{type(err).__name__}: {err}"), now)
        finally:
            OUTBOX_KEY.reset(token)
        return Outcome(
            row,
            OutboxStatus.SENT,
            platform=platform,
            message_id=sent.message_id,
            learned=sent if sent.learned else None,
        )

    def failed(self, row: Claimed, err: SendError, now: datetime) -> Outcome:
        if err.unreachable and row.recipient.person_id is not None:
            platform = row.recipient.platform or self.default_platform
            return Outcome(row, OutboxStatus.WAITING, platform=platform, error=err.reason)
        if err.permanent or row.attempts >= self.config.max_attempts:
            log.warning("outbox %s dead after %s attempts: %s", row.id, row.attempts, err.reason)
            return Outcome(row, OutboxStatus.DEAD, error=err.reason)
        delay = backoff(
            row.attempts,
            err.retry_after,
            self.rng,
            self.config.base_backoff,
            self.config.max_backoff,
        )
        return Outcome(row, OutboxStatus.PENDING, error=err.reason, next_attempt_at=now + delay)


class _Pass:
    """One ``deliver_due``: claims, per-channel lanes, the lease heartbeat, the release."""

    def __init__(
        self, worker: DeliveryWorker, now: datetime, wake: asyncio.Event, max_batches: int
    ) -> None:
        self.w = worker
        self.now = now
        self.wake = wake
        self.max_batches = max_batches
        self.report = DeliveryReport()
        self.held: dict[int, Claimed] = {}
        self.on_wire: set[int] = set()  # sent or being sent, outcome not yet committed
        self.unsent: list[Claimed] = []  # given back at the end of the pass
        self.to_record: list[tuple[Outcome, asyncio.Future[None]]] = []
        self.recorder: asyncio.Task[None] | None = None
        self.lease_until: dict[int, datetime] = {}
        self.lanes: dict[str, deque[Claimed]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.gate = asyncio.Semaphore(worker.config.concurrency)

    async def run(self) -> DeliveryReport:
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            await self._claim_and_dispatch()
            if self.tasks:
                await asyncio.gather(*list(self.tasks))
        finally:
            heartbeat.cancel()
            left = self.unsent + [r for r in self.held.values() if r.id not in self.on_wire]
            if left:  # stopping, or a lane failed: give the rows back at once
                self.report.released += await asyncio.to_thread(
                    outbox_claims.release, self.w.factory, left
                )
        return self.report

    async def _claim_and_dispatch(self) -> None:
        batch = self.w.config.batch_size
        claims = 0
        exhausted = False
        while not self.w.stopping:
            if not exhausted and claims < self.max_batches and len(self.held) <= batch // 2:
                want = batch - len(self.held)
                leased = self.w.lease_clock() + self.w.config.lease  # no later than the claim's
                expired, rows = await asyncio.to_thread(self.w.claim, self.now, want)
                claims += 1
                self.report.expired += expired
                self.report.claimed += len(rows)
                exhausted = len(rows) < want
                for row in rows:
                    self.lease_until[row.id] = leased
                    self._dispatch(row)
            if not self.held:
                return
            self.wake.clear()
            await self.wake.wait()

    def _dispatch(self, row: Claimed) -> None:
        self.held[row.id] = row
        channel = f"{row.recipient.platform or self.w.default_platform}:{channel_of(row.recipient)}"
        lane = self.lanes.get(channel)
        if lane is not None:
            lane.append(row)
            return
        self.lanes[channel] = deque([row])
        task = asyncio.create_task(self._lane(channel))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _lease_ok(self, row: Claimed) -> bool:
        """Whether the row is still ours for long enough to send it (renewing it now if the
        heartbeat fell behind, e.g. on a busy machine)."""
        if row.id not in self.held:
            return False
        margin = self.w.config.lease / 4
        if self.w.lease_clock() + margin < self.lease_until.get(
            row.id, datetime.min.replace(tzinfo=UTC)
        ):
            return True
        until = self.w.lease_clock() + self.w.config.lease
        kept = await asyncio.to_thread(outbox_claims.renew, self.w.factory, [row], until)
        if row.id in kept:
            self.lease_until[row.id] = until
            return True
        log.warning("outbox %s: lease lost; another worker has it", row.id)
        self.held.pop(row.id, None)
        return False

    async def _lane(self, channel: str) -> None:
        """Send one channel's rows in order; each waits for the channel without a slot."""
        lane = self.lanes[channel]
        try:
            while lane and not self.w.stopping:
                row = lane.popleft()
                try:
                    outcome = await self._deliver(row)
                except Exception:  # e.g. the database went away: the lease decides later
                    log.exception("delivery of outbox %s failed", row.id)
                    outcome = None
                self.held.pop(row.id, None)
                self.lease_until.pop(row.id, None)
                if outcome is not None:
                    self.on_wire.discard(row.id)
                    self.report.count(outcome)
                elif row.id not in self.on_wire:
                    self.unsent.append(row)
                self.wake.set()
        finally:
            for row in lane:  # never tried (stopping): given back
                self.held.pop(row.id, None)
                self.unsent.append(row)
            del self.lanes[channel]
            self.wake.set()

    async def _deliver(self, row: Claimed) -> Outcome | None:
        """Send and record one row; None when it was not sent (stop, or lease lost)."""
        w = self.w
        if row.expires_at is not None and row.expires_at <= self.now:
            reason = "its moment passed before sending"
            if row.attempts > 1:  # an earlier attempt died or timed out: it may have arrived
                reason += "; an earlier attempt may have reached the platform"
            return await self._record(Outcome(row, OutboxStatus.CANCELLED, error=reason))
        if row.kind in RECHECKED_KINDS:  # still true now? (or rendered from the state now)
            verdict = await asyncio.to_thread(_recheck, w.factory, row.key, self.now)
            if verdict == DROP:
                reason = "no longer true when it was due to be sent"
                return await self._record(Outcome(row, OutboxStatus.CANCELLED, error=reason))
            if isinstance(verdict, Message):
                row = replace(row, payload=verdict.model_dump(mode="json"))
        platform = row.recipient.platform or w.default_platform
        paced = platform if platform is not None and platform in w.senders else None
        channel = channel_of(row.recipient)
        given_up = 0  # moments given up for being late, or found taken by another worker
        while True:
            if paced is not None:
                # the channel's moment is waited for *without* a send slot: a send waiting for
                # its channel (which another worker may have used meanwhile) never holds a slot
                # that a send to another channel could use
                await w.limiter.sleep(w.limiter.channel_delay(paced, channel))
                if w.stopping or not await self._lease_ok(row):
                    return None
            async with self.gate:
                if w.stopping or not await self._lease_ok(row):
                    return None
                if paced is not None:
                    # the moment is reserved only now, holding the slot, so it is the moment
                    # the send really leaves: a send that had to wait for a slot does not leave
                    # after its moment, close behind another worker's next send to the channel
                    may_give_up = given_up < MOMENTS_GIVEN_UP
                    if not await w.limiter.acquire(paced, channel, may_give_up):
                        given_up += 1  # another worker took the channel, or it came late:
                        continue  # wait for the channel again, without the slot
                    if w.stopping or not await self._lease_ok(row):
                        return None  # stopped, or the row was lost, while waiting for it
                self.on_wire.add(row.id)
                outcome = await w.send(row, self.now)
                if paced is not None:
                    w.limiter.sent(paced, channel)
                return await self._record(outcome)

    async def _record(self, outcome: Outcome) -> Outcome:
        """Recorded right after the platform answered; outcomes that arrive while a commit
        runs go together in the next one. The caller keeps its send slot until then."""
        done = asyncio.get_running_loop().create_future()
        self.to_record.append((outcome, done))
        if self.recorder is None or self.recorder.done():
            self.recorder = asyncio.create_task(self._flush())
        await done
        return outcome

    async def _flush(self) -> None:
        while self.to_record:
            batch, self.to_record = self.to_record, []
            try:
                await asyncio.to_thread(
                    outbox_claims.record, self.w.factory, [o for o, _ in batch], self.now
                )
            except Exception as err:  # the lanes decide (the rows stay theirs until the lease)
                for _, done in batch:
                    done.set_exception(err)
            else:
                for _, done in batch:
                    done.set_result(None)

    async def _heartbeat(self) -> None:
        """Renew the lease of every held row every third of the lease."""
        every = max(0.05, self.w.config.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(every)
            rows = list(self.held.values())
            until = self.w.lease_clock() + self.w.config.lease
            try:
                kept = await asyncio.to_thread(outbox_claims.renew, self.w.factory, rows, until)
            except Exception:  # the database is briefly away: the lease check stops sends
                log.warning("could not renew the delivery lease", exc_info=True)
                continue
            for row in rows:
                if row.id in kept:
                    self.lease_until[row.id] = until
                elif row.id not in self.on_wire and row.id in self.held:
                    log.warning("outbox %s: lease lost; another worker has it", row.id)
                    del self.held[row.id]


def _recheck(factory: sessionmaker[Session], key: str, now: datetime) -> Verdict:
    """The send-time check of one nudge, in its own short read-only session."""
    with factory() as session:
        return recheck(session, key, now)


async def deliver_due(
    factory: sessionmaker[Session],
    senders: Mapping[str, Sender],
    now: datetime,
    *,
    default_platform: str | None = None,
    max_attempts: int = 8,
    limiter: Limiter | None = None,
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
