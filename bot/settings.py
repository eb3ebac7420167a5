"""Settings from environment variables (and a ``.env`` file if present)."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    port: int = Field(default=3000, alias="PORT")
    log_level: str = Field(default="INFO", alias="MENTORBOT_LOG_LEVEL")
    console_timezone: str = Field(default="Europe/Helsinki", alias="MENTORBOT_CONSOLE_TIMEZONE")
    delivery_max_attempts: int = Field(default=8, alias="MENTORBOT_DELIVERY_MAX_ATTEMPTS")
    # Slack: bot token, signing secret, app-level token (Socket Mode), Web API base URL.
    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Microsoft Teams: the Microsoft 365 Agents SDK's own variable names.
    teams_client_id: str = Field(
        default="", alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"
    )
    teams_client_secret: str = Field(
        default="", alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET"
    )
    teams_tenant_id: str = Field(
        default="", alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID"
    )
    teams_anonymous_allowed: bool = Field(
        default=False, alias="CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED"
    )
    teams_send_timeout: float = Field(default=10.0, alias="MENTORBOT_TEAMS_SEND_TIMEOUT")


@cache
def get_settings() -> Settings:
    return Settings()
