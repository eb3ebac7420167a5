"""``mentorbot doctor``: check a deployment's configuration and say what to fix.

Each check gives one finding: ok, a problem (with the fix), or a note for something that is
simply off. The exit code is non-zero when any problem is found, so a release step or a
health script can run it. Nothing is changed: the database is read, never migrated, and a
SQLite file that does not exist is not created. Slack and Teams are asked only when they are
configured: Slack's ``auth.test`` with the bot token, and a Bot Connector token for the
Teams app id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings

BOT_CONNECTOR = "https://api.botframework.com"
TIMEOUT_SECONDS = 15.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"

TokenProviders = Callable[[Any], Any]  # the Agents SDK's AgentAuthConfiguration → provider


@dataclass(frozen=True)
class Finding:
    """``ok`` True: fine; False: a problem, with ``fix``; None: off or informational."""

    ok: bool | None
    subject: str
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        mark = {True: "ok  ", False: "FIX ", None: "--  "}[self.ok]
        out = [f"{mark} {self.subject}: {self.detail}"]
        if self.fix:
            out.append(f"     → {self.fix}")
        return out


def masked(url: str) -> str:
    """The database URL with its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def first_line(err: BaseException) -> str:
    """The database driver's own message when there is one, else the error's; one line."""
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def check_database(url: str) -> list[Finding]:
    """Reachable, and migrated to the newest revision this Mentorbot knows."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import alembic_config, make_engine, normalise_url
    from storage.revisions import database_revisions, script_head

    shown = masked(url)
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return [
            Finding(
                False,
                "database",
                f"the SQLite file {path} does not exist",
                "run `mentorbot db upgrade` to create it, or set DATABASE_URL",
            )
        ]
    try:
        engine = make_engine(url)
        current = set(database_revisions(engine))
    except (SQLAlchemyError, ModuleNotFoundError) as err:
        return [
            Finding(
                False,
                "database",
                f"cannot connect to {shown}: {first_line(err)}",
                "check DATABASE_URL (host, port, name, user, password) and that the server "
                "runs and accepts connections from here",
            )
        ]
    engine.dispose()
    found = [Finding(True, "database", f"{shown} answers")]
    head = script_head()
    if head is not None and current == {head}:  # the usual answer, without loading alembic
        found.append(Finding(True, "schema", f"migrated to the newest revision ({head})"))
        return found
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(normalise_url(url)))
    heads = set(script.get_heads())
    known = {r.revision for r in script.walk_revisions()}
    if current == heads:
        found.append(Finding(True, "schema", f"migrated to the newest revision ({_ids(heads)})"))
    elif not current:
        found.append(
            Finding(False, "schema", "the database has no tables yet", "run `mentorbot db upgrade`")
        )
    elif current - known:
        found.append(
            Finding(
                False,
                "schema",
                f"the database is at revision {_ids(current)}, which this Mentorbot does not "
                "know: it was migrated by a newer version",
                "install the Mentorbot version that migrated it (or newer)",
            )
        )
    else:
        found.append(
            Finding(
                False,
                "schema",
                f"at revision {_ids(current)}, the newest is {_ids(heads)}",
                "run `mentorbot db upgrade` (the Procfile's release step)",
            )
        )
    return found


def _ids(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions))


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def slack_on(settings: Settings) -> bool:
    return bool(
        settings.slack_bot_token or settings.slack_signing_secret or settings.slack_app_token
    )


def teams_on(settings: Settings) -> bool:
    return bool(
        settings.teams_client_id
        or settings.teams_client_secret
        or settings.teams_tenant_id
        or settings.teams_anonymous_allowed
    )


def check_public_url(settings: Settings) -> Finding:
    url = settings.public_url
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return Finding(True, "public URL", url)
    needed = settings.teams_client_id or (settings.slack_bot_token and not settings.slack_app_token)
    if needed or parts.hostname not in LOCAL_HOSTS:
        return Finding(
            False,
            "public URL",
            f"MENTORBOT_PUBLIC_URL is {url!r}: Slack, Teams and calendar apps reach Mentorbot "
            "only over https",
            "set MENTORBOT_PUBLIC_URL=https://<the host that serves mentorbot serve>",
        )
    return Finding(None, "public URL", f"{url} (fine on this machine; production needs https)")


def check_slack(settings: Settings) -> list[Finding]:
    if not slack_on(settings):
        return [Finding(None, "Slack", "off (SLACK_BOT_TOKEN is not set)")]
    token, secret, app_token = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
    )
    if not token:
        return [
            Finding(
                False,
                "Slack",
                "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not",
                "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from OAuth & "
                "Permissions, or unset the other Slack settings",
            )
        ]
    found: list[Finding] = []
    if not token.startswith("xoxb-"):
        found.append(
            Finding(
                False,
                "Slack",
                "SLACK_BOT_TOKEN does not look like a bot token (xoxb-…)",
                "copy the Bot User OAuth Token from OAuth & Permissions",
            )
        )
    if app_token and not app_token.startswith("xapp-"):
        found.append(
            Finding(
                False,
                "Slack",
                "SLACK_APP_TOKEN does not look like an app-level token (xapp-…)",
                "generate one with the connections:write scope under Basic Information",
            )
        )
    if not secret and not app_token:
        found.append(
            Finding(
                False,
                "Slack",
                "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is "
                "set, so no event from Slack can be accepted",
                "set SLACK_SIGNING_SECRET from Basic Information → App Credentials",
            )
        )
    found.append(_slack_auth_test(settings))
    return found


def _slack_auth_test(settings: Settings) -> Finding:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=int(TIMEOUT_SECONDS),
    )
    try:
        answer = client.auth_test()
    except SlackApiError as err:
        code = err.response.get("error", "error") if err.response is not None else "error"
        return Finding(
            False,
            "Slack",
            f"auth.test refused the bot token: {code}",
            "copy the Bot User OAuth Token again (reinstall the app if it was revoked)",
        )
    except (SlackClientError, OSError) as err:
        return Finding(
            False,
            "Slack",
            f"cannot reach {settings.slack_api_url}: {first_line(err)}",
            "check the network, a proxy, or SLACK_API_URL",
        )
    mode = "Socket Mode" if settings.slack_app_token else "HTTP, POST /slack/events"
    return Finding(
        True,
        "Slack",
        f"auth.test: bot @{answer.get('user')} in {answer.get('team')} "
        f"({answer.get('team_id')}); {mode}",
    )


def check_teams(settings: Settings, providers: TokenProviders | None = None) -> list[Finding]:
    if not teams_on(settings):
        return [Finding(None, "Teams", f"off ({PREFIX}CLIENTID is not set)")]
    prefix = PREFIX
    if not settings.teams_client_id:
        production = urlsplit(settings.public_url).scheme == "https"
        return [
            Finding(
                False if production else None,
                "Teams",
                "ANONYMOUS_ALLOWED without an app id: requests are accepted without a token "
                "(local testing only)",
                f"set {prefix}CLIENTID, CLIENTSECRET and TENANTID, and "
                f"{prefix}ANONYMOUS_ALLOWED=false"
                if production
                else "",
            )
        ]
    missing = [
        f"{prefix}{name}"
        for name, value in (
            ("CLIENTSECRET", settings.teams_client_secret),
            ("TENANTID", settings.teams_tenant_id),
        )
        if not value
    ]
    if missing:
        return [
            Finding(
                False,
                "Teams",
                f"{' and '.join(missing)} not set",
                "copy them from the bot's Entra app registration (README, Connecting "
                "Microsoft Teams)",
            )
        ]
    found = []
    if settings.teams_anonymous_allowed:
        found.append(
            Finding(
                False,
                "Teams",
                "ANONYMOUS_ALLOWED is on next to a real app id",
                f"set {prefix}ANONYMOUS_ALLOWED=false",
            )
        )
    found.append(_teams_token(settings, providers))
    return found


def _teams_token(settings: Settings, providers: TokenProviders | None) -> Finding:
    from adapters.teams.connector import TeamsConfig

    if providers is None:
        from microsoft_agents.authentication.msal import MsalAuth

        providers = MsalAuth
    provider = providers(TeamsConfig.from_settings(settings).auth_configuration())

    async def fetch() -> str:
        return str(
            await asyncio.wait_for(
                provider.get_access_token(BOT_CONNECTOR, [f"{BOT_CONNECTOR}/.default"]),
                TIMEOUT_SECONDS,
            )
        )

    try:
        token = asyncio.run(fetch())
    except Exception as err:  # MSAL, HTTP and timeout errors all mean the same to the admin
        return Finding(
            False,
            "Teams",
            f"no Bot Connector token for app id {settings.teams_client_id}: {first_line(err)}",
            "check the client id, secret (not expired?) and tenant id of the Entra app",
        )
    if not token:
        return Finding(False, "Teams", "the token service answered without a token")
    return Finding(True, "Teams", f"app id {settings.teams_client_id} gets Bot Connector tokens")


def run_checks(
    settings: Settings, url: str, teams_providers: TokenProviders | None = None
) -> list[Finding]:
    return [
        *check_database(url),
        check_public_url(settings),
        *check_slack(settings),
        *check_teams(settings, teams_providers),
    ]


def report(findings: list[Finding]) -> tuple[str, int]:
    """The printed report and the exit code (1 when anything needs fixing)."""
    lines = [line for finding in findings for line in finding.lines()]
    problems = sum(1 for f in findings if f.ok is False)
    if problems:
        lines.append(f"{problems} to fix; run `mentorbot doctor` again afterwards")
    else:
        lines.append("nothing to fix")
    return "\n".join(lines), 1 if problems else 0
