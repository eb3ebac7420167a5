"""The programme results report (point 8): numbers, small-group suppression (privacy rule 3),
CSV, a self-contained HTML file that headless Chromium renders with its charts, and the chat
summary for HR."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from bot.settings import get_settings
from conversations.report_page import render_html
from conversations.report_pairs import PairRow, pair_rows
from conversations.results import MIN_GROUP, programme_results, render_csv
from storage.db import transaction
from storage.models import (
    Alert,
    AuditLog,
    Evaluation,
    Invitation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Programme,
)
from storage.queries import programme_by_name
from tests.chat import HR, Chat, onboard
from tests.hr.seed_results import SECRET_COMMENT, SECRET_NOTE, SECRET_REFLECTION, seed_programme

SECRETS = (SECRET_NOTE, SECRET_REFLECTION, SECRET_COMMENT)
A4_WIDTH = 794  # 210 mm at 96 px per inch
A4_PRINTABLE = 703  # 186 mm: A4 less the report's 12 mm page margins
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
    # the console has no web process: no link, but where the full report comes from
    assert "/report/" not in seen and "*mentorbot serve*" in seen
    chat.say(HR, "report pilot")
    assert "*Results of Pilot*" in chat.last(HR)
    assert "only when at least 5 people" in chat.last(HR)
    with factory() as session:
        views = session.scalars(select(AuditLog).where(AuditLog.action == "report.view")).all()
        assert [v.detail for v in views] == [
            {"programme": "Big", "link": False},
            {"programme": "Pilot", "link": False},
        ]


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


def test_the_cli_report_takes_now_from_the_application_clock_so_past_meetings_are_past(
    chat: Chat,
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = chat.console.clock.now()  # January 2027: the seeded meetings lie in the future
    with transaction(factory) as session:
        programme = seed_programme(session, now, "Big", 6)
        _livelier(session, programme, now)  # one meeting 3 days before, one 11 days after
    html, table = tmp_path / "report.html", tmp_path / "report.csv"
    base = ["--database-url", database_url, "report", "--programme", "Big"]

    def overdue(*args: str) -> str:
        assert cli.main([*base, "--html", str(html), "--csv", str(table), *args]) == 0
        return _csv(table.read_text("utf-8"))[("meetings", "overdue_unrecorded")]

    assert overdue("--now", "2027-01-11 09:00") == "1"
    assert "Generated Mon 11 Jan 2027, 09:00" in html.read_text("utf-8")
    assert overdue("--now", "2027-01-23 09:00") == "2"  # the next one has passed too
    clock_file = tmp_path / "now.txt"
    clock_file.write_text("2027-01-23T07:00:00+00:00", "utf-8")
    monkeypatch.setenv("MENTORBOT_CLOCK_FILE", str(clock_file))
    get_settings.cache_clear()  # the settings are read once per process
    try:
        assert overdue() == "2"
    finally:
        monkeypatch.delenv("MENTORBOT_CLOCK_FILE")
        get_settings.cache_clear()
    page = html.read_text("utf-8")
    assert "<b>2</b><span>past meetings not recorded</span>" in page
    assert "2 not recorded" in page  # the pair's row
    assert cli.main([*base, "--csv", str(table), "--now", "tomorrow"]) == 1


@pytest.mark.postgres
def test_the_pairs_table_shows_progress_with_the_pairs_needing_a_look_first(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    with transaction(factory) as session:
        programme = seed_programme(session, now, "Big", 6)
        _livelier(session, programme, now)
        closed = session.scalars(
            select(Mentorship).where(Mentorship.phase == Phase.CLOSED).order_by(Mentorship.id)
        ).first()
        assert closed is not None
        final = session.scalars(
            select(Evaluation).where(
                Evaluation.mentorship_id == closed.id, Evaluation.kind == "final"
            )
        ).first()
        assert final is not None
        final.continuation = "new_goals"  # one partner asks HR for a new round
        rows = pair_rows(session, programme.id, now)
    first, second = rows[0], rows[1]
    # the running pair with an alert and an unrecorded meeting, then the new-round request
    assert (first.phase, first.open_alerts, first.overdue) == ("development", 1, 1)
    assert (first.held, first.planned) == (5, 11)  # progress.total_meetings: 8 booked + 3 ahead
    assert first.next_meeting == now + timedelta(days=11) and first.week == 26
    assert (first.tasks_open, first.tasks_done, first.interim, first.final) == (
        1,
        1,
        "done",
        "done",
    )
    assert second.phase == "closed" and second.new_round and second.needs_attention
    assert [r.needs_attention for r in rows] == [True, True, False, False, False, False]
    assert sum(r.new_round for r in rows) == 1 and rows[-1].week is None  # closed: no week


def _livelier(session: Session, programme: Programme, now: datetime) -> None:
    """A pair still running, with an open alert, a past meeting nobody recorded and one ahead,
    so the pairs table has every kind of cell."""
    m = session.scalars(
        select(Mentorship).where(
            Mentorship.programme_id == programme.id, Mentorship.phase == Phase.DEVELOPMENT
        )
    ).first()
    assert m is not None
    m.planned_end = (now + timedelta(days=60)).date()
    for seq, days in ((7, -3), (8, 11)):
        session.add(
            Meeting(
                mentorship=m,
                seq=seq,
                uid=f"live-{seq}",
                scheduled_at=now + timedelta(days=days),
                status=MeetingStatus.PLANNED,
            )
        )
    session.add(
        Alert(
            key=f"low_rapport:{m.id}",
            signal="low_rapport",
            severity="digest",
            programme_id=programme.id,
            mentorship_id=m.id,
            raised_at=now,
        )
    )
    session.flush()


def _pairs(factory: sessionmaker[Session], name: str, now: datetime) -> list[PairRow]:
    with factory() as session:
        programme = programme_by_name(session, name)
        assert programme is not None
        return pair_rows(session, programme.id, now)


def _report_page(factory: sessionmaker[Session], chat: Chat, locale: str = "en") -> str:
    now = chat.console.clock.now()
    with transaction(factory) as session:
        programme = seed_programme(session, now, "Big", 6)
        _livelier(session, programme, now)
        results = programme_results(session, programme, now)
        return render_html(
            results, locale, pairs=pair_rows(session, programme.id, now), prepared_for="Helena"
        )


MEASURE = """<pre id="metrics"></pre><script>
(() => {
  const de = document.documentElement;
  const over = (e) => [e.tagName + "." + e.className, e.scrollWidth, e.clientWidth];
  const charts = [...document.querySelectorAll("svg.chart")].map((s) => {
    const box = s.getBoundingClientRect(), parent = s.parentElement.getBoundingClientRect();
    return [box.width, box.height, s.querySelectorAll("rect").length, box.right - parent.right];
  });
  const containers = [...document.querySelectorAll("table, .chart-box, .timeline-box, section")];
  document.getElementById("metrics").textContent = JSON.stringify({
    document: [de.scrollWidth, de.clientWidth],
    charts,
    containers: containers.map(over),
  });
})();
</script>"""


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _metrics(profile: Path, page: Path, width: int) -> dict[str, Any]:
    done = _chromium(profile, f"--window-size={width},1400", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="metrics">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1), "the measuring script did not run"
    return dict(json.loads(unescape(found.group(1))))


def test_the_html_report_renders_its_charts_in_headless_chromium_at_desktop_and_a4_width(
    chat: Chat, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    html = _report_page(factory, chat)
    results = _results(factory, chat, "Toinen", 6)
    pairs = _pairs(factory, "Toinen", chat.console.clock.now())
    finnish = render_html(results, "fi", pairs=pairs)
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "the report must be self-contained"
    assert "<script" not in html and not any(s in html for s in SECRETS)
    # the CSV's overdue_unrecorded, in the page: a card, and the pair's row
    assert "<b>1</b><span>past meeting not recorded</span>" in html and "1 not recorded" in html
    profile = tmp_path / "profile"
    # the print rules as the printer applies them, on the A4 page inside its 12 mm margins
    assert "@media print" in html and "break-inside: avoid" in html
    printed = html.replace("@media print", "@media all")
    for locale, text, width in (
        ("en", html, 1280),
        ("en", html, A4_WIDTH),
        ("fi", finnish, A4_WIDTH),
        ("print", printed, A4_PRINTABLE),
    ):
        measured = tmp_path / f"measured-{locale}.html"
        measured.write_text(text.replace("</body>", MEASURE + "</body>"), "utf-8")
        m = _metrics(profile, measured, width)
        doc_scroll, doc_client = m["document"]
        assert doc_client == width and doc_scroll <= doc_client, (width, m["document"])
        # 6 overview charts + the timeline + 4 rating charts (10 people), each drawn and whole
        assert len(m["charts"]) == 11, m["charts"]
        for chart_w, chart_h, rects, past_parent in m["charts"]:
            assert chart_w > 200 and chart_h > 40 and rects >= 1, (width, m["charts"])
            assert past_parent <= 0.5, (width, m["charts"])
        wide = [c for c in m["containers"] if c[1] > c[2] + 1]
        assert wide == [], (width, wide)
    page = tmp_path / "report.html"
    page.write_text(html, "utf-8")
    for width, height in ((1280, 2600), (A4_WIDTH, 3400)):
        shot = tmp_path / f"report-{width}.png"
        done = _chromium(profile, f"--screenshot={shot}", f"--window-size={width},{height}",
                         page.as_uri())  # fmt: skip
        assert done.returncode == 0 and shot.stat().st_size > 40_000, done.stderr[-2000:]
        assert _png_size(shot) == (width, height)
    pdf = tmp_path / "report.pdf"
    done = _chromium(profile, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert done.returncode == 0 and pdf.read_bytes().startswith(b"%PDF"), done.stderr[-2000:]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
