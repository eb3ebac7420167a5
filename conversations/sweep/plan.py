"""The sweep's vocabulary: its time constants, the people and pairs it reads, and the plan of
outbox rows one sweep builds (``Plan.add`` times, dedupes and renders each nudge lazily)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from conversations import rules
from conversations.messages import Message
from conversations.outbox import outbox_row
from conversations.progress import planned_meetings
from conversations.texts import Texts
from conversations.worktime import next_working_moment, zone

GRACE = timedelta(days=4)
CHECKIN_DELAY = timedelta(hours=2)
BOOK_AHEAD = timedelta(days=28)
PLAN_AFTER = timedelta(days=2)
MAX_INTERVAL_DAYS = 31
WINDOW_BACK = timedelta(days=MAX_INTERVAL_DAYS / 2) + GRACE + timedelta(days=5)
WINDOW_AHEAD = timedelta(days=8)
KEY_LOOKBACK = GRACE + timedelta(days=6)
CLOSING_KEY_LOOKBACK = rules.CLOSING_WINDOW + timedelta(days=6)


@dataclass(slots=True)
class Recipient:
    """The columns of a person the sweep needs to render and time a nudge."""

    id: int
    name: str
    locale: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def texts(self) -> Texts:
        return texts_for(self.locale, self.timezone)

    def when(self, value: datetime) -> str:
        """A date and time in this person's language and timezone (cached: many repeat)."""
        return _when(self.locale, self.timezone, value)


class SweepTexts(Texts):
    """``Texts`` that remember their latest renderings: a sweep renders the same sentence
    (the agenda, a monthly summary's lines, "halfway to your meeting on …") for many people."""

    MEMORY = 4096

    def __init__(self, locale: str | None, timezone: str = "Europe/Helsinki") -> None:
        super().__init__(locale, timezone)
        self._rendered: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}

    def t(self, key: str, **context: Any) -> str:
        memo = (key, tuple(sorted(context.items())))
        try:
            return self._rendered[memo]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a dict key: render it each time
            return super().t(key, **context)
        if len(self._rendered) >= self.MEMORY:
            self._rendered.clear()
        text = self._rendered[memo] = super().t(key, **context)
        return text


@lru_cache(maxsize=256)
def texts_for(locale: str, timezone: str) -> Texts:
    """One ``Texts`` per language and timezone for the life of the process."""
    return SweepTexts(locale, zone(timezone).key)


@lru_cache(maxsize=65536)
def _when(locale: str, timezone: str, value: datetime) -> str:
    return texts_for(locale, timezone).datetime(value)


@dataclass(slots=True)
class Pair:
    """One mentorship with what the rules need about it (one row of one query)."""

    id: int
    phase: str
    planned_end: date | None
    interval_days: int
    duration_months: int
    horizon_months: int | None
    country: str
    mentor: Recipient
    actor: Recipient
    supervisor: Recipient | None
    discussed: bool
    accepted_at: datetime | None
    share_goals: bool
    booked: int
    last_at: datetime | None
    max_seq: int
    held: int
    next_at: datetime | None

    def parties(self) -> tuple[Recipient, Recipient]:
        return (self.actor, self.mentor)

    def partner_of(self, person: Recipient) -> Recipient:
        return self.mentor if person.id == self.actor.id else self.actor

    def total_meetings(self) -> int:
        """``conversations.progress.planned_meetings``: booked plus those still to book."""
        return planned_meetings(self.booked, self.last_at, self.planned_end, self.interval_days)


@dataclass(slots=True)
class SweepMeeting:
    """A meeting in the sweep's window."""

    id: int
    mentorship_id: int
    seq: int
    at: datetime
    minutes: int
    status: str
    version: int  # the ICS SEQUENCE: a moved meeting gets new reminder keys


@dataclass
class SweepReport:
    """What one sweep did; ``locked`` when another process was sweeping."""

    inserted: int = 0
    candidates: int = 0
    meetings_booked: int = 0
    locked: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)


RENDERED_WHEN_SENT = frozenset({"supervisor.monthly"})
"""Kinds the sweep queues without content: the send-time check (``conversations.sweep.
recheck``) renders them from the state then, and never sends them as queued."""


PAGE_ROWS = 20_000
"""Rows a plan holds before it writes them (``Plan.sink``): a sweep's memory stays bounded
(an outbox row with its rendered message is a few kilobytes in Python), and up to this many
new rows a sweep still writes them in one statement."""


@dataclass
class Plan:
    """The outbox rows one sweep will insert, and the keys that exist already.

    With a ``sink`` (the sweep's insert) the plan writes its rows a page of ``page`` rows at
    a time as they are added, and ``flush()`` writes the rest; ``inserted`` and ``candidates``
    count what was written and offered. Without one, ``rows`` holds every row.
    """

    now: datetime
    existing: set[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sink: Callable[[list[dict[str, Any]]], int] | None = None
    page: int = PAGE_ROWS
    inserted: int = 0
    candidates: int = 0

    def flush(self) -> int:
        """Write the rows held (with a sink); returns how many were new."""
        if self.sink is None or not self.rows:
            return 0
        rows, self.rows = self.rows, []
        new = self.sink(rows)
        self.inserted += new
        self.candidates += len(rows)
        return new

    def _page_full(self) -> None:
        if self.sink is not None and len(self.rows) >= self.page:
            self.flush()

    def add(
        self,
        *,
        key: str,
        kind: str,
        person: Recipient,
        country: str,
        nominal: datetime,
        message: Message | None = None,
        build: Callable[[], Message] | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """Queue one nudge at the first working moment from its nominal moment (or now).
        A kind in ``RENDERED_WHEN_SENT`` is queued without content."""
        if key in self.existing:
            return
        rendered_when_sent = kind in RENDERED_WHEN_SENT
        if message is None and build is None and not rendered_when_sent:
            raise ValueError("a nudge needs a message or a way to build one")
        send_at = next_working_moment(max(nominal, self.now), person.tz, country)
        if expires_at is not None and send_at >= expires_at:
            return
        if rendered_when_sent:
            message = None
        elif message is None and build is not None:
            message = build()
        self.existing.add(key)
        self.rows.append(
            outbox_row(
                person_id=person.id,
                kind=kind,
                message=message,
                dedupe_key=key,
                due_at=send_at,
                now=self.now,
                expires_at=expires_at,
            )
        )
        self.by_kind[kind] += 1
        self._page_full()

    def extend(self, rows: list[dict[str, Any]]) -> None:
        """Rows built elsewhere (alerts, invitations, workshop reminders), counted by kind."""
        for row in rows:
            self.by_kind[row["kind"]] += 1
        self.rows.extend(rows)
        self._page_full()
