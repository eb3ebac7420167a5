"""Requests signed as Slack signs them, with the Slack SDK's own ``SignatureVerifier``
(``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``), not a copy of the algorithm."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier


def signature(body: bytes, timestamp: str, secret: str) -> str:
    """Slack's request signature of ``body`` sent at ``timestamp``."""
    signed = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signed is not None  # None only when the timestamp or body is missing
    return signed


def signed_headers(
    body: bytes, content_type: str, secret: str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers of a request Slack sends: content type, timestamp and signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(body, ts, secret),
    }
