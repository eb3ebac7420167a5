"""The ``mentorbot`` command line as an operator uses it: real processes, real files."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

MENTORBOT = [sys.executable, "-m", "bot.cli"]


def mentorbot(
    *args: str, db: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    prefix = ["--database-url", f"sqlite:///{db}"] if db else []
    return subprocess.run(
        [*MENTORBOT, *prefix, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_help_documents_every_command() -> None:
    result = mentorbot("--help")
    assert result.returncode == 0
    for command in ("serve", "console", "demo", "db", "programme", "people", "pairs"):
        assert command in result.stdout


def test_admin_commands_create_a_programme_people_and_a_pair(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert mentorbot("db", "upgrade", db=db).returncode == 0
    steps = [
        ("programme", "create", "Pilot", "--goals", "Faster orientation", "--duration", "6"),
        ("people", "add", "sanna@example.com", "--name", "Sanna K"),
        (
            "people",
            "add",
            "aino@example.com",
            "--name",
            "Aino V",
            "--locale",
            "fi",
            "--supervisor",
            "sanna@example.com",
        ),
        ("people", "add", "mikko@example.com", "--name", "Mikko L"),
        (
            "pairs",
            "add",
            "--programme",
            "Pilot",
            "--mentor",
            "mikko@example.com",
            "--actor",
            "aino@example.com",
        ),
    ]
    for step in steps:
        result = mentorbot(*step, db=db)
        assert result.returncode == 0, result.stderr
    listing = mentorbot("programme", "list", db=db)
    assert "Pilot" in listing.stdout and "1 pairs" in listing.stdout


@pytest.fixture(scope="module")
def paired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database the CLI made: programme Pilot, Aino and Mikko, Mikko mentoring Aino. Made
    once; each test that may change it works on a copy."""
    db = tmp_path_factory.mktemp("paired") / "m.db"
    steps = [
        ("programme", "create", "Pilot"),
        ("people", "add", "aino@example.com", "--name", "Aino"),
        ("people", "add", "mikko@example.com", "--name", "Mikko"),
        ("pairs", "add", "--programme", "Pilot", "--mentor", "mikko@example.com",
         "--actor", "aino@example.com"),
    ]  # fmt: skip
    for step in steps:
        result = mentorbot(*step, db=db)
        assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(db)) as conn:  # all in the main file: a copy is all of it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "pairs",
                "add",
                "--programme",
                "Pilot",
                "--mentor",
                "x@example.com",
                "--actor",
                "aino@example.com",
            ),
            "unknown person x@example.com",
        ),
        (
            (
                "pairs",
                "add",
                "--programme",
                "Pilot",
                "--mentor",
                "aino@example.com",
                "--actor",
                "aino@example.com",
            ),
            "cannot mentor themselves",
        ),
        (
            (
                "pairs",
                "add",
                "--programme",
                "Pilot",
                "--mentor",
                "mikko@example.com",
                "--actor",
                "aino@example.com",
            ),
            "already has an active mentorship",
        ),
        (("people", "add", "not-an-email", "--name", "X"), "not an email address"),
        (("people", "add", "aino@example.com", "--name", "Again"), "already added"),
    ],
)
def test_admin_commands_explain_what_is_wrong(
    paired: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    db = tmp_path / "m.db"
    shutil.copyfile(paired, db)
    result = mentorbot(*args, db=db)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_console_script_plays_and_a_malformed_line_fails_with_its_number(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    mentorbot("programme", "create", "Pilot", db=db)
    mentorbot("people", "add", "aino@example.com", "--name", "Aino", db=db)
    script = tmp_path / "s.txt"
    script.write_text(
        "# greeting\nas aino@example.com: hello\nas aino@example.com: click English\ntime +1d\n",
        "utf-8",
    )
    good = mentorbot("console", "--script", str(script), "--now", "2027-01-11 09:00", db=db)
    assert good.returncode == 0, good.stderr
    assert "Hello Aino!" in good.stdout and "Your timezone" in good.stdout
    script.write_text("as aino@example.com: hello\nsay hello to everyone\n", "utf-8")
    bad = mentorbot("console", "--script", str(script), db=db)
    assert bad.returncode == 1
    assert "line 2" in bad.stderr
    script.write_text("as aino@example.com: click Nonexistent\n", "utf-8")
    missing = mentorbot("console", "--script", str(script), db=db)
    assert missing.returncode == 1 and "line 1" in missing.stderr


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_demo_plays_a_whole_relationship(tmp_path: Path, locale: str) -> None:
    result = mentorbot("demo", "--locale", locale, "--db", str(tmp_path / "demo.db"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "demo finished" in result.stdout


def test_demo_hr_plays_the_hr_coordinators_and_supervisors_scenario(tmp_path: Path) -> None:
    result = mentorbot("demo", "--hr", "--db", str(tmp_path / "demo.db"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Results of Mentoring 2027" in result.stdout
    assert "--as helena@demo.example" in result.stdout
