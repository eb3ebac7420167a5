"""The interface between the outbox and the platforms: what a sender gets and may report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from conversations.messages import Message


@dataclass(frozen=True)
class Recipient:
    """Who a queued message is for, and how their platform reaches them: a person, or (for
    HR's announcements) a shared channel, with ``person_id`` None and ``channel_id`` set."""

    person_id: int | None
    name: str
    email: str | None
    locale: str
    platform: str | None
    platform_user_id: str | None
    address: dict[str, Any] = field(default_factory=dict)
    channel_id: int | None = None


@dataclass(frozen=True)
class Sent:
    """A delivered message: the platform's message id and, when the sender had to find the
    person itself (a user looked up by email, a DM it opened), how it reached them, so that
    the delivery worker stores it and no process has to look again."""

    message_id: str
    user_id: str | None = None
    address: dict[str, Any] | None = None

    @property
    def learned(self) -> bool:
        return self.user_id is not None or bool(self.address)


class SendError(Exception):
    """A failed send. ``retry_after`` (seconds) when the platform said when to try again;
    ``permanent`` when trying again cannot help (e.g. the user left the workspace);
    ``unreachable`` when the platform cannot reach this person *yet* (no Slack account with
    their email, the Teams app not installed for them): the message waits, without retries,
    until they install the app or write to the bot."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.unreachable = unreachable


class Sender(Protocol):
    """One platform's way of delivering a message; raises ``SendError`` when it cannot."""

    platform: str
    """``finds_people`` (optional, default False): the sender can reach someone who never
    wrote to the bot (Slack finds them by email), so the outbox tries it for such people."""

    async def send(self, recipient: Recipient, message: Message) -> Sent: ...
