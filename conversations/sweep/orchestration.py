"""Everything one sweep does, in one function (the rules: ``conversations.sweep``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from conversations import outreach
from conversations.erasure import prune_outbox_content, purge_closed_content
from conversations.sweep import alerts, matching, reads
from conversations.sweep.booking import book_next_blocks
from conversations.sweep.closing import closing_nudges
from conversations.sweep.hr_digest import DigestTally, hr_digest
from conversations.sweep.hr_queue import hr_queue
from conversations.sweep.meetings import meeting_nudges
from conversations.sweep.plan import Plan, SweepReport
from conversations.sweep.rows import insert_rows, try_sweep_lock
from conversations.sweep.supervisor import Supervisors, supervisor_monthly
from storage import sweep_reads


def sweep(
    session: Session, now: datetime, *, retention_days: int, wait_for_lock: bool = False
) -> SweepReport:
    """Create every nudge, alert, invitation and reminder due at ``now``, book the next blocks
    of meetings, delete the content of relationships closed ``retention_days`` ago and of
    delivered outbox rows.

    A fixed number of statements whatever the number of pairs (up to ``plan.PAGE_ROWS`` new
    rows; then one insert more per page); in the caller's transaction.
    ``wait_for_lock``: wait for a sweep in another process (console, tests) rather than skip.
    """
    with without_cyclic_gc():
        if not try_sweep_lock(session, wait_for_lock):
            return SweepReport(locked=True)
        return _sweep(session, now, retention_days)


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while a sweep runs (reference counting still frees what
    the sweep drops). A sweep holds a chunk's pairs, people and meetings of its window and
    creates hundreds of thousands of objects, so each full collection walks all of them
    again: at 100,000 pairs about a sixth of a sweep's time, for no memory (the same peak
    either way, `bench/sweep_bench.py`). The collector is process-wide; it is off for the
    sweep's seconds only, and on again after, as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sweep(session: Session, now: datetime, retention_days: int) -> SweepReport:
    # In UTC, as the clock passes it and the database returns every moment: the rules compare
    # ``now`` with tens of thousands of meeting times, and comparing datetimes in different
    # zones costs each a zone lookup (1.6 µs against 0.03 µs in UTC). Local dates and
    # months come from each person's own zone.
    now = now.astimezone(UTC)
    plan = Plan(
        now=now,
        existing=reads.existing_keys(session, now),
        sink=lambda rows: insert_rows(session, rows),  # a page at a time: bounded memory
    )
    hr_people = [reads.recipient(row) for row in sweep_reads.hr_people(session)]
    tally, supervisors = DigestTally(now), Supervisors(now)  # gathered over every chunk
    booked = 0
    for data in reads.chunks(session, now):  # a chunk of pairs at a time: bounded memory
        meeting_nudges(plan, data)  # reminders, check-ins, task and reflection prompts, interim
        closing_nudges(plan, data)  # "plan your meetings", and the closing flow
        booked += book_next_blocks(session, plan, data.pairs)
        tally.count(data)
        supervisors.count(data)
        del data  # let the chunk go before the next is read
    supervisor_monthly(plan, supervisors)  # queued without text: rendered when sent
    plan.extend(alerts.raise_alerts(session, now, hr_people))  # early warnings to HR
    hr_queue(session, plan, hr_people)  # follow-ups HR acts on; before the digest counts them
    hr_digest(session, plan, tally, hr_people)
    plan.extend(outreach.sweep_rows(session, now))  # invitations, workshop reminders
    plan.extend(matching.sweep_rows(session, now))  # matching proposals unanswered for 7 days

    plan.flush()
    purge_closed_content(session, now, retention_days)
    prune_outbox_content(session, now)  # sent messages keep no content (privacy rule 5)
    return SweepReport(
        inserted=plan.inserted,
        candidates=plan.candidates,
        meetings_booked=booked,
        by_kind=dict(plan.by_kind),
    )
