"""What a sweep reads, as the rules' objects: the windows and chunks are chosen here, the
statements live in ``storage.sweep_reads`` (built once, cached compiled)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from sys import intern
from typing import Any

from sqlalchemy.orm import Session

from conversations.sweep.plan import (
    CLOSING_KEY_LOOKBACK,
    KEY_LOOKBACK,
    WINDOW_AHEAD,
    WINDOW_BACK,
    Pair,
    Recipient,
    SweepMeeting,
)
from storage import sweep_reads
from storage.models import DEFAULT_HOLIDAY_COUNTRY
from storage.sweep_reads import IN_PROGRESS, MEETING_PHASES

CHUNK_PAIRS = 20_000
"""Pairs read and decided together. Every rule of a pair's nudges and bookings needs that
pair's own rows only, so the sweep reads its pairs (their people, meetings, check-ins, tasks,
evaluations) a chunk at a time and lets each go before the next: at 100,000 pairs the reads
held about 190 MB at once. The rules over many pairs (HR's digest, the supervisors' monthly
summaries) gather what they need as the chunks pass. Up to this many pairs in progress a
sweep reads them in one chunk."""


@dataclass(slots=True)
class SweepData:
    """The result sets one sweep decides from."""

    pairs: dict[int, Pair]  # those that meet (development, closing)
    starting: dict[int, Pair]  # still agreeing (start)
    meetings: list[SweepMeeting]
    checked_in: set[tuple[int, int]]
    open_tasks: dict[int, list[tuple[int, str]]]
    evaluated: set[tuple[int, int, str]]


def chunks(session: Session, now: datetime) -> Iterator[SweepData]:
    """The pairs in progress, ``CHUNK_PAIRS`` of them at a time, each chunk with the
    meetings, check-ins, open tasks and evaluations of its pairs in the window around
    ``now`` (one statement for the pairs' ids, then six per chunk). The chunks are cut from
    the ids themselves, so closed pairs between them cost nothing."""
    ids = sweep_reads.pair_ids(session, IN_PROGRESS)
    size = CHUNK_PAIRS
    for first in range(0, len(ids), size):
        last = min(first + size, len(ids)) - 1
        yield read(session, now, range(ids[first], ids[last] + 1))


def read(session: Session, now: datetime, chunk: range) -> SweepData:
    """The pairs in progress in ``chunk``, and their meetings, check-ins, open tasks and
    evaluations in the window around ``now``."""
    start, end = now - WINDOW_BACK, now + WINDOW_AHEAD
    pairs = load_pairs(session, now, IN_PROGRESS, chunk)
    return SweepData(
        pairs={mid: p for mid, p in pairs.items() if p.phase in MEETING_PHASES},
        starting={mid: p for mid, p in pairs.items() if p.phase not in MEETING_PHASES},
        meetings=[
            SweepMeeting(mid, pair, seq, at, minutes, intern(status), version)
            for mid, pair, seq, at, minutes, status, version in sweep_reads.meetings(
                session, start, end, chunk
            )
        ],
        checked_in=sweep_reads.checkins(session, start, end, chunk),
        open_tasks=sweep_reads.open_tasks(session, start, end, chunk),
        evaluated=sweep_reads.evaluations(session, chunk),
    )


def existing_keys(session: Session, now: datetime) -> set[str]:
    """Nudge keys created recently enough that the rules could produce them again."""
    return sweep_reads.recent_keys(session, now - KEY_LOOKBACK, now - CLOSING_KEY_LOOKBACK)


def recipient(row: Any) -> Recipient:
    """A recipient from (id, name, locale, timezone)."""
    return Recipient(id=row[0], name=row[1], locale=row[2], timezone=row[3])


def load_pairs(
    session: Session, now: datetime, phases: Sequence[str], chunk: range
) -> dict[int, Pair]:
    """Every mentorship in ``phases`` and ``chunk`` with its people, frame and meeting
    aggregates (two queries merged here: SQLite plans an outer join to a grouped subquery
    badly, seconds at 100,000 pairs). Columns by position, and one ``Recipient`` per person:
    this is the sweep's largest read. Phases, statuses, languages, zones and countries are
    interned: a handful of values, repeated by hundreds of thousands of rows."""
    aggregates = sweep_reads.pair_aggregates(session, phases, now, chunk)
    people: dict[int, Recipient] = {}

    def person(pid: int, name: str, locale: str, timezone: str) -> Recipient:
        found = people.get(pid)
        if found is None:
            found = people[pid] = Recipient(pid, name, intern(locale), intern(timezone))
        return found

    pairs: dict[int, Pair] = {}
    for (
        mid,
        phase,
        planned_end,
        interval_days,
        duration_months,
        discussed_at,
        actor_accepted_at,
        mentor_accepted_at,
        share_goals,
        horizon_months,
        country,
        *mentor,
        actor_id,
        actor_name,
        actor_locale,
        actor_tz,
        sup_id,
        sup_name,
        sup_locale,
        sup_tz,
    ) in sweep_reads.pairs(session, phases, chunk):
        a = aggregates.get(mid)
        pairs[mid] = Pair(
            id=mid,
            phase=intern(phase),
            planned_end=planned_end,
            interval_days=interval_days,
            duration_months=duration_months,
            horizon_months=horizon_months,
            country=intern(country or DEFAULT_HOLIDAY_COUNTRY),
            mentor=person(*mentor),
            actor=person(actor_id, actor_name, actor_locale, actor_tz),
            supervisor=person(sup_id, sup_name, sup_locale, sup_tz) if sup_id else None,
            discussed=discussed_at is not None,
            accepted_at=_later(actor_accepted_at, mentor_accepted_at),
            share_goals=bool(share_goals),
            booked=int(a[0]) if a else 0,
            last_at=a[1] if a else None,
            max_seq=int(a[2] or 0) if a else 0,
            held=int(a[3] or 0) if a else 0,
            next_at=a[4] if a else None,
        )
    return pairs


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return None
    return max(a, b)
