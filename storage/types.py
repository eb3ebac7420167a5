"""Column types shared by the models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive).

    On SQLite the conversion to and from the stored text is one step each way instead of
    SQLAlchemy's two (its text conversion, then ours): a sweep converts some 100,000 datetimes
    each way, and the two steps cost about a tenth of its time. The text is exactly what
    SQLAlchemy's SQLite ``DATETIME`` writes (``2027-02-01 07:30:00.000000``), since SQLite
    compares these as strings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _to_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return _as_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _to_utc(value: datetime) -> datetime:
    """What is written: an aware datetime in UTC (a naive one is refused, not guessed)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    """What is read: naive means UTC (SQLite), aware is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _to_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    if len(value) > 10 and value[10] in " T":  # a date and a time, as Mentorbot writes them
        try:
            return datetime.fromisoformat(value + "+00:00")  # 5× faster than .replace(tzinfo)
        except ValueError:  # the text carries its own offset
            pass
    return _as_utc(datetime.fromisoformat(value))  # a date alone, or a time with its offset
