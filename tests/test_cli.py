"""The ``mentorbot`` command line as an operator uses it: real processes, real files."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.databases import migrated_sqlite
from tests.once import once_per_run

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
    listing = mentorbot("programme", "list", "--format", "json", db=db)
    assert [(p["name"], p["pairs"]) for p in json.loads(listing.stdout)] == [("Pilot", 1)]


PILOT = (
    ("programme", "create", "Pilot"),
    ("people", "add", "sanna@example.com", "--name", "Sanna K"),
    ("people", "add", "aino@example.com", "--name", "Aino V"),
    ("people", "add", "mikko@example.com", "--name", "Mikko L"),
    ("pairs", "add", "--programme", "Pilot", "--mentor", "mikko@example.com",
     "--actor", "aino@example.com"),
)  # fmt: skip


def _make_pilot(folder: Path) -> bytes:
    db = folder / "m.db"
    for step in PILOT:
        result = mentorbot(*step, db=db)
        assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(db)) as conn:  # all in the main file: a copy is all of it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.read_bytes()


def pilot(tmp_path: Path) -> Path:
    """A copy of a database the CLI made: programme Pilot; Sanna, Aino and Mikko; Mikko
    mentoring Aino (which queued a welcome to each). The CLI makes it once per test run
    (test_admin_commands_create_a_programme_people_and_a_pair proves those steps); each test
    that needs it works on its own copy."""
    db = tmp_path / "m.db"
    db.write_bytes(once_per_run("cli-pilot", _make_pilot))
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
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    db = pilot(tmp_path)
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


def as_json(db: Path, *args: str) -> Any:
    result = mentorbot(*args, "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _audited(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id")]


def test_people_update_and_show_apply_the_rules_of_chat_and_are_audited(tmp_path: Path) -> None:
    db = pilot(tmp_path)
    update = mentorbot(
        "people", "update", "aino@example.com", "--name", "Aino Virtanen", "--locale", "fi",
        "--timezone", "Europe/Stockholm", "--supervisor", "sanna@example.com",
        "--employment-start", "2026-10-01", "--hr", "yes", "--as", "helena@example.com", db=db,
    )  # fmt: skip
    assert update.returncode == 0, update.stderr
    shown = json.loads(
        mentorbot("people", "show", "aino@example.com", "--format", "json", db=db).stdout
    )
    assert shown["name"] == "Aino Virtanen" and shown["locale"] == "fi"
    assert shown["timezone"] == "Europe/Stockholm" and shown["supervisor"] == "sanna@example.com"
    assert shown["employment_start"] == "2026-10-01" and shown["hr"] is True
    assert shown["relationships"] == [
        {"pair": 1, "programme": "Pilot", "role": "actor", "partner": "mikko@example.com",
         "phase": "start"}
    ]  # fmt: skip
    assert {"person.update", "role.hr.grant", "person.show"} <= set(_audited(db))
    cleared = mentorbot("people", "update", "aino@example.com", "--supervisor", "none", db=db)
    assert cleared.returncode == 0 and "supervisor" in cleared.stdout
    for args, message in (
        (("--timezone", "Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (("--employment-start", "1.10.2026"), "--employment-start takes YYYY-MM-DD"),
        (("--supervisor", "aino@example.com"), "cannot be their own supervisor"),
        (("--supervisor", "nobody@example.com"), "unknown person nobody@example.com"),
        (("--name", " "), "a name of 1–200 characters"),
    ):
        refused = mentorbot("people", "update", "aino@example.com", *args, db=db)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    assert mentorbot("people", "show", "x@example.com", db=db).returncode == 2


def test_pairs_list_filters_and_pairs_end_ends_a_pair_as_hr_does_in_chat(tmp_path: Path) -> None:
    db = pilot(tmp_path)
    listed = mentorbot("pairs", "list", "--programme", "Pilot", "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["pair"], r["mentor"], r["actor"], r["phase"]) for r in rows] == [
        ("1", "mikko@example.com", "aino@example.com", "start")
    ]
    assert (
        mentorbot("pairs", "list", "--phase", "cancelled", "--format", "json", db=db).stdout
        == "[]\n"
    )
    too_long = mentorbot("pairs", "end", "1", "--reason", "x" * 501, db=db)
    assert too_long.returncode == 2 and "under 500 characters" in too_long.stderr
    ended = mentorbot("pairs", "end", "1", "--reason", "Aino moved to another team", db=db)
    assert ended.returncode == 0, ended.stderr
    cancelled = json.loads(
        mentorbot("pairs", "list", "--phase", "cancelled", "--format", "json", db=db).stdout
    )
    assert [p["pair"] for p in cancelled] == [1]
    with sqlite3.connect(db) as conn:
        told = conn.execute("SELECT count(*) FROM outbox WHERE kind = 'pair_ended'").fetchone()[0]
        reason = conn.execute("SELECT end_reason FROM mentorship WHERE id = 1").fetchone()[0]
    assert told == 2 and reason == "Aino moved to another team"
    assert "pair.end" in _audited(db)
    again = mentorbot("pairs", "end", "1", "--reason", "twice", db=db)
    assert again.returncode == 2 and "not active" in again.stderr
    assert "no pair 7" in mentorbot("pairs", "end", "7", "--reason", "r", db=db).stderr
    unknown = mentorbot("pairs", "list", "--programme", "Nope", db=db)
    assert unknown.returncode == 2 and "unknown programme 'Nope'" in unknown.stderr


def test_listings_have_a_header_in_every_format(tmp_path: Path) -> None:
    db = pilot(tmp_path)
    table = mentorbot("people", "list", db=db).stdout.splitlines()
    assert table[0].split()[:3] == ["email", "name", "locale"] and len(table) == 4
    rows = list(
        csv.reader(io.StringIO(mentorbot("people", "list", "--format", "csv", db=db).stdout))
    )
    assert rows[0][:2] == ["email", "name"] and rows[1][0] == "aino@example.com"
    records = as_json(db, "people", "list")
    assert [r["email"] for r in records] == [
        "aino@example.com", "mikko@example.com", "sanna@example.com"
    ]  # fmt: skip
    empty = mentorbot("pairs", "list", "--phase", "closed", db=db).stdout.splitlines()
    assert empty[0].startswith("pair") and empty[1] == "(no pairs)"


def test_every_option_has_help_text() -> None:
    from bot.cli_parser import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    missing += walk(child, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(build_parser(), "mentorbot") == []


def test_version_names_the_installed_version() -> None:
    result = mentorbot("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mentorbot {version('mentorbot')}"


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mentorbot: "), result.stderr
    return lines[0]


def test_ordinary_mistakes_give_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    line = _one_line(mentorbot("import", "people", str(tmp_path / "missing.csv"), db=db))
    assert "missing.csv: No such file or directory" in line
    line = _one_line(mentorbot("console", "--script", str(tmp_path / "none.txt"), db=db))
    assert "none.txt: No such file or directory" in line
    unreachable = subprocess.run(
        [*MENTORBOT, "--database-url", "postgresql://ops:pw@127.0.0.1:9/mb", "people", "list"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    line = _one_line(unreachable)
    assert "cannot use the database postgresql://ops:***@127.0.0.1:9/mb" in line
    assert "pw@" not in unreachable.stderr
    bad_setting = subprocess.run(
        [*MENTORBOT, "people", "list"], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PORT": "eighty"},
    )  # fmt: skip
    assert "setting PORT is invalid" in _one_line(bad_setting)


def test_a_reader_that_stops_early_ends_the_listing_quietly(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    people = tmp_path / "people.csv"
    people.write_text(
        "email,name\n" + "".join(f"p{i}@example.com,Person {i}\n" for i in range(3000)), "utf-8"
    )
    assert mentorbot("import", "people", str(people), db=db).returncode == 0
    process = subprocess.Popen(
        [*MENTORBOT, "--database-url", f"sqlite:///{db}", "people", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"email")  # like `| head -1`
    process.stdout.close()
    code = process.wait(120)
    assert code == 141
    assert process.stderr.read() == b""


def _reading_a_pipe(pid: int) -> bool:
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def _at_a_terminal() -> None:
    """SIGINT as in a person's terminal, also when the tests run as a background job (whose
    shell starts everything with SIGINT ignored, and Python keeps it so)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_ends_with_one_line_and_exit_130(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "m.db")  # as `mentorbot db upgrade` leaves it
    process = subprocess.Popen(
        [*MENTORBOT, "--database-url", url, "import", "people", "/dev/stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_at_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _reading_a_pipe(process.pid):
        time.sleep(0.1)  # until it waits for the file's content, as a person would see it
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip() == "mentorbot: interrupted"


def test_outbox_status_shows_the_stored_error_of_stuck_rows(tmp_path: Path) -> None:
    db = pilot(tmp_path)  # queued a welcome to each of the pair
    with sqlite3.connect(db) as conn:
        first, second = [r[0] for r in conn.execute("SELECT id FROM outbox ORDER BY id")]
        conn.execute(
            "UPDATE outbox SET attempts = 2, last_error = ? WHERE id = ?",
            ("teams: Bot Connector answered 500", first),
        )
        conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = 1, "
            "locked_until = '2020-01-01 00:00:00.000000' WHERE id = ?",
            (second,),
        )
    status = mentorbot("outbox", "status", db=db)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert "stuck rows (failed, waiting to retry, or left by a stopped worker): 2" in lines
    assert any(
        line.startswith(f"  #{first} ") and "2 attempts" in line
        and line.endswith("teams: Bot Connector answered 500")
        for line in lines
    ), status.stdout  # fmt: skip
    assert any(
        line.startswith(f"  #{second} ") and "sending" in line and "worker stopped" in line
        for line in lines
    ), status.stdout
