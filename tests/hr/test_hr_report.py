"""The programme results report (point 8): numbers, small-group suppression (privacy rule 3),
CSV, a self-contained HTML file that headless Chromium renders with its charts, and the chat
summary for HR."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from conversations.report_page import render_html
from conversations.results import MIN_GROUP, programme_results, render_csv
from storage.db import transaction
from storage.models import AuditLog, Invitation, Mentorship, Person, Phase, Programme
from tests.chat import HR, Chat, onboard
from tests.hr.seed_results import SECRET_COMMENT, SECRET_NOTE, SECRET_REFLECTION, seed_programme

SECRETS = (SECRET_NOTE, SECRET_REFLECTION, SECRET_COMMENT)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _results(factory: sessionmaker[Session], chat: Chat, name: str, pairs: int):  # type: ignore[no-untyped-def]
    now = chat.console.clock.now()
    with transaction(factory) as session:
        programme = seed_programme(session, now, name, pairs)
        return programme_results(session, programme, now)


def _csv(text: str) -> dict[tuple[str, str], str]:
    return {(r["section"], r["metric"]): r["value"] for r in csv.DictReader(io.StringIO(text))}


def test_the_report_counts_participants_pairs_meetings_tasks_goals_and_ratings(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    r = _results(factory, chat, "Big", 6)
    assert r.participants == {"people": 12, "mentors": 6, "actors": 6, "supervisors": 0}
    assert r.pairs_by_phase["closed"] == 4 and r.pairs_by_phase["development"] == 2
    assert r.meetings["held"] == 35 and r.meetings["missed"] == 1
    assert r.tasks == {"open": 6, "done": 6, "dropped": 0}
    # answers count in released batches of 5 people: 10 of the 12 evaluations (no differencing)
    assert r.goals["achieved"] == 2 and r.goals["partly"] == 3
    assert r.goals["evaluated_pending"] == 1
    assert r.interim_relationship.people == 10 and r.interim_relationship.average == 4.4
    assert r.final_usefulness.distribution == {1: 0, 2: 0, 3: 0, 4: 4, 5: 6}
    assert r.continuation == {"continue_informally": 6, "close": 4}
    assert r.free_text == {"check_in_notes": 72, "reflections": 6, "evaluation_comments": 12}
    rows = _csv(render_csv(r))
    assert rows[("interim_relationship_rating", "average")] == "4.4"
    assert rows[("meetings", "held")] == "35"
    assert not any(s in render_csv(r) for s in SECRETS)


def test_invitation_uptake_is_counted_for_the_organisation_and_per_programme(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    today = now.date()
    with transaction(factory) as session:
        north = seed_programme(session, now, "North", 1)
        south = seed_programme(session, now, "South", 1)
        mentor = session.scalars(select(Person).where(Person.email == "m0@North.fi")).one()

        def newcomer(name: str, answer: str | None, started_days_ago: int = 30) -> Person:
            person = Person(
                email=f"{name}@example.fi",
                name=name,
                employment_start=today - timedelta(days=started_days_ago),
                created_at=now,
            )
            session.add(person)
            session.flush()
            session.add(
                Invitation(
                    person_id=person.id, reason="new_employee", invited_at=now, answer=answer
                )
            )
            return person

        paired = newcomer("Paired", "yes")
        newcomer("Waiting", "yes")
        newcomer("Declined", "no")
        newcomer("Longago", None, started_days_ago=400)  # invited once, no longer eligible
        session.add(
            Mentorship(
                programme=north,
                mentor=mentor,
                actor=paired,
                phase=Phase.START,
                created_at=now,
            )
        )
        session.flush()
        in_north = programme_results(session, north, now).eligibility
        in_south = programme_results(session, south, now).eligibility
    organisation = {"eligible": 3, "invited": 4, "opted_in": 2, "opted_in_waiting": 1}
    assert in_north == {**organisation, "joined_programme": 1}
    assert in_south == {**organisation, "joined_programme": 0}


def test_ratings_continuation_and_free_text_counts_are_suppressed_below_five_people(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    r = _results(factory, chat, "Small", 2)  # 4 people
    assert MIN_GROUP == 5
    for ratings in (r.interim_relationship, r.final_usefulness, r.checkin_rapport):
        assert ratings.suppressed and ratings.distribution is None
    assert r.continuation is None and r.free_text is None
    assert r.meetings["held"] == 11  # operational counts are still shown
    rows = _csv(render_csv(r))
    assert rows[("interim_relationship_rating", "average")] == "suppressed (< 5 people)"
    assert rows[("free_text", "counts")] == "suppressed (< 5 people)"
    html = render_html(r)
    assert "Not shown: fewer than 5 people have answered." in html
    assert "Average" not in html


def test_hr_asks_for_the_report_in_chat_and_it_is_audited(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _results(factory, chat, "Big", 6)
    onboard(chat, [HR])
    chat.say(HR, "report")
    assert "Which programme?" in chat.last(HR)
    chat.click(HR, "Big")
    seen = chat.last(HR)
    assert "*Results of Big*" in seen and "6 mentors, 6 actors" in seen
    assert "35 held, 1 missed" in seen and "average 4.4 / 5" in seen  # released batches only
    chat.say(HR, "report pilot")
    assert "*Results of Pilot*" in chat.last(HR)
    assert "only when at least 5 people" in chat.last(HR)
    with factory() as session:
        views = session.scalars(select(AuditLog).where(AuditLog.action == "report.view")).all()
        assert [v.detail["programme"] for v in views] == ["Big", "Pilot"]


def test_the_cli_writes_the_html_and_csv_report(
    chat: Chat, factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    _results(factory, chat, "Big", 6)
    html, table = tmp_path / "report.html", tmp_path / "report.csv"
    code = cli.main(
        [
            "--database-url",
            database_url,
            "report",
            "--programme",
            "Big",
            "--html",
            str(html),
            "--csv",
            str(table),
        ]
    )
    assert code == 0
    assert html.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert _csv(table.read_text("utf-8"))[("programme", "name")] == "Big"
    assert (
        cli.main(
            ["--database-url", database_url, "report", "--programme", "Nope", "--csv", str(table)]
        )
        == 1
    )


def test_the_html_report_renders_its_charts_in_headless_chromium(
    chat: Chat, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    r = _results(factory, chat, "Big", 6)
    with factory() as session:
        assert session.scalars(select(Programme.name).where(Programme.name == "Big")).one()
    page = tmp_path / "report.html"
    html = render_html(r)
    page.write_text(html, "utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "the report must be self-contained"
    assert not any(s in html for s in SECRETS)
    profile = tmp_path / "profile"
    dom = subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") >= 9  # 5 overview charts + 4 rating charts + plans
    assert dom.stdout.count("<rect") >= 30
    assert "Mentoring results — Big" in dom.stdout
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1200,2200",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and shot.stat().st_size > 20_000, done.stderr[-2000:]
