"""The production ``mentorbot clock`` reaches Slack users who never wrote to the bot.

Nothing here passes a default platform: the pair is made with the CLI, and the real ``clock``
process runs with only the settings a Slack deployment has (``SLACK_BOT_TOKEN``, and
``SLACK_API_URL`` pointing at the local double of Slack's Web API). The welcome must find each
person by email, open the DM and remember both, so no process has to look again.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import make_engine, make_session_factory
from storage.models import Outbox, OutboxStatus, PlatformIdentity
from tests.once import once_per_run
from testsupport.loop import LoopThread
from testsupport.slack_api import SlackApiDouble

ROOT = Path(__file__).resolve().parent.parent.parent
MENTOR, ACTOR = "mikko@example.com", "aino@example.com"


def cli(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--database-url", url, *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def slack() -> Iterator[SlackApiDouble]:
    loop = LoopThread()
    double = SlackApiDouble()
    loop.run(double.start())
    yield double
    loop.run(double.stop())
    loop.close()


def _made_by_the_cli(folder: Path) -> bytes:
    db = folder / "reach.db"
    url = f"sqlite:///{db}"
    cli(url, "db", "upgrade")
    cli(url, "programme", "create", "Mentoring 2027")
    cli(url, "people", "add", MENTOR, "--name", "Mikko Laine")
    cli(url, "people", "add", ACTOR, "--name", "Aino Virtanen")
    cli(url, "pairs", "add", "--programme", "Mentoring 2027", "--mentor", MENTOR, "--actor", ACTOR)
    with closing(sqlite3.connect(db)) as conn:  # all in the main file: a copy is all of it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.read_bytes()


def paired_database(tmp_path: Path) -> str:
    """A programme and a pair made by the operator's CLI; nobody has written to the bot.
    The CLI makes it once per test run; each test gets its own copy."""
    db = tmp_path / "reach.db"
    db.write_bytes(once_per_run("slack-reach-paired", _made_by_the_cli))
    return f"sqlite:///{db}"


def statuses(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return sorted(session.scalars(select(Outbox.status).where(Outbox.kind == "welcome")))
    finally:
        engine.dispose()


def run_clock_until(url: str, slack: SlackApiDouble, done: list[str], tmp_path: Path) -> str:
    """Run ``mentorbot clock`` with production Slack settings until the welcomes' statuses
    are ``done``; its log."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CONNECTIONS__"))},
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-production-like",
        "SLACK_API_URL": slack.api_url,
        "MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.5",
        "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.3",
    }
    log = tmp_path / "clock.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "clock"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and statuses(url) != done:
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text("utf-8")
        finally:
            proc.terminate()
            proc.wait(20)
    return log.read_text("utf-8")


def test_production_clock_finds_slack_users_by_email_and_remembers_them(
    slack: SlackApiDouble, tmp_path: Path
) -> None:
    slack.add_user("U0MIKKO", MENTOR, "Mikko Laine")
    slack.add_user("U0AINO", ACTOR, "Aino Virtanen")
    url = paired_database(tmp_path)

    log = run_clock_until(url, slack, ["sent", "sent"], tmp_path)

    posts = {c.args["channel"]: c for c in slack.of("chat.postMessage")}
    assert set(posts) == {"DU0MIKKO", "DU0AINO"}, log
    assert {c.args["email"] for c in slack.of("users.lookupByEmail")} == {MENTOR, ACTOR}
    assert {c.args["users"] for c in slack.of("conversations.open")} == {"U0MIKKO", "U0AINO"}
    assert "platform None" not in log
    factory = make_session_factory(make_engine(url))
    with factory() as session:
        rows = session.scalars(select(Outbox).where(Outbox.kind == "welcome")).all()
        assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
        found = {
            (i.platform, i.platform_user_id, i.address.get("channel"))
            for i in session.scalars(select(PlatformIdentity))
        }
    assert found == {("slack", "U0MIKKO", "DU0MIKKO"), ("slack", "U0AINO", "DU0AINO")}


def test_someone_not_in_the_slack_workspace_waits_instead_of_dying(
    slack: SlackApiDouble, tmp_path: Path
) -> None:
    slack.add_user("U0MIKKO", MENTOR, "Mikko Laine")  # Aino has no Slack account yet
    url = paired_database(tmp_path)

    run_clock_until(url, slack, ["sent", "waiting"], tmp_path)

    factory = make_session_factory(make_engine(url))
    with factory() as session:
        waiting = session.scalars(
            select(Outbox).where(Outbox.status == OutboxStatus.WAITING.value)
        ).all()
    assert len(waiting) == 1 and waiting[0].platform == "slack"
    assert "no Slack user has this email" in (waiting[0].last_error or "")
    assert waiting[0].attempts == 0  # waiting uses up no attempt: it is never retried to death
    assert "people not reachable yet: 1 on slack" in cli(url, "outbox", "status")
