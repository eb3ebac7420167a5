"""Working time of a recipient: 9–17 Monday–Friday in their timezone, minus public holidays.

Holidays come from the ``holidays`` package for the programme's ``holiday_country``
(Finland by default). Pure functions; the calendars are cached per country and year.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

WORK_START = time(9, 0)
WORK_END = time(17, 0)
MAX_SEARCH_DAYS = 30


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # with the first calendar: the command line's listings never need one

    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:  # an unknown country code: weekends only
        return frozenset()
    return frozenset(calendar.keys())


@cache
def zone(name: str) -> ZoneInfo:
    """A cached ``ZoneInfo``; an unknown name falls back to UTC rather than failing a sweep."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


@cache
def is_working_day(day: date, country: str) -> bool:
    """Monday–Friday and not a public holiday of ``country``."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


@cache
def previous_working_day(day: date, country: str) -> date:
    """The last working day strictly before ``day``."""
    day -= timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(day, country):
            return day
        day -= timedelta(days=1)
    return day


def first_working_day_on_or_after(day: date, country: str) -> date:
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(day, country):
            return day
        day += timedelta(days=1)
    return day


def start_of_working_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, WORK_START, tzinfo=tz)


def next_working_moment(at: datetime, tz: ZoneInfo, country: str) -> datetime:
    """``at`` itself if it falls in working hours, else the start of the next working period."""
    local = at.astimezone(tz)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(day, country):
            begin = start_of_working_day(day, tz)
            end = datetime.combine(day, WORK_END, tzinfo=tz)
            if local < begin:
                return begin
            if local < end:
                return local
        day += timedelta(days=1)
        local = start_of_working_day(day, tz)
    return local
