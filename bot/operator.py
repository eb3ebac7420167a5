"""The operator's view of the outbox: ``mentorbot outbox status`` and ``outbox retry --dead``.

Status shows the stored error of every row that is not moving: dead rows, rows that failed
and wait for their next attempt, and rows whose sending worker stopped before finishing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from storage.db import transaction
from storage.models import Outbox, OutboxStatus

DEAD_SHOWN = 20
STUCK_SHOWN = 20


@dataclass(frozen=True)
class DeadRow:
    id: int
    dedupe_key: str
    kind: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class StuckRow:
    """A row that failed and waits for a retry, or whose worker's lease ran out."""

    id: int
    dedupe_key: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxStatusView:
    """Counts by status and kind, the oldest pending row and the newest dead rows."""

    counts: dict[tuple[str, str], int]
    oldest_pending: datetime | None
    dead: list[DeadRow]
    dead_total: int
    stuck: list[StuckRow] = field(default_factory=list)
    stuck_total: int = 0
    unreachable: dict[str, int] = field(default_factory=dict)
    """People whose messages wait until they can be reached, by platform."""

    def lines(self) -> list[str]:
        out = ["status     kind                   count"]
        for (status, kind), n in sorted(self.counts.items()):
            out.append(f"{status:<10} {kind:<22} {n:>5}")
        if not self.counts:
            out.append("(the outbox is empty)")
        oldest = self.oldest_pending.isoformat() if self.oldest_pending else "none"
        out.append(f"oldest pending due at: {oldest}")
        waiting = ", ".join(f"{n} on {p}" for p, n in sorted(self.unreachable.items()))
        out.append(f"people not reachable yet: {waiting or 'none'}")
        out.append(f"dead rows: {self.dead_total}")
        for row in self.dead:
            out.append(
                f"  #{row.id} {row.dedupe_key} ({row.kind}, {row.attempts} attempts): "
                f"{row.last_error or ''}"
            )
        if self.dead_total > len(self.dead):
            out.append(f"  … and {self.dead_total - len(self.dead)} more")
        out.append(
            f"stuck rows (failed, waiting to retry, or left by a stopped worker): "
            f"{self.stuck_total}"
        )
        for stuck in self.stuck:
            when = _utc(stuck.next_attempt_at)
            out.append(
                f"  #{stuck.id} {stuck.dedupe_key} ({stuck.kind}, {stuck.status}, "
                f"{stuck.attempts} attempts, next {when.isoformat() if when else 'now'}): "
                f"{stuck.last_error or '(no error stored: the worker stopped mid-send)'}"
            )
        if self.stuck_total > len(self.stuck):
            out.append(f"  … and {self.stuck_total - len(self.stuck)} more")
        return out


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _stuck_filter(now: datetime) -> ColumnElement[bool]:
    failed = (Outbox.status == OutboxStatus.PENDING.value) & (Outbox.attempts > 0)
    abandoned = (Outbox.status == OutboxStatus.SENDING.value) & (Outbox.locked_until < now)
    return or_(failed, abandoned)


def outbox_status(session: Session, now: datetime | None = None) -> OutboxStatusView:
    now = now or datetime.now(UTC)
    counts = {
        (status, kind): int(n)
        for status, kind, n in session.execute(
            select(Outbox.status, Outbox.kind, func.count(Outbox.id)).group_by(
                Outbox.status, Outbox.kind
            )
        )
    }
    oldest = session.scalar(
        select(func.min(Outbox.due_at)).where(Outbox.status == OutboxStatus.PENDING.value)
    )
    dead = [
        DeadRow(r.id, r.dedupe_key, r.kind, r.attempts, r.last_error)
        for r in session.execute(
            select(Outbox.id, Outbox.dedupe_key, Outbox.kind, Outbox.attempts, Outbox.last_error)
            .where(Outbox.status == OutboxStatus.DEAD.value)
            .order_by(Outbox.id.desc())
            .limit(DEAD_SHOWN)
        )
    ]
    dead_total = sum(n for (status, _), n in counts.items() if status == OutboxStatus.DEAD)
    stuck_filter = _stuck_filter(now)
    stuck = [
        StuckRow(r.id, r.dedupe_key, r.kind, r.status, r.attempts, r.next_attempt_at, r.last_error)
        for r in session.execute(
            select(
                Outbox.id,
                Outbox.dedupe_key,
                Outbox.kind,
                Outbox.status,
                Outbox.attempts,
                Outbox.next_attempt_at,
                Outbox.last_error,
            )
            .where(stuck_filter)
            .order_by(Outbox.id)
            .limit(STUCK_SHOWN)
        )
    ]
    stuck_total = int(session.scalar(select(func.count(Outbox.id)).where(stuck_filter)) or 0)
    unreachable = {
        str(platform or "no platform"): int(n)
        for platform, n in session.execute(
            select(Outbox.platform, func.count(func.distinct(Outbox.person_id)))
            .where(Outbox.status == OutboxStatus.WAITING.value)
            .group_by(Outbox.platform)
        )
    }
    return OutboxStatusView(counts, _utc(oldest), dead, dead_total, stuck, stuck_total, unreachable)


def retry_dead(session: Session, now: datetime) -> int:
    """Give every dead row a fresh set of attempts, due now; returns how many."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.status == OutboxStatus.DEAD.value)
        .values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def run_operator_command(
    args: argparse.Namespace, factory: sessionmaker[Session], settings: Settings, now: datetime
) -> int:
    """``mentorbot outbox …`` and ``mentorbot calendar …``."""
    with transaction(factory) as session:
        if args.command == "outbox" and args.outbox_command == "status":
            print("\n".join(outbox_status(session, now).lines()))
            return 0
        if args.command == "outbox":
            print(f"{retry_dead(session, now)} dead rows will be tried again")
            return 0
    return _calendar_command(args, factory, settings, now)


def _calendar_command(
    args: argparse.Namespace, factory: sessionmaker[Session], settings: Settings, now: datetime
) -> int:
    from bot.errors import AdminError
    from conversations.calendar_feed import issue_token, person_ics, revoke_tokens
    from storage.audit import audit
    from storage.queries import person_by_email

    with transaction(factory) as session:
        person = person_by_email(session, args.email)
        if person is None:
            raise AdminError(f"no person with the email {args.email}")
        if args.calendar_command == "revoke":
            n = revoke_tokens(session, person, now)
            audit(session, now, "cli", "calendar.revoke", person, links=n)
            print(f"revoked {n} calendar feed link(s) of {person.email}")
            return 0
        token = issue_token(session, person, now, rotate=args.rotate)
        body = person_ics(session, person, now)
        audit(session, now, "cli", "calendar.export", person, new_link=token is not None)
    if token is None:
        feed = "a feed link was issued before and is stored only as a hash; --rotate for a new one"
    else:
        feed = f"{settings.public_url.rstrip('/')}/calendar/{token}.ics"
    if args.output:
        args.output.write_text(body, encoding="utf-8")
        print(f"wrote {args.output}; live feed: {feed}")
    else:
        sys.stdout.write(body)
        print(f"feed: {feed}", file=sys.stderr)
    return 0
