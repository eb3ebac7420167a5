"""The matching scenario (``tests/matching/scenario_en.txt``) played in the console, through
Slack over signed HTTP and through Teams activities: the same pairs, proposals and answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session
from conversations.clock import SettableClock
from storage.matching import MatchProposal
from storage.models import Mentorship
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import SlackWorld
from tests.teams.driver import TeamsDriver

SCRIPT = (Path(__file__).parent / "scenario_en.txt").read_text("utf-8")
KEY_REPLIES = [
    "Matching of *Spring 2027* is open: HR reviews the suggestions. 4 people were asked",
    "Mikko Laine → Aino Virtanen",
    "Mikko offers leadership and planning, which Aino wants",
    "I'd like to propose Mikko Laine as your mentor in *Spring 2027*",
    "Wonderful: you and Aino Virtanen are now a mentoring pair.",
    "another match is being looked for",
    "Mikko Laine → Leo Järvinen",
]


def summary(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory() as session:
        pairs = sorted(
            (m.mentor.email or "", m.actor.email or "", m.phase)
            for m in session.scalars(select(Mentorship))
        )
        proposals = sorted(
            (p.mentor.email or "", p.actor.email or "", p.status, p.mentor_answer, p.actor_answer)
            for p in session.scalars(select(MatchProposal))
        )
        goals = sorted(g.title for m in session.scalars(select(Mentorship)) for g in m.goals)
    return {"pairs": pairs, "proposals": proposals, "goals": goals}


EXPECTED = {
    "pairs": [
        ("mikko@demo.example", "aino@demo.example", "start"),
        ("mikko@demo.example", "leo@demo.example", "start"),
    ],
    "proposals": [
        ("mikko@demo.example", "aino@demo.example", "accepted", "yes", "yes"),
        ("mikko@demo.example", "leo@demo.example", "accepted", "yes", "yes"),
        ("ville@demo.example", "leo@demo.example", "declined", None, "no"),
    ],
    "goals": ["Lead our team's weekly planning"],
}


def _unmarked(text: str) -> str:
    return text.replace("\ue000", "").replace("\ue001", "").replace("**", "*")


def test_matching_scenario_in_the_console(factory: sessionmaker[Session]) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    lines: list[str] = []
    console = console_session(factory, demo.DEMO_START, out=lines.append)
    run(console, parse(SCRIPT.splitlines(), "Europe/Helsinki"), echo=False)
    assert summary(factory) == EXPECTED
    seen = _unmarked("\n".join(lines))
    for reply in KEY_REPLIES:
        assert reply in seen, reply
    assert "Ville" not in _unmarked(
        "\n".join(s.message.plain_text() for s in console.shown.get("leo@demo.example", [])[-3:])
    )


def test_matching_scenario_through_slack_http(factory: sessionmaker[Session]) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    people = {
        email: SlackPerson(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _supervisor in demo.HR_PEOPLE
    }
    with SlackWorld(factory, clock) as world:
        for p in people.values():
            world.api.add_user(p.user_id, p.email, p.name)
        driver = SlackDriver(world, people)
        run(driver, parse(SCRIPT.splitlines(), "Europe/Helsinki"))
        seen = _unmarked("\n".join(t for email in people for t in driver.texts_to(email)))
        assert not driver.last_errors
    assert summary(factory) == EXPECTED
    for reply in KEY_REPLIES:
        assert reply in seen, reply


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    driver = TeamsDriver(factory, clock, sweeps=True)
    yield driver
    driver.close()


def test_matching_scenario_through_teams_http(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    clock.set(demo.DEMO_START)
    demo.seed_people(factory, clock.now(), "en")
    teams.install_everyone()
    run(teams, parse(SCRIPT.splitlines(), "Europe/Helsinki"), echo=False)
    assert summary(factory) == EXPECTED
    seen = _unmarked("\n".join(teams.texts_seen(email) for email in teams.users))
    for reply in KEY_REPLIES:
        assert reply in seen, reply
    assert "Something went wrong" not in seen
