"""``mentorbot match``: profiles imported with the people import's checks, the suggested set
as a table, CSV or JSON with reasons, friendly refusals; profiles exported and erased."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from conversations.erasure import erase_person
from storage.db import transaction
from storage.export import person_data
from storage.matching import MatchProfile, MatchProposal
from storage.models import Person

pytestmark = pytest.mark.postgres

PEOPLE = """email,name,locale,timezone,supervisor_email
ceo@example.com,Cee Oh,en,Europe/Helsinki,
boss@example.com,Bo Ss,fi,Europe/Helsinki,ceo@example.com
aino@example.com,Aino Virtanen,fi,Europe/Helsinki,boss@example.com
mikko@example.com,Mikko Laine,fi,Europe/Helsinki,ceo@example.com
sven@example.com,Sven Berg,en,Europe/Stockholm,boss@example.com
"""
PROFILES = """programme,email,role,wants,offers,languages,meeting_mode,working_days,capacity,avoid
Spring,aino@example.com,actor,leadership|planning,,fi|en,remote,mon|tue,,team
Spring,sven@example.com,actor,sales,,sv,either,,,
Spring,mikko@example.com,mentor,,leadership|planning,fi,remote,mon|tue|wed,2,
Spring,boss@example.com,mentor,,sales,fi,in person,,1,
"""


def _run(url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    from bot.match_cli import run

    parsed = cli.build_parser().parse_args(["--database-url", url, *args])
    factory = cli.open_database(url)
    code = run(parsed, factory, datetime.now(UTC), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def spring(database_url: str, tmp_path: Path) -> str:
    (tmp_path / "people.csv").write_text(PEOPLE)
    (tmp_path / "profiles.csv").write_text(PROFILES)
    assert cli.main(["--database-url", database_url, "programme", "create", "Spring"]) == 0
    assert cli.main(["--database-url", database_url, "import", str(tmp_path / "people.csv")]) == 0
    code, out, err = _run(database_url, "match", "import", str(tmp_path / "profiles.csv"))
    assert code == 0, err
    assert "4 created" in out
    return database_url


def test_suggest_gives_the_pair_with_reasons_and_who_is_left_out_by_which_rule(
    spring: str,
) -> None:
    code, out, _err = _run(spring, "match", "suggest", "--programme", "Spring")
    assert code == 0
    assert "Aino Virtanen ← Mikko Laine" in out
    assert "both work in Finnish; Mikko offers leadership and planning, which Aino wants" in out
    assert "Sven Berg: no mentor shares Swedish" in out

    code, out, _err = _run(spring, "match", "suggest", "--programme", "Spring", "--json")
    document = json.loads(out)
    assert [(p["actor_email"], p["mentor_email"]) for p in document["pairs"]] == [
        ("aino@example.com", "mikko@example.com")
    ]
    assert document["unmatched"][0]["rule"] == "language"
    assert set(document["pairs"][0]["parts"]) == {"topics", "meeting", "hours", "cross_team"}

    code, out, _err = _run(
        spring, "match", "suggest", "--programme", "Spring", "--csv", "--locale", "fi"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["reasons"].startswith("yhteinen kieli: suomi")
    assert "ruotsi" in rows[1]["left_out_because"]


def test_the_weights_of_a_programme_are_set_and_checked_in_the_cli(spring: str) -> None:
    code, out, _err = _run(
        spring, "match", "open", "--programme", "Spring", "--mode", "auto", "--weight", "hours=3"
    )
    assert code == 0 and "mode auto" in out and "hours=3" in out
    code, _out, err = _run(spring, "match", "open", "--programme", "Spring", "--weight", "age=1")
    assert code == 1 and "unknown weight 'age'" in err
    code, _out, err = _run(spring, "match", "open", "--programme", "Spring", "--weight", "hours=x")
    assert code == 1 and "needs a number" in err


def test_a_bad_profile_file_is_reported_row_by_row_and_nothing_is_written(
    database_url: str, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE)
    assert cli.main(["--database-url", database_url, "programme", "create", "Spring"]) == 0
    assert cli.main(["--database-url", database_url, "import", str(tmp_path / "people.csv")]) == 0
    bad = (
        "programme,email,role,languages,capacity,meeting_mode\n"
        "Spring,aino@example.com,actor,fi,,remote\n"
        "Autumn,nobody@example.com,mentor,xx,7,teleport\n"
    )
    (tmp_path / "bad.csv").write_text(bad)
    code, _out, err = _run(database_url, "match", "import", str(tmp_path / "bad.csv"))
    assert code == 1
    assert "line 2: please name at least one topic you want to learn" in err
    assert "line 3: unknown programme 'Autumn'; unknown person nobody@example.com" in err
    assert "unknown language code(s) xx" in err and "capacity must be a whole number" in err
    assert "nothing written" in err
    with factory() as session:
        assert session.scalar(select(func.count(MatchProfile.id))) == 0
    (tmp_path / "wrong.csv").write_text("programme,email,colour\n")
    code, _out, err = _run(database_url, "match", "import", str(tmp_path / "wrong.csv"))
    assert code == 1 and "missing column(s) role, languages" in err
    code, _out, err = _run(database_url, "match", "suggest", "--programme", "Nope")
    assert code == 1 and err.strip() == "mentorbot: unknown programme 'Nope'"


def test_a_profile_is_in_the_persons_export_and_erased_with_them(
    spring: str, factory: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    with transaction(factory) as session:
        aino = session.scalars(select(Person).where(Person.email == "aino@example.com")).one()
        data = person_data(session, aino)
        assert data["matching_profiles"][0]["wants"] == ["leadership", "planning"]
        assert data["matching_profiles"][0]["programme"] == "Spring"
        erase_person(session, now, "cli", aino)
    with factory() as session:
        assert (
            session.scalar(
                select(func.count(MatchProfile.id)).where(MatchProfile.person_id == aino.id)
            )
            == 0
        )
        assert session.scalar(select(func.count(MatchProposal.id))) == 0


def test_the_cli_loads_no_scipy_or_numpy_until_a_match_command_runs() -> None:
    probe = (
        "import sys\n"
        "from bot.cli import build_parser\n"
        "build_parser().parse_args(['match', 'suggest', '--programme', 'P'])\n"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_opening_auto_matching_proposes_the_best_set_at_once(
    spring: str, factory: sessionmaker[Session]
) -> None:
    code, out, _err = _run(spring, "match", "open", "--programme", "Spring", "--mode", "auto")
    assert code == 0 and "2 message(s) queued" in out
    with factory() as session:
        proposals = list(session.scalars(select(MatchProposal)))
        assert [(p.actor.email, p.mentor.email, p.status) for p in proposals] == [
            ("aino@example.com", "mikko@example.com", "pending")
        ]
    code, out, _err = _run(spring, "match", "open", "--programme", "Spring")
    assert "queued" not in out  # nobody new is free: nothing proposed twice
