"""The Slack settings the adapter reads, and the Web API client made from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_API_URL = "https://slack.com/api/"


class SlackConfigError(ValueError):
    """The Slack settings cannot work (e.g. HTTP mode without a signing secret)."""


class SlackSettings(Protocol):
    """The part of ``bot.settings.Settings`` Slack reads (adapters do not import ``bot``)."""

    @property
    def slack_bot_token(self) -> str: ...
    @property
    def slack_signing_secret(self) -> str: ...
    @property
    def slack_app_token(self) -> str: ...
    @property
    def slack_api_url(self) -> str: ...


@dataclass(frozen=True)
class SlackConfig:
    """What the Slack adapter needs: tokens, signing secret and the Web API base URL."""

    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> SlackConfig:
        return cls(
            bot_token=settings.slack_bot_token,
            signing_secret=settings.slack_signing_secret,
            app_token=settings.slack_app_token or None,
            api_url=settings.slack_api_url or DEFAULT_API_URL,
        )

    def check(self) -> None:
        """Refuse settings that cannot work, before anything is mounted."""
        if not self.bot_token:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        if not self.app_token and not self.signing_secret:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is needed to verify requests to /slack/events "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )


def make_client(config: SlackConfig) -> AsyncWebClient:
    """A Web API client for ``SLACK_API_URL``; its retry handlers cover connection errors only,
    so rate limits reach the delivery worker (one retry policy)."""
    base_url = config.api_url if config.api_url.endswith("/") else config.api_url + "/"
    return AsyncWebClient(token=config.bot_token, base_url=base_url)
