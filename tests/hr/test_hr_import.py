"""``mentorbot import people|pairs``: validated as a whole, every bad row reported with its
line, nothing written unless all rows are valid (or --skip-invalid), idempotent, fast enough
for 10,000 rows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from storage.models import AuditLog, Mentorship, Person

HEADER = "email,name,locale,timezone,supervisor_email,employment_start,returning_from_leave,hr\n"


def _people(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count(Person.id))) or 0)


def _import(url: str, tmp_path: Path, kind: str, content: str | bytes, *extra: str) -> int:
    path = tmp_path / f"{kind}.csv"
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_bytes(content)
    return cli.main(["--database-url", url, "import", kind, str(path), *extra])


def test_people_import_accepts_bom_and_semicolons_and_is_idempotent(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    content = (
        "\ufeffemail;name;locale;supervisor_email;employment_start;hr\n"
        "Aino@Example.com;Aino Virtanen;fi;sanna@example.com;2027-01-02;no\n"
        "sanna@example.com;Sanna Koskinen;fi;;;\n"
        "helena@example.com;Helena Niemi;en;;;yes\n"
    ).encode()
    assert _import(database_url, tmp_path, "people", content) == 0
    assert "3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    with factory() as session:
        aino = session.scalars(select(Person).where(Person.email == "aino@example.com")).one()
        assert aino.supervisor is not None and aino.supervisor.email == "sanna@example.com"
        assert aino.locale == "fi" and str(aino.employment_start) == "2027-01-02"
        assert session.scalars(select(Person.is_hr).where(Person.name == "Helena Niemi")).one()
        audited = session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "person.import.created")
        )
        assert audited == 3
    assert _import(database_url, tmp_path, "people", content) == 0
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    changed = content.replace(b"Aino Virtanen", b"Aino V.")
    assert _import(database_url, tmp_path, "people", changed) == 0
    assert "0 created, 1 updated, 2 unchanged" in capsys.readouterr().out
    assert _people(factory) == 3


def test_a_broken_people_file_is_reported_row_by_row_and_nothing_is_written(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    content = HEADER + (
        "ok@example.com,Ok Person,en,,,,,\n"
        "not-an-email,Bad Email,en,,,,,\n"
        "boss@example.com,Boss,en,Europe/Nowhere,,,,\n"
        "ok@example.com,Duplicate,en,,,,,\n"
        "x@example.com,X,sv,,ghost@example.com,2027-13-01,,maybe\n"
        "short@example.com,Short\n"
    )
    assert _import(database_url, tmp_path, "people", content) == 1
    err = capsys.readouterr().err
    assert "line 3: 'not-an-email' is not an email address" in err
    assert "line 4: unknown timezone 'Europe/Nowhere'" in err
    assert "line 5: ok@example.com is a duplicate of line 2" in err
    assert "line 6: locale 'sv' is not one of en, fi" in err and "2027-13-01" in err
    assert "hr 'maybe' is not yes or no" in err
    assert "line 7: 2 fields, expected 8" in err
    assert "5 of 6 rows are invalid: nothing was imported" in err
    assert _people(factory) == 0
    ghost = HEADER + "y@example.com,Y,en,,ghost@example.com,,,\n"
    assert _import(database_url, tmp_path, "people", ghost) == 1
    assert "line 2: unknown supervisor ghost@example.com" in capsys.readouterr().err
    assert _import(database_url, tmp_path, "people", content, "--skip-invalid") == 0
    assert "1 created, 0 updated, 0 unchanged, 5 skipped as invalid" in capsys.readouterr().out
    assert _people(factory) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("mail,name\na@b.fi,A\n", "line 1: missing column(s) email; unknown column(s) mail"),
        (b"email,name\n\xff\xfe,A\n", "the file is not UTF-8"),
        ("", "the file is empty"),
    ],
)
def test_a_people_file_with_wrong_columns_or_encoding_is_refused(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | bytes,
    message: str,
) -> None:
    assert _import(database_url, tmp_path, "people", content) == 1
    assert message in capsys.readouterr().err


def test_pairs_import_validates_then_pairs_idempotently(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    people = HEADER + "".join(f"p{i}@example.com,Person {i},en,,,,,\n" for i in range(5))
    assert _import(database_url, tmp_path, "people", people) == 0
    assert cli.main(["--database-url", database_url, "programme", "create", "Pilot"]) == 0
    bad = (
        "programme,mentor_email,actor_email\n"
        "Pilot,p0@example.com,p1@example.com\n"
        "Nope,p0@example.com,p2@example.com\n"
        "Pilot,p3@example.com,p3@example.com\n"
        "Pilot,p4@example.com,p1@example.com\n"
        "Pilot,ghost@example.com,p2@example.com\n"
    )
    assert _import(database_url, tmp_path, "pairs", bad) == 1
    err = capsys.readouterr().err
    assert "line 3: unknown programme 'Nope'" in err
    assert "line 4: a person cannot mentor themselves" in err
    assert "line 5: actor p1@example.com is a duplicate of line 2" in err
    assert "line 6: unknown person ghost@example.com (mentor_email)" in err
    with factory() as session:
        assert session.scalar(select(func.count(Mentorship.id))) == 0
    good = "programme;mentor_email;actor_email\npilot;p0@example.com;p1@example.com\n"
    (tmp_path / "pairs-only.csv").write_text(good, "utf-8")  # the kind told by the header
    assert (
        cli.main(["--database-url", database_url, "import", str(tmp_path / "pairs-only.csv")]) == 0
    )
    assert "pairs: 1 created" in capsys.readouterr().out
    assert _import(database_url, tmp_path, "pairs", good) == 0
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    other = "programme,mentor_email,actor_email\nPilot,p4@example.com,p1@example.com\n"
    assert _import(database_url, tmp_path, "pairs", other) == 1
    assert "already has another active mentor" in capsys.readouterr().err
    with factory() as session:
        assert session.scalar(select(func.count(Mentorship.id))) == 1


def test_ten_thousand_people_import_in_one_go_with_a_progress_bar(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [HEADER, "boss@example.com,The Boss,en,,,,,\n"]
    rows += [
        f"person{i}@example.com,Person {i},fi,Europe/Helsinki,boss@example.com,2027-01-01,,no\n"
        for i in range(9_999)
    ]
    started = time.perf_counter()
    assert _import(database_url, tmp_path, "people", "".join(rows)) == 0
    elapsed = time.perf_counter() - started
    captured = capsys.readouterr()
    assert "10000 created" in captured.out
    assert "10000/10000" in captured.err and "[####" in captured.err
    assert _people(factory) == 10_000
    assert elapsed < 120, elapsed
    started = time.perf_counter()
    assert _import(database_url, tmp_path, "people", "".join(rows)) == 0
    assert "10000 unchanged" in capsys.readouterr().out
