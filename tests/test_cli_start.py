"""Commands that neither serve nor send do not load the platform SDKs or the web stack.

The commands run one after another in a fresh interpreter through ``bot.cli.main``, and
``sys.modules`` is read after each. ``sys.modules`` only grows, so while no command before it
has loaded a package, what is loaded after a command is what that command imported: one
interpreter start serves a whole list. (How long a start takes is measured by
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
heavy = json.loads(sys.argv[2])
for args in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(args)
        except SystemExit as done:
            code = done.code
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


def probe_all(
    commands: list[list[str]], db: Path, heavy: tuple[str, ...] = HEAVY
) -> list[dict[str, object]]:
    """Run ``commands`` in order in one fresh interpreter; for each, its exit code and the
    packages of ``heavy`` loaded once it has run."""
    env_free = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands), json.dumps(heavy)],
        cwd=ROOT,
        env=env_free,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: list[dict[str, object]] = [
        json.loads(line) for line in result.stdout.strip().splitlines()[-len(commands) :]
    ]
    assert len(found) == len(commands), result.stdout
    return found


def probe(args: list[str], db: Path, heavy: tuple[str, ...] = HEAVY) -> dict[str, object]:
    return probe_all([args], db, heavy)[0]


def assert_none_loaded(commands: list[list[str]], found: list[dict[str, object]]) -> None:
    for args, after in zip(commands, found, strict=True):
        assert after["code"] == 0, (args, after)
        # the first command after which a package is loaded is the one that imported it
        assert after["loaded"] == [], f"mentorbot {' '.join(args)} imported {after['loaded']}"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("light") / "light.db"


def test_light_commands_do_not_import_the_platform_sdks(database: Path) -> None:
    # in order: later commands use what earlier ones created
    assert_none_loaded(LIGHT_COMMANDS, probe_all(LIGHT_COMMANDS, database))


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
    assert_none_loaded(LISTINGS, probe_all(LISTINGS, database, LISTING_FREE))


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
