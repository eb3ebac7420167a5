"""The programme's rules of time (programme-model.md, design.md "Time rules").

Pure functions of dates: the booked series, the booking horizon, the stage of a relationship,
when the interim evaluation and the closing flow open.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from conversations import worktime

MIN_DURATION_MONTHS = 3
MAX_DURATION_MONTHS = 12
DEFAULT_DURATION_MONTHS = 6
DEFAULT_INTERVAL_DAYS = 14
MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS = 7, 31
MIN_HORIZON_MONTHS, MAX_HORIZON_MONTHS = 3, 12
CLOSING_WINDOW = timedelta(days=14)
LATEST_FIRST_MEETING = timedelta(days=60)
DEFAULT_COUNTRY = "FI"
"""The programme's ``holiday_country`` when a caller does not know it (the programme default)."""


class Stage(StrEnum):
    EARLY = "early"
    MIDDLE = "middle"
    LATE = "late"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon_months(duration_months: int, programme_horizon: int | None = None) -> int:
    """Meetings are booked at least 3 months ahead, 6 when the relationship is 6+ months."""
    if programme_horizon:
        return programme_horizon
    return 6 if duration_months >= 6 else 3


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def next_weekday(day: date) -> date:
    while is_weekend(day):
        day += timedelta(days=1)
    return day


def series(
    first_local: datetime,
    interval_days: int,
    until: date,
    limit: int = 60,
    country: str = DEFAULT_COUNTRY,
) -> list[datetime]:
    """Meeting times from ``first_local`` every ``interval_days`` up to ``until`` (inclusive).

    Wall-clock time is kept in the first meeting's timezone across daylight-saving changes;
    a date that falls on a weekend or a public holiday of ``country`` moves to the next
    working day (never past ``until``, never onto the next meeting). Returned in UTC.
    """
    tz = first_local.tzinfo
    assert isinstance(tz, ZoneInfo)
    out: list[datetime] = []
    day = first_local.date()
    clock = first_local.timetz().replace(tzinfo=None)
    last: date | None = None
    while day <= until and len(out) < limit:
        actual = worktime.first_working_day_on_or_after(day, country)
        if actual <= until and (last is None or actual > last):
            out.append(datetime.combine(actual, clock, tzinfo=tz).astimezone(UTC))
            last = actual
        day += timedelta(days=interval_days)
    return out


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """True for an IANA timezone name such as Europe/Helsinki (never raises)."""
    return name in known_timezones()


def local_datetime(day: date, at: time, timezone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone))


def planned_end(start: date, duration_months: int, country: str = DEFAULT_COUNTRY) -> date:
    """The agreed length from ``start``; a weekend or public holiday moves to the working day
    before (the closing flow must not open, nor the relationship end, on a day off)."""
    end = add_months(start, duration_months)
    while not worktime.is_working_day(end, country):
        end -= timedelta(days=1)
    return end


def stage(started: datetime | None, end: date | None, now: datetime, closing: bool) -> Stage:
    """Early meetings build trust; later ones track progress; the last quarter looks ahead."""
    if closing:
        return Stage.LATE
    if started is None or end is None:
        return Stage.EARLY
    total = (datetime.combine(end, time(0), tzinfo=UTC) - started).total_seconds()
    if total <= 0:
        return Stage.LATE
    fraction = (now - started).total_seconds() / total
    if fraction < 0.25:
        return Stage.EARLY
    if fraction >= 0.75:
        return Stage.LATE
    return Stage.MIDDLE


def middle_meeting_seq(total_meetings: int) -> int:
    return max(1, math.ceil(total_meetings / 2))


def closing_opens(end: date, country: str = DEFAULT_COUNTRY) -> date:
    """Two weeks before the end, on a working day (the next one when that day is off)."""
    return worktime.first_working_day_on_or_after(end - CLOSING_WINDOW, country)
