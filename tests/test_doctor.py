"""``mentorbot doctor`` finds what a deployment lacks and says what to fix.

Slack is checked by the real ``mentorbot doctor`` process against the local Web API double
(``SLACK_API_URL``); the Teams token against the Bot Connector double's token endpoint.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.doctor import check_teams, report
from bot.settings import Settings
from storage.db import upgrade
from tests.databases import migrated_sqlite
from tests.teams.tokens import DoubleTokenProvider
from testsupport.loop import LoopThread
from testsupport.slack_api import SlackApiDouble
from testsupport.teams_connector import ConnectorDouble

ROOT = Path(__file__).resolve().parent.parent
TEAMS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"


def doctor(db_url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG")
    env = {k: v for k, v in os.environ.items() if k in keep}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": db_url, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path / "doctor.db")  # a copy of the template alembic migrated


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def slack(loop: LoopThread) -> Iterator[SlackApiDouble]:
    double = SlackApiDouble(team_id="T0DOCTOR")
    loop.run(double.start())
    yield double
    loop.run(double.stop())


def test_a_configured_slack_deployment_passes_with_auth_test(
    migrated: str, slack: SlackApiDouble
) -> None:
    result = doctor(
        migrated,
        SLACK_BOT_TOKEN="xoxb-doctor",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.api_url,
        MENTORBOT_PUBLIC_URL="https://mentorbot.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   Slack: auth.test: bot @mentorbot in Mentorbot test (T0DOCTOR)" in result.stdout
    assert [c.token for c in slack.of("auth.test")] == ["xoxb-doctor"]
    assert "nothing to fix" in result.stdout


def test_a_refused_slack_token_is_a_problem_with_its_fix(
    migrated: str, slack: SlackApiDouble
) -> None:
    slack.fail_next("auth.test", 200, "invalid_auth")
    result = doctor(
        migrated,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.api_url,
        MENTORBOT_PUBLIC_URL="https://mentorbot.example.com",
    )
    assert result.returncode == 1
    assert "FIX  Slack: auth.test refused the bot token: invalid_auth" in result.stdout
    assert "→ copy the Bot User OAuth Token again" in result.stdout


def test_missing_settings_and_an_http_public_url_are_named(migrated: str) -> None:
    result = doctor(
        migrated,
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # nothing listens: unreachable
        MENTORBOT_PUBLIC_URL="http://mentorbot.example.com",
        **{f"{TEAMS}CLIENTID": "app-id"},
    )
    assert result.returncode == 1
    out = result.stdout
    assert "FIX  public URL: MENTORBOT_PUBLIC_URL is 'http://mentorbot.example.com'" in out
    assert "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN" in out
    assert "FIX  Slack: cannot reach http://127.0.0.1:9/api/" in out
    assert f"{TEAMS}CLIENTSECRET and {TEAMS}TENANTID not set" in out
    assert "Traceback" not in result.stderr


def test_a_schema_behind_the_newest_migration_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    result = doctor(url)
    assert result.returncode == 1
    assert "FIX  schema: at revision 0003" in result.stdout
    assert "run `mentorbot db upgrade`" in result.stdout


def test_an_unreachable_or_missing_database_is_reported_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "none.db"
    result = doctor(f"sqlite:///{missing}")
    assert result.returncode == 1 and "does not exist" in result.stdout
    assert not missing.exists()
    result = doctor("postgresql://mentorbot:hunter2@127.0.0.1:9/mentorbot")
    assert result.returncode == 1
    assert "FIX  database: cannot connect to postgresql://mentorbot:***@127.0.0.1:9" in (
        result.stdout
    )
    assert "hunter2" not in result.stdout + result.stderr


def _teams_settings(**extra: str) -> Settings:
    values = {
        f"{TEAMS}CLIENTID": "00000000-0000-0000-0000-00000000b07",
        f"{TEAMS}CLIENTSECRET": "doctor-secret",
        f"{TEAMS}TENANTID": "tenant-doctor",
        "MENTORBOT_PUBLIC_URL": "https://mentorbot.example.com",
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_teams_credentials_that_get_a_token_pass(loop: LoopThread) -> None:
    double = ConnectorDouble()
    loop.run(double.start())
    try:
        token_url = f"{double.base_url}/botframework.com/oauth2/v2.0/token"
        findings = check_teams(
            _teams_settings(), lambda config: DoubleTokenProvider(config, token_url)
        )
    finally:
        loop.run(double.stop())
    text, code = report(findings)
    assert code == 0, text
    assert "gets Bot Connector tokens" in text
    assert double.token_requests[0]["client_id"] == "00000000-0000-0000-0000-00000000b07"
    assert double.token_requests[0]["scope"] == "https://api.botframework.com/.default"


def test_teams_credentials_without_a_token_are_a_problem() -> None:
    token_url = "http://127.0.0.1:9/botframework.com/oauth2/v2.0/token"
    findings = check_teams(_teams_settings(), lambda config: DoubleTokenProvider(config, token_url))
    text, code = report(findings)
    assert code == 1
    assert "FIX  Teams: no Bot Connector token for app id" in text
    assert "check the client id, secret" in text
