"""The operator's commands: serve --with-clock, outbox status and outbox retry --dead."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from storage.db import make_engine, make_session_factory, transaction
from storage.models import Outbox
from tests.databases import migrated_sqlite
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, ThreadedSlackApi

ROOT = Path(__file__).resolve().parent.parent
HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = datetime(2027, 1, 11, 9, 0, tzinfo=HELSINKI)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sent_reminders(engine: Engine) -> int:
    with Session(engine) as s:
        sent = (Outbox.kind == "reminder", Outbox.status == "sent")
        return int(s.scalar(select(func.count(Outbox.id)).where(*sent)) or 0)


def command_help(*path: str) -> str:
    """What ``mentorbot PATH --help`` prints (the parser's own text, without a process)."""
    from bot.cli_parser import build_parser

    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser.format_help()


def test_help_documents_the_clock_outbox_and_calendar_commands() -> None:
    result = cli("--help")  # a real process: what an operator types first
    assert result.returncode == 0
    for command in ("clock", "outbox", "calendar"):
        assert command in result.stdout
    assert "--with-clock" in command_help("serve")
    assert "--dead" in command_help("outbox", "retry")


def test_serve_with_clock_sends_the_nudges_and_outbox_status_shows_them(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "serve.db")
    engine = make_engine(url)
    seed_pairs(engine, 1, MONDAY - timedelta(minutes=1))  # meeting 1 is tomorrow at 10:00
    clock_file = tmp_path / "now"
    clock_file.write_text(MONDAY.isoformat(), "utf-8")
    double = ThreadedSlackApi(DoubleConfig()).start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORT": str(port),
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": "s3cr3t",
        "SLACK_API_URL": double.api_url,
        "MENTORBOT_CLOCK_FILE": str(clock_file),
        "MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.5",
        "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.3",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--with-clock"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60  # until both reminders are recorded sent
        while time.monotonic() < deadline and sent_reminders(engine) < 2:
            time.sleep(0.05)
        assert proc.poll() is None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.wait(20)
        double.stop()
    keys = set(double.keys())
    assert {k.split(":")[0] for k in keys} >= {"reminder"}
    status = cli("--database-url", url, "outbox", "status")
    assert status.returncode == 0
    assert "sent       reminder                   2" in status.stdout
    assert "dead rows: 0" in status.stdout
    # an operator sees dead rows with their errors and can send them again
    with transaction(make_session_factory(engine)) as s:
        s.execute(
            update(Outbox)
            .where(Outbox.kind == "reminder")
            .values(status="dead", last_error="slack: account_inactive (HTTP 200)")
        )
    engine.dispose()
    status = cli("--database-url", url, "outbox", "status")
    assert "dead rows: 2" in status.stdout and "account_inactive" in status.stdout
    retried = cli("--database-url", url, "outbox", "retry", "--dead")
    assert retried.returncode == 0 and retried.stdout.startswith("2 dead rows")
    assert (
        "pending    reminder                   2"
        in cli("--database-url", url, "outbox", "status").stdout
    )
