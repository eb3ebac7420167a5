"""Commands that neither serve nor send do not load the platform SDKs or the web stack.

Each command runs in a fresh interpreter through ``bot.cli.main``; what it imported is read
from ``sys.modules`` afterwards. (How long a start takes is measured by
``bench/cli_start.py``, not asserted here: timings on a shared machine are not a test.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("slack_bolt", "slack_sdk", "microsoft_agents", "aiohttp", "apscheduler", "msal")
# What only words and calendars need: commands that list or change records without saying
# anything to anyone leave the template engine, Babel and the holiday calendars unloaded too.
TEXT_STACK = ("jinja2", "babel", "holidays")
# A listing validates no address either: the email validator loads with the first validation.
LISTING_FREE = (*TEXT_STACK, "email_validator")

PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(json.loads(sys.argv[1]))
    except SystemExit as done:
        code = done.code
heavy = json.loads(sys.argv[2])
loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy})
print(json.dumps({"code": code, "loaded": loaded}))
"""

LIGHT_COMMANDS = [
    ["--help"],
    ["--version"],
    ["db", "upgrade"],
    ["doctor"],
    ["outbox", "status"],
    ["outbox", "retry", "--dead"],
    ["programme", "list"],
    ["programme", "create", "Pilot"],
    ["people", "list", "--format", "csv"],
    ["people", "add", "aino@example.com", "--name", "Aino"],
    ["people", "show", "aino@example.com"],
    ["people", "update", "aino@example.com", "--timezone", "Europe/Oslo"],
    ["pairs", "list", "--format", "json"],
    ["calendar", "revoke", "aino@example.com"],
    ["hr", "grant", "aino@example.com"],
    ["gdpr", "purge"],
]


def probe(args: list[str], db: Path, heavy: tuple[str, ...] = HEAVY) -> dict[str, object]:
    env_free = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)],
        cwd=ROOT,
        env=env_free,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("light") / "light.db"


def test_light_commands_do_not_import_the_platform_sdks(database: Path) -> None:
    for args in LIGHT_COMMANDS:  # in order: later commands use what earlier ones created
        found = probe(args, database)
        assert found["code"] == 0, (args, found)
        assert found["loaded"] == [], f"mentorbot {' '.join(args)} imported {found['loaded']}"


LISTINGS = [
    ["outbox", "status"],
    ["programme", "list"],
    ["people", "list"],
    ["pairs", "list"],
    ["doctor"],
]


def test_listings_do_not_import_the_text_stack_or_the_email_validator(tmp_path: Path) -> None:
    database = tmp_path / "listings.db"
    assert probe(["db", "upgrade"], database)["code"] == 0
    for args in LISTINGS:
        found = probe(args, database, LISTING_FREE)
        assert found["code"] == 0, (args, found)
        assert found["loaded"] == [], f"mentorbot {' '.join(args)} imported {found['loaded']}"


def test_the_console_and_the_demo_sweep_and_deliver_without_the_web_stack(
    database: Path,
) -> None:
    """The console and the demo sweep and deliver in-process: neither the platform SDKs nor
    aiohttp and APScheduler (the ``serve`` and ``clock`` processes') are loaded. The same probe
    sees the text stack they do load, so it would notice such an import."""
    script = database.parent / "empty.txt"
    script.write_text("# nothing to play\n", "utf-8")
    demo_db = database.parent / "demo.db"
    for args in (
        ["console", "--script", str(script)],
        ["demo", "--seed-only", "--fresh", "--db", str(demo_db)],
    ):
        found = probe(args, database, HEAVY + TEXT_STACK)
        assert found["code"] == 0, (args, found)
        assert "jinja2" in found["loaded"], (args, found)  # the probe sees what is imported
        heavy = [m for m in found["loaded"] if m in HEAVY]  # type: ignore[attr-defined]
        assert heavy == [], f"mentorbot {' '.join(args)} imported {heavy}"
