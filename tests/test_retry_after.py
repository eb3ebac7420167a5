"""``Retry-After`` is read the same way for Slack and Teams: seconds or an HTTP date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from multidict import CIMultiDict

from adapters.retry_after import header, parse_retry_after, retry_after_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0)],
)
def test_delta_seconds_are_read_as_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_an_http_date_is_the_seconds_until_it() -> None:
    later = format_datetime(NOW + timedelta(minutes=2), usegmt=True)
    assert later.endswith("GMT")
    assert parse_retry_after(later, NOW) == 120.0


def test_an_http_date_in_the_past_means_now() -> None:
    earlier = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(earlier, NOW) == 0.0


def test_an_http_date_without_a_zone_is_taken_as_utc() -> None:
    assert parse_retry_after("Mon, 07 Dec 2026 12:00:30 -0000", NOW) == 30.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "nan", "inf", "Mon, 99 Foo"])
def test_a_missing_or_unreadable_value_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_the_header_is_found_whatever_its_case_or_shape() -> None:
    assert header({"retry-after": "3"}) == "3"
    assert header({"Retry-After": ["4", "5"]}) == "4"
    assert header(CIMultiDict({"RETRY-AFTER": "6"})) == "6"
    assert header({"Content-Type": "text/plain"}) is None
    assert header(None) is None
    assert retry_after_of({"Retry-After": "9"}) == 9.0
    assert retry_after_of({}) is None
