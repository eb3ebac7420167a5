"""Team channels: the app added to or removed from a team, a channel renamed or deleted.

Translation only: the membership activities Teams sends in team scope become
``conversations.channels`` calls, so HR can pick the channel in *announce*. What Teams sends:

* ``conversationUpdate`` with the bot (``recipient.id``) in ``membersAdded`` /
  ``membersRemoved`` and ``channelData.team``: the app was added to / removed from the team;
* ``installationUpdate`` with ``action`` ``add`` / ``remove`` in a team: the same;
* ``conversationUpdate`` with ``channelData.eventType`` ``channelRenamed`` / ``channelDeleted``
  (``channelData.channel``), ``teamRenamed`` / ``teamDeleted`` (``channelData.team``).

A channel is stored with ``address = {"conversation_reference": …}`` naming the channel's own
conversation (``channelData.channel.id``, else the activity's conversation — for the team's
General channel the two ids are the team's id), without the triggering activity's id or
sender: the delivery worker then posts a new message in the channel
(``POST v3/conversations/{channel id}/activities``), addressed to nobody in particular.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from microsoft_agents.activity import Activity
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams import PLATFORM
from adapters.teams.inbound import reference_of, team_of
from conversations.channels import channels_on, forget_channel, remember_channel

log = logging.getLogger(__name__)

GENERAL = "General"  # Teams' name for a team's first channel, whose id is the team's id
SEPARATOR = " › "


class Change(Enum):
    JOINED = "joined"
    LEFT = "left"
    CHANNEL_RENAMED = "channel renamed"
    CHANNEL_DELETED = "channel deleted"
    TEAM_RENAMED = "team renamed"


@dataclass(frozen=True)
class ChannelEvent:
    """What happened to the bot's place in a team; ``address`` only when it joined."""

    change: Change
    team_id: str
    team_name: str
    channel_id: str
    channel_name: str
    address: dict[str, Any]


def channel_event(activity: Activity) -> ChannelEvent | None:
    """The team-membership change this activity reports, or None."""
    team = team_of(activity)
    if not team.get("id") or activity.conversation is None:
        return None
    if activity.conversation.conversation_type not in (None, "channel"):
        return None
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    raw_channel = data.get("channel")
    channel: dict[str, Any] = raw_channel if isinstance(raw_channel, dict) else {}
    team_id = str(team["id"])
    channel_id = str(channel.get("id") or _base(activity.conversation.id))
    change = _change(activity, str(data.get("eventType") or ""))
    if change is None:
        return None
    address = _address(activity, channel_id) if change == Change.JOINED else {}
    return ChannelEvent(
        change=change,
        team_id=team_id,
        team_name=str(team.get("name") or ""),
        channel_id=channel_id,
        channel_name=str(channel.get("name") or ""),
        address=address,
    )


def _change(activity: Activity, event_type: str) -> Change | None:
    bot = activity.recipient.id if activity.recipient else None
    if activity.type == "installationUpdate":
        return {"add": Change.JOINED, "remove": Change.LEFT}.get(activity.action or "")
    if activity.type != "conversationUpdate":
        return None
    if event_type == "channelRenamed":
        return Change.CHANNEL_RENAMED
    if event_type == "channelDeleted":
        return Change.CHANNEL_DELETED
    if event_type == "teamRenamed":
        return Change.TEAM_RENAMED
    if event_type == "teamDeleted":
        return Change.LEFT
    if bot and any(m.id == bot for m in activity.members_removed or []):
        return Change.LEFT
    if bot and any(m.id == bot for m in activity.members_added or []):
        return Change.JOINED
    return None


def _base(conversation_id: str) -> str:
    """The channel of a conversation id (a thread's id ends with ``;messageid=…``)."""
    return conversation_id.split(";", 1)[0]


