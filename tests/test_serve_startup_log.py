"""``mentorbot serve`` says at start-up what it serves, one line per surface, and why not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import Settings
from bot.surfaces import surfaces

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "0f2c1d5e-7a4b-4c3d-9e8f-1a2b3c4d5e6f"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_logs_each_surface_and_explains_the_404_on_slack_events(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CONNECTIONS__"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PORT": str(port),
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": APP_ID,
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "a-secret-value",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "a-tenant",
    }
    log_file = tmp_path / "serve.log"
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            status = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not status:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events", data=b"{}", method="POST"
                )
                try:
                    urllib.request.urlopen(request, timeout=5)
                except urllib.error.HTTPError as err:
                    status = err.code
                except OSError:
                    time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(20)
    log = log_file.read_text("utf-8")
    assert status == 404
    lines = [line for line in log.splitlines() if " bot.serve: " in line]
    assert [line.split(" bot.serve: ")[1].split(":")[0] for line in lines] == [
        "slack (HTTP)",
        "slack (Socket Mode)",
        "teams",
        "calendar feed",
        "pages",
    ]
    assert (
        "slack (HTTP): off — SLACK_BOT_TOKEN is not set, so POST /slack/events answers 404" in log
    )
    assert f"teams: on — POST /api/messages for app {APP_ID}" in log
    assert "POST /slack/events: 404, slack (HTTP): off — SLACK_BOT_TOKEN is not set" in log
    assert "Connections:" not in log and "CLIENTSECRET" not in log  # the SDK's dump stays out
    assert "a-secret-value" not in log


def test_socket_mode_says_why_slack_events_is_not_served_over_http() -> None:
    settings = Settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")  # type: ignore[call-arg]
    by_name = {s.name: s for s in surfaces(settings)}
    assert not by_name["slack (HTTP)"].on
    assert "Socket Mode" in by_name["slack (HTTP)"].detail
    assert by_name["slack (Socket Mode)"].on
    assert not by_name["teams"].on and "CLIENTID is not set" in by_name["teams"].detail
    assert "xoxb-1" not in str(by_name) and "xapp-1" not in str(by_name)
