"""Privacy rules 1–5 as a role × data-kind matrix: every person runs every command (HR
commands included, following the buttons they offer), HR also produces the report files and
opens the report behind their signed link on the web app ``mentorbot serve`` runs, and each
kind of data must be visible exactly to the roles the design allows."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.web import create_app
from conversations.clock import Clock
from conversations.outbox import insert_ignoring_duplicates
from conversations.report_link import make_link
from conversations.report_page import render_html
from conversations.results import programme_results, render_csv
from conversations.sweep.alerts import raise_alerts
from storage.db import transaction
from storage.queries import person_by_email, programme_by_name
from tests.chat import ACTOR, HR, MENTOR, OTHER_ACTOR, OTHER_MENTOR, PROGRAMME, SUPERVISOR, Chat
from tests.test_privacy_roles import (
    EVERYONE,
    PRIVATE,
    SHARED_BY_ACTOR,
    _every_command,
    _play_a_relationship_with_private_content,
    seen_by,
)

FOLLOW = ("hr.report", "pick", "goals.edit")
SERVED = f"{HR} (served report)"
SECRET = "privacy-matrix-report-secret"
GOAL_TITLE = "Lead the weekly planning"  # the actor did not share goals with the supervisor

# data kind → who may see it (design.md, privacy rules 1–4)
MATRIX: dict[str, set[str]] = {
    "actor's note, reflection, interim comment": {ACTOR},
    "mentor's note and reflection": {MENTOR},
    "reflection shared by the actor": {ACTOR, MENTOR},
    "goal titles not shared with the supervisor": {ACTOR, MENTOR},
    "early-warning signal": {HR},
    "pairs by phase": {HR},
    "results summary": {HR},
    "report average rating (group < 5)": set(),
    "pairs progress table": {SERVED},  # the positive control: the page really was served
    "pair overview: progress": {HR, SUPERVISOR},
    "pair overview: tasks and evaluations given": {HR},
    "pair history": {HR},
    "follow-up queue": {HR},
}


def _marks(kind: str) -> tuple[str, ...]:
    return {
        "actor's note, reflection, interim comment": PRIVATE[ACTOR],
        "mentor's note and reflection": PRIVATE[MENTOR],
        "reflection shared by the actor": (SHARED_BY_ACTOR,),
        "goal titles not shared with the supervisor": (GOAL_TITLE,),
        "early-warning signal": ("not getting on well",),
        "pairs by phase": ("mentoring pairs* — by phase",),
        "results summary": ("*Results of Pilot*",),
        "report average rating (group < 5)": ("average 1", "average 2", "Average 1"),
        "pairs progress table": ('<table class="pairs">',),
        "pair overview: progress": ("what needs attention first",),
        "pair overview: tasks and evaluations given": ("evaluations: interim",),
        "pair history": ("History of Aino Virtanen's mentoring",),
        "follow-up queue": ("open item (", "New in your follow-up queue"),
    }[kind]


def _served_report(factory: sessionmaker[Session], clock: Clock) -> tuple[int, str]:
    """HR's report as the web app serves it behind a fresh signed link."""
    with factory() as session:
        programme, hr = programme_by_name(session, PROGRAMME), person_by_email(session, HR)
        assert programme is not None and hr is not None
        path = make_link(SECRET.encode(), programme.id, hr.id, clock.now())
    app = create_app(Settings(MENTORBOT_REPORT_SECRET=SECRET), factory, clock)  # type: ignore[call-arg]

    async def fetch() -> tuple[int, str]:
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path)
            return response.status, await response.text()

    return asyncio.run(fetch())


def test_every_role_sees_each_kind_of_data_only_as_the_privacy_rules_allow(
    chat: Chat, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    chat.say(MENTOR, "support")  # a follow-up in HR's queue, so that the queue is not empty
    chat.click(MENTOR, "A mentor workshop")
    now = chat.console.clock.now()
    with transaction(factory) as session:
        insert_ignoring_duplicates(session, raise_alerts(session, now))
    chat.console.advance(timedelta(minutes=5))
    for email in EVERYONE:
        _every_command(chat, email)
        for button in chat.console.last_buttons(email):
            if button.action_id in FOLLOW:
                chat.press(email, button.action_id, button.value)
    for email in EVERYONE:  # every pair opened, and its history, as far as each may
        chat.say(email, "pairs")
        for opened in [
            b for b in chat.console.last_buttons(email) if b.action_id == "hr.pair_open"
        ]:
            chat.press(email, opened.action_id, opened.value)
            chat.click(email, "History")
    with factory() as session:
        programme = programme_by_name(session, PROGRAMME)
        assert programme is not None
        results = programme_results(session, programme, chat.console.clock.now())
    report = render_html(results) + render_csv(results)
    assert PROGRAMME in report, "positive control: the report files read are the programme's"
    seen = {email: seen_by(chat, email) for email in EVERYONE}  # each with a positive control
    seen[f"{HR} (report files)"] = report
    status, served = _served_report(factory, chat.console.clock)
    assert status == 200
    seen[SERVED] = served

    violations = []
    for kind, allowed in MATRIX.items():
        for viewer, text in seen.items():
            may = viewer in allowed  # the report files may show none of these
            visible = any(mark in text for mark in _marks(kind))
            if visible and not may:
                violations.append(f"{viewer} sees {kind}")
            if viewer in allowed and not visible:
                violations.append(f"{viewer} should see {kind}")
    assert violations == []
    # rule 4: the alert names the signal, never who gave the low rating, never a number
    hr_alerts = [
        re.sub(  # the digest counts open alerts per signal; a pair's history dates them
            r" \(\d+\)$", "", re.sub(r"^\s*\w+ \d+ \w+ \d{4} — ", "", line)
        )
        for line in seen[HR].splitlines()
        if "not getting on well" in line
    ]
    assert hr_alerts and all("Aino" not in line and "1" not in line for line in hr_alerts)
    # the overview and the queue: how many evaluations were given, never an answer or a rating
    overview = [line for line in seen[HR].splitlines() if "evaluations: interim" in line]
    assert overview and all("interim 1/2" in line for line in overview if "Aino" in line)
    queue = [line for line in seen[HR].splitlines() if "asks for a mentor workshop" in line]
    assert queue
    for line in overview + queue:
        for word in ("useful", "rapport", "average", "too often", "realistic", "/5", "rating"):
            assert word not in line.lower(), line
    # rule 3: with 4 people, ratings and free-text counts are suppressed in the report files
    assert "suppressed (< 5 people)" in report and "Not shown: fewer than 5" in report
    # the served report names the pair and its progress, and no rating anyone gave: the one
    # low rating raised an alert, which the row counts without saying who or how low
    row = re.search(r"<tr[^>]*>\s*<td>Mikko Laine<span class=\"sub\">Aino Virtanen</span>.*?</tr>",
                    served, re.S)  # fmt: skip
    assert row is not None, served
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert len(cells) == 10 and "/ 5" not in row.group(0)
    assert not any(mark in served for marks in PRIVATE.values() for mark in marks)
    assert "Not shown: fewer than 5 people have answered." in served
    for email in (ACTOR, MENTOR, SUPERVISOR, OTHER_ACTOR, OTHER_MENTOR):
        assert "Only the programme's HR coordinators can do that." in seen[email]