def _address(activity: Activity, channel_id: str) -> dict[str, Any]:
    """The channel's conversation reference, built like a personal chat's."""
    address = reference_of(activity)
    reference = dict(address["conversation_reference"])
    reference.pop("activityId", None)  # a new post, not a reply to a system event
    reference.pop("user", None)  # to the channel, not to whoever added the bot
    reference["conversation"] = {
        **reference.get("conversation", {}),
        "id": channel_id,
        "conversationType": "channel",
        "isGroup": True,
    }
    return {**address, "conversation_reference": reference, "conversation": {"id": channel_id}}


@dataclass(frozen=True)
class Known:
    """A team channel the bot is in, with the team and channel names kept in its address."""

    channel_id: str
    name: str
    address: dict[str, Any]

    @property
    def team(self) -> dict[str, Any]:
        team = self.address.get("team")
        return team if isinstance(team, dict) else {}

    @property
    def channel_name(self) -> str:
        channel = self.address.get("channel")
        return str(channel.get("name") or "") if isinstance(channel, dict) else ""


def _known(factory: sessionmaker[Session]) -> list[Known]:
    return [Known(c.channel_id, c.name, c.address) for c in channels_on(factory, PLATFORM)]


def label(team_name: str, channel_name: str) -> str:
    """``Team name › Channel name``, as HR sees it in the announce form."""
    return SEPARATOR.join(p for p in (team_name, channel_name) if p)


def apply(factory: sessionmaker[Session], event: ChannelEvent, now: datetime) -> None:
    """Record the change (blocking: run it in a worker thread)."""
    known = _known(factory)
    if event.change == Change.JOINED:
        _joined(factory, event, known, now)
    elif event.change == Change.LEFT:
        gone = {k.channel_id for k in known if k.team.get("id") == event.team_id}
        for channel_id in sorted(gone | {event.channel_id}):
            forget_channel(factory, platform=PLATFORM, channel_id=channel_id, now=now)
        log.info("Teams: removed from team %s", event.team_id)
    elif event.change == Change.CHANNEL_DELETED:
        forget_channel(factory, platform=PLATFORM, channel_id=event.channel_id, now=now)
    elif event.change == Change.CHANNEL_RENAMED:
        for k in known:
            if k.channel_id == event.channel_id and event.channel_name:
                _rename(factory, k, str(k.team.get("name") or ""), event.channel_name, now)
    elif event.change == Change.TEAM_RENAMED and event.team_name:
        for k in known:
            if k.team.get("id") == event.team_id:
                _rename(factory, k, event.team_name, k.channel_name or GENERAL, now)


def _joined(
    factory: sessionmaker[Session], event: ChannelEvent, known: list[Known], now: datetime
) -> None:
    same = next((k for k in known if k.channel_id == event.channel_id), None)
    team_name = event.team_name or next(
        (str(k.team.get("name") or "") for k in known if k.team.get("id") == event.team_id), ""
    )
    # installationUpdate carries no names: keep what conversationUpdate told us
    channel_name = event.channel_name or (same.channel_name if same else "")
    if not channel_name and event.channel_id == event.team_id:
        channel_name = GENERAL
    address = {
        **event.address,
        "team": {"id": event.team_id, "name": team_name},
        "channel": {"id": event.channel_id, "name": channel_name},
    }
    remember_channel(
        factory,
        platform=PLATFORM,
        channel_id=event.channel_id,
        name=label(team_name, channel_name),
        address=address,
        now=now,
    )
    log.info("Teams: added to channel %s of team %s", event.channel_id, event.team_id)


def _rename(
    factory: sessionmaker[Session], known: Known, team_name: str, channel_name: str, now: datetime
) -> None:
    address = {
        **known.address,
        "team": {**known.team, "name": team_name},
        "channel": {"id": known.channel_id, "name": channel_name},
    }
    remember_channel(
        factory,
        platform=PLATFORM,
        channel_id=known.channel_id,
        name=label(team_name, channel_name),
        address=address,
        now=now,
    )
