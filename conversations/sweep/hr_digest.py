"""HR's weekly digest: aggregates only (privacy rule 3), the open early-warning alerts and how
many follow-ups wait in HR's queue, on the first working day of each ISO week, sent during
that week only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial

from sqlalchemy.orm import Session

from conversations.messages import Message
from conversations.sweep import alerts
from conversations.sweep.plan import Plan, Recipient
from conversations.sweep.reads import SweepData
from conversations.worktime import first_working_day_on_or_after, start_of_working_day
from storage import hr_queue
from storage.models import DEFAULT_HOLIDAY_COUNTRY, MeetingStatus, Phase


@dataclass
class DigestTally:
    """The digest's figures over every pair, counted chunk by chunk as the sweep reads them:
    pairs meeting, meetings held in the last week, pairs with a meeting missed in the last four
    weeks, pairs developing with nothing booked, and pairs by holiday country."""

    now: datetime
    active: int = 0
    held: int = 0
    missed_pairs: int = 0
    unbooked: int = 0
    countries: Counter[str] = field(default_factory=Counter)

    def count(self, data: SweepData) -> None:
        week_ago = self.now - timedelta(days=7)
        four_weeks_ago = self.now - timedelta(days=28)
        missed: set[int] = set()
        for m in data.meetings:
            if m.status == MeetingStatus.HELD and week_ago <= m.at <= self.now:
                self.held += 1
            elif m.status == MeetingStatus.MISSED and four_weeks_ago <= m.at <= self.now:
                missed.add(m.mentorship_id)
        self.missed_pairs += len(missed)  # a pair's meetings are all in one chunk
        self.active += len(data.pairs)
        for p in data.pairs.values():
            self.countries[p.country] += 1
            if p.phase == Phase.DEVELOPMENT and not p.booked:
                self.unbooked += 1

    def country(self) -> str:
        """The holiday country of messages to the whole organisation: the one most pairs'
        programmes use."""
        if not self.countries:
            return DEFAULT_HOLIDAY_COUNTRY
        return min(self.countries, key=lambda country: (-self.countries[country], country))

    def figures(self) -> dict[str, int]:
        return {
            "active": self.active,
            "held": self.held,
            "missed_pairs": self.missed_pairs,
            "unbooked": self.unbooked,
        }


def hr_digest(
    session: Session, plan: Plan, tally: DigestTally, hr_people: Sequence[Recipient]
) -> None:
    """Each HR person's digest of the week (the figures: ``tally``)."""
    now = plan.now
    due: list[tuple[Recipient, str, datetime, datetime]] = []
    country = tally.country()
    for person in hr_people:
        local = now.astimezone(person.tz)
        monday = local.date() - timedelta(days=local.weekday())
        first_day = first_working_day_on_or_after(monday, country)
        nominal = start_of_working_day(first_day, person.tz)
        week_end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=person.tz)
        year, week, _ = local.isocalendar()
        iso_week = f"{year}-W{week:02d}"
        if nominal <= now < week_end and f"hr.digest:{person.id}:{iso_week}" not in plan.existing:
            due.append((person, iso_week, nominal, week_end))
    if not due:
        return
    figures = tally.figures()
    open_alerts = alerts.open_alert_counts(session)
    queued = hr_queue.open_count(session)
    for person, iso_week, nominal, week_end in due:
        plan.add(
            key=f"hr.digest:{person.id}:{iso_week}",
            kind="hr.digest",
            person=person,
            country=country,
            nominal=nominal,
            expires_at=week_end.astimezone(UTC),
            build=partial(_digest, person, iso_week, figures, open_alerts, queued),
        )


def _digest(
    person: Recipient,
    iso_week: str,
    figures: dict[str, int],
    open_alerts: dict[str, int],
    queued: int,
) -> Message:
    tx = person.texts()
    message = Message().text(tx.t("nudges.hr_digest", week=iso_week, **figures))
    extra = alerts.digest_lines(tx, open_alerts)
    if extra:
        message.text(extra)
    if queued:
        message.text(tx.t("hr_queue.digest", count=queued))
    return message
