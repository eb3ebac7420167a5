"""Pure rules of time, date/time parsing, commands in two languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import commands, rules
from conversations.forms import Validator, parse_date, parse_time
from conversations.texts import Texts

HEL = ZoneInfo("Europe/Helsinki")


def test_add_months_clamps_to_the_end_of_a_short_month() -> None:
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert rules.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


def test_horizon_is_three_months_or_six_for_long_relationships() -> None:
    assert rules.horizon_months(3) == 3
    assert rules.horizon_months(5) == 3
    assert rules.horizon_months(6) == 6
    assert rules.horizon_months(12) == 6
    assert rules.horizon_months(12, programme_horizon=9) == 9


@given(st.dates(min_value=date(2027, 1, 1), max_value=date(2030, 12, 31)), st.integers(7, 21))
def test_a_series_never_lands_on_a_weekend(first: date, interval: int) -> None:
    start = datetime.combine(first, time(14, 0), tzinfo=HEL)
    dates = rules.series(start, interval, rules.add_months(first, 6))
    assert dates
    assert all(d.astimezone(HEL).weekday() < 5 for d in dates)
    assert all(d.astimezone(HEL).hour == 14 for d in dates)


def test_series_keeps_wall_clock_time_across_daylight_saving() -> None:
    start = datetime(2027, 3, 16, 14, 0, tzinfo=HEL)
    dates = rules.series(start, 14, date(2027, 4, 30))
    assert [d.astimezone(HEL).hour for d in dates] == [14, 14, 14, 14]
    assert dates[0].hour == 12 and dates[1].hour == 11  # UTC offset changed on 28 March


def test_stage_moves_from_early_to_middle_to_late() -> None:
    started = datetime(2027, 1, 1, tzinfo=UTC)
    end = date(2027, 7, 1)
    assert rules.stage(started, end, datetime(2027, 1, 20, tzinfo=UTC), False) == "early"
    assert rules.stage(started, end, datetime(2027, 3, 20, tzinfo=UTC), False) == "middle"
    assert rules.stage(started, end, datetime(2027, 6, 1, tzinfo=UTC), False) == "late"
    assert rules.stage(started, end, datetime(2027, 1, 2, tzinfo=UTC), True) == "late"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-15", date(2027, 3, 15)),
        ("15.3.2027", date(2027, 3, 15)),
        ("15.3.", date(2027, 3, 15)),
        ("31.2.2027", None),
        ("2027-02-30", None),
        ("tomorrow", None),
        ("1.1.", date(2028, 1, 1)),
    ],
)
def test_dates_are_understood_in_iso_and_finnish_forms(text: str, expected: date | None) -> None:
    assert parse_date(text, today=date(2027, 3, 1)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14:00", time(14)), ("9.30", time(9, 30)), ("24:00", None), ("noon", None)],
)
def test_times_are_understood(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected


def test_validator_keeps_valid_answers_and_explains_the_invalid_ones() -> None:
    v = Validator(Texts("en"), {"a": "7", "b": "4", "c": "x" * 11})
    assert v.rating("a") is None
    assert v.rating("b") == 4
    assert v.text("c", 10) is None
    assert set(v.errors) == {"a", "c"}
    assert v.values["b"] == "4"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("status", "status"),
        ("Tila", "status"),
        ("/mentor goals", "goals"),
        ("export my data", "export"),
        ("vie tietoni", "export"),
        ("check-in", "checkin"),
        ("kirjaa tapaaminen", "checkin"),
        ("väliarviointi", "evaluate"),
        ("final evaluation", "close"),
        ("apua", "help"),
        ("tehtävät", "tasks"),
        ("blah", None),
    ],
)
def test_commands_are_understood_in_english_and_finnish(text: str, name: str | None) -> None:
    assert commands.parse(text)[0] == name
