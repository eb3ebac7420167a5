"""Shared channels the bot was added to, where HR can post announcements.

Adapters report membership changes (the bot invited to a Slack channel, the app added to a Teams
team) with ``remember_channel`` and ``forget_channel``; the announcement flow offers the channels
the bot is still in. A channel is never a place for mentoring content: only HR's announcements
go there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import Channel

NAME_MAX = 200


def remember_channel(
    factory: sessionmaker[Session],
    *,
    platform: str,
    channel_id: str,
    name: str,
    address: dict[str, Any],
    now: datetime,
) -> None:
    """Record that the bot is in this channel (again); its name and address are refreshed."""
    try:
        _remember(factory, platform, channel_id, name, address, now)
    except IntegrityError:  # the same channel recorded by another process at the same moment
        _remember(factory, platform, channel_id, name, address, now)


def _remember(
    factory: sessionmaker[Session],
    platform: str,
    channel_id: str,
    name: str,
    address: dict[str, Any],
    now: datetime,
) -> None:
    with transaction(factory) as session:
        found = _find(session, platform, channel_id)
        if found is None:
            session.add(
                Channel(
                    platform=platform,
                    platform_channel_id=channel_id,
                    name=(name or channel_id)[:NAME_MAX],
                    address=dict(address),
                    added_at=now,
                )
            )
            return
        found.name = (name or found.name)[:NAME_MAX]
        found.address = dict(address)
        found.removed_at = None


def forget_channel(
    factory: sessionmaker[Session], *, platform: str, channel_id: str, now: datetime
) -> None:
    """Record that the bot left (or was removed from) this channel; nothing new goes there."""
    with transaction(factory) as session:
        found = _find(session, platform, channel_id)
        if found is not None and found.removed_at is None:
            found.removed_at = now


def _find(session: Session, platform: str, channel_id: str) -> Channel | None:
    same = (Channel.platform == platform) & (Channel.platform_channel_id == channel_id)
    return session.scalars(select(Channel).where(same)).first()


@dataclass(frozen=True)
class KnownChannel:
    """A channel the bot is in, as an adapter sees it."""

    channel_id: str
    name: str
    address: dict[str, Any]


def channels_on(factory: sessionmaker[Session], platform: str) -> list[KnownChannel]:
    """The channels the bot is in on one platform (for adapters that rename or forget several,
    e.g. every channel of a Teams team)."""
    with factory() as session:
        return [
            KnownChannel(c.platform_channel_id, c.name, dict(c.address))
            for c in known_channels(session)
            if c.platform == platform
        ]


def known_channels(session: Session) -> list[Channel]:
    """The channels the bot is in now, by name."""
    return list(
        session.scalars(
            select(Channel).where(Channel.removed_at.is_(None)).order_by(Channel.name, Channel.id)
        )
    )
