"""What ``mentorbot serve`` serves, said once at start-up: one log line per surface.

An operator reading the log sees for each surface (Slack over HTTP, Slack over Socket Mode,
Teams, the calendar feed, the pages) whether it is on and, when it is off, which setting
turns it on: a ``POST /slack/events`` answering 404 is explained before anyone asks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.settings import Settings

log = logging.getLogger("bot.serve")

SLACK_OFF = "SLACK_BOT_TOKEN is not set"
TEAMS_CLIENT_ID = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"


@dataclass(frozen=True)
class Surface:
    name: str
    on: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'on' if self.on else 'off'} — {self.detail}"


def surfaces(settings: Settings) -> list[Surface]:
    """Each surface of the web process, whether it is on, and why (never a secret's value)."""
    slack, socket = bool(settings.slack_bot_token), bool(settings.slack_app_token)
    if not slack:
        http = Surface("slack (HTTP)", False, f"{SLACK_OFF}, so POST /slack/events answers 404")
    elif socket:
        http = Surface(
            "slack (HTTP)",
            False,
            "SLACK_APP_TOKEN is set, so Slack talks over Socket Mode and POST /slack/events "
            "answers 404",
        )
    else:
        http = Surface("slack (HTTP)", True, f"POST /slack/events, API {settings.slack_api_url}")
    if not socket:
        mode = Surface("slack (Socket Mode)", False, "SLACK_APP_TOKEN is not set")
    elif not slack:
        mode = Surface("slack (Socket Mode)", False, f"SLACK_APP_TOKEN is set but {SLACK_OFF}")
    else:
        mode = Surface("slack (Socket Mode)", True, "connecting with SLACK_APP_TOKEN")
    if settings.teams_client_id:
        teams = Surface("teams", True, f"POST /api/messages for app {settings.teams_client_id}")
    elif settings.teams_anonymous_allowed:
        teams = Surface(
            "teams", True, "POST /api/messages WITHOUT authentication (local testing only)"
        )
    else:
        teams = Surface(
            "teams", False, f"{TEAMS_CLIENT_ID} is not set, so POST /api/messages refuses all"
        )
    public = settings.public_url.rstrip("/")
    note = (
        "" if public.startswith("https://") else " (set MENTORBOT_PUBLIC_URL to the https address)"
    )
    calendar = Surface("calendar feed", True, f"GET /calendar/{{token}}.ics, links {public}{note}")
    terms = settings.terms_url or "/terms page"
    pages = Surface("pages", True, f"GET /privacy and GET /terms (terms: {terms}), GET /healthz")
    return [http, mode, teams, calendar, pages]


def log_surfaces(settings: Settings) -> None:
    for surface in surfaces(settings):
        log.info("%s", surface.line())
