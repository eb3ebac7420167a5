"""The outbox's way into Teams: proactive cards with the stored conversation reference."""

from __future__ import annotations

from typing import Any

from adapters.teams import PLATFORM
from adapters.teams.cards import card_attachments
from adapters.teams.connector import TeamsConfig, TeamsConnector, TokenProviderFactory
from conversations.delivery import Recipient, SendError, Sent
from conversations.messages import Message
from conversations.texts import Texts


async def send_message(
    connector: TeamsConnector,
    reference: dict[str, Any],
    message: Message,
    tx: Texts,
    replace_id: str | None = None,
) -> str:
    """Send ``message`` as one card, or as several in order when one would pass Teams' size
    limit (``replace_id``: the card the first one replaces); the first activity's id."""
    first = ""
    for i, card in enumerate(card_attachments(message, tx)):
        sent = await connector.send_card(reference, card, replace_id=replace_id if i == 0 else None)
        first = first or sent
    return first


class TeamsSender:
    """Delivers one outbox message; failures are ``SendError`` for the worker's policy."""

    platform = PLATFORM

    def __init__(self, connector: TeamsConnector) -> None:
        self.connector = connector

    @classmethod
    def from_config(
        cls, config: TeamsConfig, token_provider_factory: TokenProviderFactory | None = None
    ) -> TeamsSender:
        """A sender that needs only the settings: usable from the ``clock`` process."""
        return cls(TeamsConnector(config, token_provider_factory))

    async def send(self, recipient: Recipient, message: Message) -> Sent:
        reference = recipient.address.get("conversation_reference")
        if not isinstance(reference, dict):
            # Teams lets a bot message only those who have the app: wait until they install it
            raise SendError("teams: the app is not installed for this person yet", unreachable=True)
        tx = Texts(recipient.locale)
        return Sent(await send_message(self.connector, reference, message, tx))
