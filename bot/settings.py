"""Settings from environment variables (and a ``.env`` file if present).

A plain pydantic model filled from the environment by ``from_environment``: every command
reads its settings first, and importing a settings library with loaders for cloud secret
stores cost each ``mentorbot`` start about 0.15 s of CPU.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from storage.db import DEFAULT_DATABASE_URL

ENV_FILE = Path(".env")


class Settings(BaseModel):
    """Each field is read from the variable named by its alias. ``Settings()`` is the defaults
    alone (what tests build on); ``from_environment()`` is what a process runs with."""

    model_config = ConfigDict(extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    port: int = Field(default=3000, alias="PORT")
    log_level: str = Field(default="INFO", alias="MENTORBOT_LOG_LEVEL")
    # The platform SDKs and SQLAlchemy log bodies and rows at DEBUG: INFO unless set here.
    sdk_log_level: str = Field(default="", alias="MENTORBOT_SDK_LOG_LEVEL")
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

    # The clock (sweep + delivery) and the delivery worker's limits.
    sweep_interval_seconds: float = Field(default=300.0, alias="MENTORBOT_SWEEP_INTERVAL_SECONDS")
    delivery_interval_seconds: float = Field(
        default=5.0, alias="MENTORBOT_DELIVERY_INTERVAL_SECONDS"
    )
    clock_misfire_grace_seconds: int = Field(default=60, alias="MENTORBOT_CLOCK_MISFIRE_GRACE")
    delivery_batch_size: int = Field(default=200, alias="MENTORBOT_DELIVERY_BATCH_SIZE")
    delivery_concurrency: int = Field(default=32, alias="MENTORBOT_DELIVERY_CONCURRENCY")
    delivery_lease_seconds: float = Field(default=120.0, alias="MENTORBOT_DELIVERY_LEASE_SECONDS")
    delivery_base_backoff_seconds: float = Field(
        default=30.0, alias="MENTORBOT_DELIVERY_BASE_BACKOFF_SECONDS"
    )
    slack_rate_per_channel: float = Field(default=1.0, alias="MENTORBOT_SLACK_RATE_PER_CHANNEL")
    slack_rate_workspace: float = Field(default=20.0, alias="MENTORBOT_SLACK_RATE_WORKSPACE")
    teams_rate_per_conversation: float = Field(
        default=7.0, alias="MENTORBOT_TEAMS_RATE_PER_CONVERSATION"
    )
    teams_rate_app: float = Field(default=30.0, alias="MENTORBOT_TEAMS_RATE_APP")
    rate_headroom: float = Field(default=0.9, gt=0.0, le=1.0, alias="MENTORBOT_RATE_HEADROOM")
    shutdown_grace_seconds: float = Field(default=25.0, alias="MENTORBOT_SHUTDOWN_GRACE_SECONDS")
    # Test/demo only: read "now" from this file (an ISO timestamp, re-read on every tick).
    clock_file: str = Field(default="", alias="MENTORBOT_CLOCK_FILE")
    # The public base URL of the web process, for calendar feed links.
    public_url: str = Field(default="http://localhost:3000", alias="MENTORBOT_PUBLIC_URL")
    # Signs the HR report links (HMAC); empty: a random secret per process, so a link works
    # only on the web process that made it (set it when several web processes run).
    report_secret: str = Field(default="", alias="MENTORBOT_REPORT_SECRET")
    # The organisation's own terms of use (GET /terms redirects there); empty: Mentorbot's page.
    terms_url: str = Field(default="", alias="MENTORBOT_TERMS_URL")

    # HR: the bootstrap list of HR coordinators (comma-separated emails; they are
    # granted the HR role at every start, in addition to grants made in chat or by the CLI),
    # and how long the content of closed relationships is kept (days; 0 keeps it forever).
    hr_emails: str = Field(default="", alias="MENTORBOT_HR_EMAILS")
    content_retention_days: int = Field(default=365, alias="MENTORBOT_CONTENT_RETENTION_DAYS")

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, env_file: Path = ENV_FILE
    ) -> Settings:
        """The environment over a ``.env`` file in the working directory; names in any case."""
        values: dict[str, str] = {}
        if env_file.is_file():
            from dotenv import dotenv_values  # only when there is a file to read

            values.update(_upper(dotenv_values(env_file)))
        values.update(_upper(os.environ if environ is None else environ))
        return cls.model_validate(values)


def _upper(values: Mapping[str, str | None]) -> dict[str, str]:
    return {name.upper(): value for name, value in values.items() if value is not None}


@cache
def get_settings() -> Settings:
    return Settings.from_environment()
