"""Composition: a database, the engine's clock, and a console wired to the outbox delivery.

``open_database`` lives in ``bot.cli`` (whose light commands must not import this module)
and is re-exported here for the tests and benchmarks that compose a console.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.session import PLATFORM as CONSOLE
from adapters.console.session import ConsoleSession
from bot.cli import open_database
from bot.clock import sweep_in
from bot.delivery import deliver_due
from conversations.clock import SettableClock
from conversations.outbox import NOT_YET_SENT
from storage.db import transaction
from storage.models import Outbox, OutboxStatus

__all__ = ["console_session", "open_database", "sweep_moments"]

CONSOLE_SWEEP_HOURS = (9, 13)
CONSOLE_CATCH_UP = timedelta(days=62)

# Whether a delivery pass at :now would do anything: a row due, one left claimed, or one whose
# moment passed (the pass cancels it). Most of the console's ticks find none, and a pass costs
# a thread hop and a claiming transaction even then.
_ANYTHING_TO_DELIVER = (
    select(Outbox.id)
    .where(
        or_(
            and_(
                Outbox.status == OutboxStatus.PENDING.value,
                Outbox.next_attempt_at <= bindparam("now"),
            ),
            Outbox.status == OutboxStatus.SENDING.value,
            and_(
                Outbox.status.in_(NOT_YET_SENT),
                Outbox.expires_at.is_not(None),
                Outbox.expires_at <= bindparam("now"),
            ),
        )
    )
    .limit(1)
)


def sweep_and_check(factory: sessionmaker[Session], now: datetime) -> bool:
    """One sweep (as ``bot.clock.run_sweep``), then whether a delivery pass at ``now`` would
    do anything, read in the sweep's transaction: one transaction per tick, not two."""
    with transaction(factory) as session:
        sweep_in(session, now)
        return session.scalar(_ANYTHING_TO_DELIVER, {"now": now}) is not None


def console_session(
    factory: sessionmaker[Session], start: datetime, out: object = print
) -> ConsoleSession:
    """A console whose nudges and queued messages arrive after every step and move of time.

    When time moves, the sweep and the delivery run at the moments a running clock would
    have run them in between (every two working hours, Helsinki time), so ``time +14d`` shows
    the reminders, check-ins and prompts of those two weeks arriving in order.
    """
    console = ConsoleSession(factory, SettableClock(start), out)  # type: ignore[arg-type]
    swept = {"until": start}
    # one event loop for the session's deliveries: a loop (and its worker threads) per tick
    # cost more than the delivery itself. Closed with the console; ``close`` needs no running
    # loop, so it is safe whenever the garbage collector gets to it.
    loop = asyncio.new_event_loop()
    weakref.finalize(console, loop.close)

    def tick(now: datetime) -> None:
        if not sweep_and_check(factory, now):
            return
        loop.run_until_complete(
            deliver_due(factory, {CONSOLE: console.sender}, now, default_platform=CONSOLE)
        )

    def after_step() -> None:
        now = console.clock.now()
        for moment in sweep_moments(swept["until"], now, console.tz):
            tick(moment)
        tick(now)
        swept["until"] = max(swept["until"], now)

    console.after_step.append(after_step)
    return console


def sweep_moments(after: datetime, until: datetime, tz: ZoneInfo) -> list[datetime]:
    """The moments strictly between ``after`` and ``until`` at which the console sweeps."""
    after = max(after, until - CONSOLE_CATCH_UP)
    moments = []
    day = after.astimezone(tz).date()
    while True:
        if day.weekday() < 5:
            for hour in CONSOLE_SWEEP_HOURS:
                moment = datetime.combine(day, time(hour), tzinfo=tz)
                if after < moment < until:
                    moments.append(moment)
        if datetime.combine(day, time(0), tzinfo=tz) > until:
            return moments
        day += timedelta(days=1)
