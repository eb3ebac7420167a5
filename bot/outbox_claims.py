"""The delivery worker's short transactions on the outbox: claim, renew, record, release.

A claim marks rows ``sending``, adds one to ``attempts`` and gives them a lease
(``locked_until``, wall clock). ``attempts`` is also the claim's *fence*: every later write of
the worker (renewing the lease, recording the outcome, releasing the row) matches both the id
and the attempts it claimed, so a worker whose lease ran out can never overwrite the row that
another worker claimed after it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from conversations.delivery import Recipient, Sent
from conversations.outbox import NOT_YET_SENT
from storage.db import transaction
from storage.models import Channel, Outbox, OutboxStatus, Person, PlatformIdentity
from storage.queries import link_identity

log = logging.getLogger(__name__)


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
class Outcome:
    row: Claimed
    status: OutboxStatus
    platform: str | None = None
    message_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    learned: Sent | None = None


def recipient_of(person: Person, ident: PlatformIdentity | None) -> Recipient:
    return Recipient(
        person_id=person.id,
        name=person.name,
        email=person.email,
        locale=person.locale,
        platform=ident.platform if ident else None,
        platform_user_id=ident.platform_user_id if ident else None,
        address=dict(ident.address) if ident else {},
    )


def claim(
    factory: sessionmaker[Session], now: datetime, wall: datetime, lease: timedelta, limit: int
) -> tuple[int, list[Claimed]]:
    """Cancel expired rows and claim up to ``limit`` due rows (one transaction)."""
    with transaction(factory) as session:
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
                payload={},  # never to be delivered: no copy of the content is kept
            )
            .execution_options(synchronize_session=False)
        )
        cancelled = int(getattr(expired, "rowcount", 0) or 0)
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
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(session.scalars(due))
        if not ids:
            return cancelled, []
        session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids))
            .values(
                status=OutboxStatus.SENDING.value,
                attempts=Outbox.attempts + 1,
                locked_until=wall + lease,
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
        people = _people(session, {r.person_id for r in rows if r.person_id is not None})
        channels = _channels(session, {r.channel_id for r in rows if r.channel_id is not None})
        return cancelled, [
            Claimed(
                id=r.id,
                key=r.dedupe_key,
                kind=r.kind,
                attempts=r.attempts,
                payload=r.payload,
                expires_at=r.expires_at,
                recipient=(
                    people[r.person_id] if r.person_id is not None else channels[r.channel_id]
                ),
            )
            for r in rows
        ]


def _people(session: Session, person_ids: set[int]) -> dict[int, Recipient]:
    """Each person with their most recently used platform identity (two queries)."""
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    latest: dict[int, PlatformIdentity] = {}
    for ident in session.scalars(
        select(PlatformIdentity)
        .where(PlatformIdentity.person_id.in_(person_ids))
        .order_by(PlatformIdentity.last_seen_at)
    ):
        latest[ident.person_id] = ident
    return {pid: recipient_of(p, latest.get(pid)) for pid, p in people.items()}


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


def _fenced(rows: Iterable[Claimed]) -> Any:
    return and_(
        Outbox.status == OutboxStatus.SENDING.value,
        tuple_(Outbox.id, Outbox.attempts).in_([(r.id, r.attempts) for r in rows]),
    )


def renew(factory: sessionmaker[Session], rows: list[Claimed], until: datetime) -> set[int]:
    """Extend the lease of rows this worker still holds; return the ids still its own."""
    if not rows:
        return set()
    with transaction(factory) as session:
        # lock in id order, as ``record`` does: the heartbeat and a commit never deadlock
        session.execute(
            select(Outbox.id).where(_fenced(rows)).order_by(Outbox.id).with_for_update()
        )
        return set(
            session.scalars(
                update(Outbox)
                .where(_fenced(rows))
                .values(locked_until=until)
                .returning(Outbox.id)
                .execution_options(synchronize_session=False)
            )
        )


def release(factory: sessionmaker[Session], rows: list[Claimed]) -> int:
    """Give claimed but unsent rows back to the queue at once, as if never claimed."""
    if not rows:
        return 0
    with transaction(factory) as session:
        session.execute(
            select(Outbox.id).where(_fenced(rows)).order_by(Outbox.id).with_for_update()
        )
        result = session.execute(
            update(Outbox)
            .where(_fenced(rows))
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=Outbox.attempts - 1,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


OUTBOX = cast(Table, Outbox.__table__)
FENCE = and_(
    Outbox.id == bindparam("b_id"),
    Outbox.attempts == bindparam("b_attempts"),
    Outbox.status == OutboxStatus.SENDING.value,
)


def record(factory: sessionmaker[Session], outcomes: list[Outcome], now: datetime) -> int:
    """Write outcomes that arrived together in one short transaction (a group commit: one
    batched statement per kind of outcome); return how many rows were still this worker's."""
    sent = [o for o in outcomes if o.status == OutboxStatus.SENT]
    failed = [o for o in outcomes if o.status != OutboxStatus.SENT]
    kept = 0
    with transaction(factory) as session:
        conn = session.connection()
        if sent:
            kept += _rowcount(
                conn.execute(
                    update(OUTBOX)
                    .where(FENCE)
                    .values(
                        status=OutboxStatus.SENT.value,
                        locked_until=None,
                        payload={},  # delivered: the row keeps no copy of the content
                        platform=bindparam("b_platform"),
                        platform_message_id=bindparam("b_message_id"),
                        sent_at=now,
                    ),
                    [
                        {
                            "b_id": o.row.id,
                            "b_attempts": o.row.attempts,
                            "b_platform": o.platform,
                            "b_message_id": o.message_id,
                        }
                        for o in sorted(sent, key=lambda o: o.row.id)
                    ],
                )
            )
        for outcome in sorted(failed, key=lambda o: o.row.id):
            values: dict[str, Any] = {
                "status": outcome.status.value,
                "locked_until": None,
                "last_error": (outcome.error or "")[:2000],
            }
            if outcome.next_attempt_at is not None:
                values["next_attempt_at"] = outcome.next_attempt_at
            if outcome.status == OutboxStatus.CANCELLED:  # never to be delivered: no copy kept
                values["payload"] = {}
            if outcome.status == OutboxStatus.WAITING:  # waiting is no attempt: none is used up
                values.update(platform=outcome.platform, attempts=outcome.row.attempts - 1)
            kept += _rowcount(
                conn.execute(
                    update(OUTBOX).where(FENCE).values(**values),
                    {"b_id": outcome.row.id, "b_attempts": outcome.row.attempts},
                )
            )
        if kept < len(outcomes):
            log.warning("%s outcome(s) not recorded: lease lost", len(outcomes) - kept)
        for outcome in sent:
            remember_address(session, outcome, now)
    return kept


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def remember_address(session: Session, o: Outcome, now: datetime) -> None:
    """Store how a sender found someone (their platform user id, the DM it opened) as the
    person's identity on that platform, so no process has to look it up again."""
    person_id, found = o.row.recipient.person_id, o.learned
    user_id = (found.user_id or o.row.recipient.platform_user_id) if found else None
    if person_id is None or found is None or o.platform is None or not user_id:
        return
    address = dict(found.address or {})
    known = session.scalars(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == o.platform,
            PlatformIdentity.platform_user_id == user_id,
        )
    ).first()
    if known is None:
        link_identity(
            session,
            person_id=person_id,
            platform=o.platform,
            platform_user_id=user_id,
            address=address,
            now=now,
        )
    elif known.person_id == person_id and {**known.address, **address} != known.address:
        known.address = {**known.address, **address}
