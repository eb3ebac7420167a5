"""The operator's view of the outbox: ``mentorbot outbox status`` and ``outbox retry --dead``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from storage.db import transaction
from storage.models import Outbox, OutboxStatus

DEAD_SHOWN = 20


@dataclass(frozen=True)
class DeadRow:
    id: int
    dedupe_key: str
    kind: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class OutboxStatusView:
    """Counts by status and kind, the oldest pending row and the newest dead rows."""

    counts: dict[tuple[str, str], int]
    oldest_pending: datetime | None
    dead: list[DeadRow]
    dead_total: int

    def lines(self) -> list[str]:
        out = ["status     kind                   count"]
        for (status, kind), n in sorted(self.counts.items()):
            out.append(f"{status:<10} {kind:<22} {n:>5}")
        if not self.counts:
            out.append("(the outbox is empty)")
        oldest = self.oldest_pending.isoformat() if self.oldest_pending else "none"
        out.append(f"oldest pending due at: {oldest}")
        out.append(f"dead rows: {self.dead_total}")
        for row in self.dead:
            out.append(
                f"  #{row.id} {row.dedupe_key} ({row.kind}, {row.attempts} attempts): "
                f"{row.last_error or ''}"
            )
        if self.dead_total > len(self.dead):
            out.append(f"  … and {self.dead_total - len(self.dead)} more")
        return out


def outbox_status(session: Session) -> OutboxStatusView:
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
    if isinstance(oldest, datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return OutboxStatusView(counts, oldest, dead, dead_total)


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
    from bot.admin import AdminError
    from conversations.calendar_feed import issue_token, person_ics, revoke_tokens
    from conversations.hr_admin import audit
    from storage.queries import person_by_email

    with transaction(factory) as session:
        if args.command == "outbox" and args.outbox_command == "status":
            print("\n".join(outbox_status(session).lines()))
            return 0
        if args.command == "outbox":
            print(f"{retry_dead(session, now)} dead rows will be tried again")
            return 0
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
