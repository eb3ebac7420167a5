"""Privacy rules 1–5 as a role × data-kind matrix: every person runs every command (HR
commands included, following the buttons they offer), HR also produces the report files, and
each kind of data must be visible exactly to the roles the design allows."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from conversations.outbox import insert_ignoring_duplicates
from conversations.results import programme_results, render_csv, render_html
from conversations.sweep.alerts import raise_alerts
from storage.db import transaction
from storage.queries import programme_by_name
from tests.chat import ACTOR, HR, MENTOR, OTHER_ACTOR, OTHER_MENTOR, PROGRAMME, SUPERVISOR, Chat
from tests.test_privacy_roles import (
    EVERYONE,
    PRIVATE,
    SHARED_BY_ACTOR,
    _every_command,
    _play_a_relationship_with_private_content,
)

FOLLOW = ("hr.report", "pick", "goals.edit")
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
        "pair overview: progress": ("what needs attention first",),
        "pair overview: tasks and evaluations given": ("evaluations: interim",),
        "pair history": ("History of Aino Virtanen's mentoring",),
        "follow-up queue": ("open item (", "New in your follow-up queue"),
    }[kind]


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
    seen = {email: chat.everything_seen_by(email) for email in EVERYONE}
    seen[f"{HR} (report files)"] = report

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
    for email in (ACTOR, MENTOR, SUPERVISOR, OTHER_ACTOR, OTHER_MENTOR):
        assert "Only the programme's HR coordinators can do that." in seen[email]
