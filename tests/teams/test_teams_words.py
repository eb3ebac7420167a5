"""The words a Teams user reads are true on Teams: the calendar is offered as a feed link (not
"the calendar file below"), and the engine's line breaks stay line breaks in card markdown."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from tests.slack.test_slack_truthful import AINO, START
from tests.teams.driver import TeamsDriver, cards_of, walk

LIST_ITEM = re.compile(r"^\s*(?:[-+*]|\d+\.)\s")


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock, sweeps=True)
    driver.install_everyone()
    yield driver
    driver.close()


def text_blocks(driver: TeamsDriver, email: str) -> list[str]:
    return [
        node["text"]
        for posted in driver.seen(email)
        for card in cards_of(posted)
        for node in walk(card)
        if node.get("type") == "TextBlock"
    ]


def test_a_booking_on_teams_offers_the_calendar_feed_and_never_a_file_below(
    teams: TeamsDriver,
) -> None:
    run(teams, parse(START.splitlines(), "Europe/Helsinki"), echo=False)
    seen = "\n".join(text_blocks(teams, AINO))
    assert "You booked the meetings" in seen
    assert "calendar file" not in seen
    assert "Your calendar feed: subscribe to it once" in seen
    buttons = [
        node.get("title")
        for posted in teams.seen(AINO)
        for card in cards_of(posted)
        for node in walk(card)
        if node.get("type") == "Action.OpenUrl"
    ]
    assert "Open the calendar feed" in buttons


def test_every_single_line_break_on_teams_is_a_paragraph_or_joins_list_items(
    teams: TeamsDriver,
) -> None:
    run(teams, parse(START.splitlines(), "Europe/Helsinki"), echo=False)
    run(teams, parse(["time 2027-01-18 10:00"], "Europe/Helsinki"), echo=False)
    blocks = text_blocks(teams, AINO)
    assert any("A suggested course for the meeting:\n\n1. Getting to know" in b for b in blocks)
    for block in blocks:
        lines = block.split("\n")
        for before, line in itertools.pairwise(lines):
            if before and line:  # a single newline: only between the items of a list
                assert LIST_ITEM.match(before) and LIST_ITEM.match(line), block
