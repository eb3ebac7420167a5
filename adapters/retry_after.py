"""``Retry-After`` read once for every platform: seconds to wait, or None.

HTTP allows either delta-seconds (``120``) or an HTTP date (``Wed, 21 Oct 2026 07:28:00 GMT``);
Slack sends seconds, the Bot Connector and proxies in front of either may send a date. The
delivery worker only needs "not sooner than", so a date in the past is 0 and anything
unreadable is None (the worker's own backoff applies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def header(headers: Mapping[str, Any] | None, name: str = "Retry-After") -> str | None:
    """One header's value from a mapping whose keys' case is unknown (the Slack SDK keeps the
    server's case, and may hold a list of values)."""
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else None
            return str(value)
    return None


def retry_after_of(headers: Mapping[str, Any] | None) -> float | None:
    """The ``Retry-After`` of a response's headers, in seconds."""
    return parse_retry_after(header(headers))
