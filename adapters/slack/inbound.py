"""What the Slack adapter checks about a request before Bolt sees it.

Bolt parses the body before it verifies the signature, and a timestamp that is not a number
makes its verifier raise: either gave anyone a 500 and a traceback. The signature is therefore
checked here first, on the raw body, and a body Slack would never send is a 400. Interactions
get de-duplication ids like events, so a replayed signed submission changes nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qs

UNKNOWN_USER_ERRORS = frozenset({"user_not_found", "user_not_visible", "account_inactive"})
SIGNATURE_WINDOW = 60 * 5
"""Slack's replay window for a signed request's timestamp, in seconds."""


def signed_by_slack(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> bool:
    """Slack's request signature over a timestamp within the replay window; anything
    malformed (a timestamp that is not a number, no signature) is simply not signed."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return False
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def parsable(body: bytes, content_type: str) -> bool:
    """Whether Bolt can parse the body: JSON (events) or a form whose ``payload`` is JSON."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        payload = parse_qs(text).get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except ValueError:
        return False


def interaction_id(*parts: object) -> str | None:
    """A de-duplication id for an interaction, or None when Slack sent no stable id."""
    if any(p is None or p == "" for p in parts[:4]):
        return None
    raw = "|".join(str(p) for p in parts)
    return "i:" + hashlib.sha256(raw.encode()).hexdigest()[:60]
