"""Teams activities → the engine's ``Inbound``."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from microsoft_agents.activity import Activity

from adapters.teams import PLATFORM
from adapters.teams.cards import ACTION_KEY, FORM_KEY, RESERVED_KEYS, VALUE_KEY
from conversations.messages import Inbound, InboundKind

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
MAX_TEXT = 4000
SHARED_CONVERSATION_TYPES = frozenset({"channel", "groupChat"})


def reference_of(activity: Activity) -> dict[str, Any]:
    """How to reach the person later, for ``PlatformIdentity.address``."""
    reference = activity.get_conversation_reference()
    dumped = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    # ``conversation`` at the top too: the delivery worker's per-conversation rate limit
    return {"conversation_reference": dumped, "conversation": {"id": reference.conversation.id}}


def team_of(activity: Activity) -> dict[str, Any]:
    """``channelData.team`` (id, name): present when the activity comes from a team."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = data.get("team")
    return team if isinstance(team, dict) else {}


def is_shared(activity: Activity) -> bool:
    """Whether the activity comes from a team channel or a group chat, not a personal chat.

    Mentoring happens only in personal chats: nothing said in a shared conversation reaches the
    engine (its reference would otherwise become where a person's private messages go).
    """
    kind = activity.conversation.conversation_type if activity.conversation else None
    return kind in SHARED_CONVERSATION_TYPES or bool(team_of(activity))


def event_id(activity: Activity, kind: InboundKind) -> str | None:
    """A de-duplication id: Teams resends an activity with the same id when we were slow."""
    conversation = activity.conversation.id if activity.conversation else ""
    if kind == InboundKind.INSTALLED:
        # conversationUpdate and installationUpdate both announce one install: onboard once
        raw = f"install|{conversation}"
    elif activity.id:
        raw = f"{conversation}|{activity.id}"
    else:
        return None
    return hashlib.sha256(raw.encode()).hexdigest()


def kind_of(activity: Activity) -> InboundKind | None:
    """What the person did, or None for activities the bot does not act on.

    Only personal chats: team membership is ``adapters.teams.channels``' business.
    """
    if is_shared(activity):
        return None
    if activity.type == "message":
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get(FORM_KEY):
            return InboundKind.FORM
        if value and value.get(ACTION_KEY):
            return InboundKind.ACTION
        return InboundKind.TEXT if clean_text(activity.text) else None
    if activity.type == "installationUpdate" and (activity.action or "add") == "add":
        return InboundKind.INSTALLED
    if activity.type == "conversationUpdate" and activity.recipient:
        added = activity.members_added or []
        if any(m.id == activity.recipient.id for m in added):
            return InboundKind.INSTALLED
    return None


def clean_text(text: str | None) -> str:
    """The typed text without mention markup (``<at>Mentorbot</at>``), length-limited."""
    text = _TAG.sub("", _MENTION.sub("", text or ""))
    return text.replace("&nbsp;", " ").strip()[:MAX_TEXT]


def to_inbound(
    activity: Activity,
    received_at: datetime,
    *,
    email: str | None = None,
    display_name: str | None = None,
) -> Inbound | None:
    """Translate one activity; None when there is nothing for the engine to do."""
    kind = kind_of(activity)
    if kind is None or activity.from_property is None:
        return None
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "user": activity.from_property.id,
        "kind": kind,
        "received_at": received_at,
        "event_id": event_id(activity, kind),
        "email": email,
        "display_name": display_name or activity.from_property.name,
        "address": reference_of(activity),
    }
    value = activity.value if isinstance(activity.value, dict) else {}
    if kind == InboundKind.FORM:
        form = {
            str(k): "" if v is None else str(v) for k, v in value.items() if k not in RESERVED_KEYS
        }
        return Inbound(
            **common,
            action_id=str(value[FORM_KEY]),
            value=str(value.get(VALUE_KEY) or ""),
            form=form,
        )
    if kind == InboundKind.ACTION:
        return Inbound(
            **common, action_id=str(value[ACTION_KEY]), value=str(value.get(VALUE_KEY) or "")
        )
    if kind == InboundKind.TEXT:
        return Inbound(**common, text=clean_text(activity.text))
    return Inbound(**common)
