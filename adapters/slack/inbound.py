"""Slack payloads in: what is checked before Bolt sees a request, and payload → ``Inbound``.

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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from adapters.slack.render import view_values
from adapters.slack.sender import PLATFORM
from conversations.messages import Inbound, InboundKind

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


def unescape(text: str) -> str:
    """Slack sends ``&``, ``<`` and ``>`` typed by people as entities; the engine wants text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def person_dm(event: dict[str, Any]) -> tuple[str, str] | None:
    """(user, channel) of a ``message.im`` a person wrote; None for edits, bots and the rest."""
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user = str(event.get("user") or "")
    channel = str(event.get("channel") or "")
    return (user, channel) if user and channel else None


def dm_channel_of(body: dict[str, Any]) -> str | None:
    """The DM channel an interaction came from, if it came from one."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if isinstance(channel, str) and channel.startswith("D") else None


def stored_channel(address: Mapping[str, object]) -> str | None:
    """The DM channel id in a stored Slack address, if any."""
    channel = address.get("channel")
    return channel if isinstance(channel, str) and channel else None


def new_inbound(
    user: str, kind: InboundKind, channel: str | None, now: datetime, **fields: Any
) -> Inbound:
    """An ``Inbound`` from this Slack user; the DM channel travels as its address."""
    return Inbound(
        platform=PLATFORM,
        user=user,
        kind=kind,
        received_at=now,
        address={"channel": channel} if channel else {},
        **fields,
    )


def action_inbound(
    user: str, channel: str | None, action: dict[str, Any], action_id: str, now: datetime
) -> Inbound:
    """A button click; the click's timestamp makes a replayed one a duplicate."""
    return new_inbound(
        user,
        InboundKind.ACTION,
        channel,
        now,
        action_id=action_id,
        value=str(action.get("value") or ""),
        event_id=interaction_id("action", user, action.get("action_ts"), action_id),
    )


def form_meta(view: dict[str, Any]) -> tuple[str, str] | None:
    """(form id, form value) a modal carries in its ``private_metadata``; None if it has none."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    if not isinstance(meta, dict) or not meta.get("form_id"):
        return None
    return str(meta["form_id"]), str(meta.get("value") or "")


def submission_inbound(
    user: str, channel: str | None, view: dict[str, Any], now: datetime
) -> Inbound | None:
    """A modal submission as a form answer; None for a modal that is not one of our forms."""
    meta = form_meta(view)
    if meta is None:
        return None
    form_id, value = meta
    values = view_values((view.get("state") or {}).get("values") or {})
    return new_inbound(
        user,
        InboundKind.FORM,
        channel,
        now,
        action_id=form_id,
        value=value,
        form=values,
        # a replayed or double-sent submission: the same view, version and answers
        event_id=interaction_id(
            "view",
            user,
            view.get("id"),
            view.get("hash"),
            view.get("private_metadata"),
            json.dumps(values, sort_keys=True),
        ),
    )
