"""Teams refuses a message over about 100 KB: long lists arrive as several cards, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams.cards import MAX_CARD_SIZE, render_cards, teams_size
from bot import demo
from conversations.clock import SettableClock
from conversations.messages import Message
from conversations.texts import Texts
from storage.models import LONG_TEXT_MAX, Mentorship, Person, Reflection
from tests.teams.driver import TeamsDriver, cards_of, texts_of
from tests.teams.test_teams_faults import AINO
from testsupport.teams_connector import MESSAGE_SIZE_LIMIT

REFLECTIONS = 14


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    driver.install(AINO, "Aino Virtanen")
    yield driver
    driver.close()


def long_reflection(n: int) -> str:
    """A reflection as long as the form allows, with non-ASCII text (sizes are UTF-16)."""
    head = f"Reflection number {n:02d}: "
    body = "Pohdin tämän kuun tapaamisia ja sitä, mitä opin 🙂. " * 200
    return (head + body)[:LONG_TEXT_MAX]


def test_reflections_of_a_dozen_long_entries_arrive_whole_under_the_size_limit(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    with factory() as session, session.begin():
        aino = session.scalars(select(Person).where(Person.email == AINO)).one()
        aino.onboarded_at = clock.now()
        pair = session.scalars(select(Mentorship)).one()
        for n in range(REFLECTIONS):
            session.add(
                Reflection(
                    mentorship_id=pair.id,
                    person_id=aino.id,
                    prompt_key="monthly",
                    text=long_reflection(n),
                    created_at=clock.now() - timedelta(days=REFLECTIONS - n),
                )
            )
    before = len(teams.seen(AINO))

    teams.say(AINO, "reflections")

    assert teams.double.too_big == 0
    posted = teams.seen(AINO)[before:]
    assert len(posted) > 1
    for p in posted:
        assert len(json.dumps(p.activity).encode("utf-16-le")) < MESSAGE_SIZE_LIMIT
        assert len(cards_of(p)) == 1
    text = texts_of(posted)
    positions = [text.index(f"Reflection number {n:02d}") for n in range(REFLECTIONS)]
    assert positions == sorted(positions)  # every one, in order


def test_a_short_message_stays_one_card_and_a_huge_paragraph_is_cut_under_the_limit() -> None:
    tx = Texts("en")
    assert len(render_cards(Message().text("Hello").buttons(), tx)) == 1
    huge = Message().text("word " * 40_000).text("after")
    cards = render_cards(huge, tx)
    assert len(cards) > 2
    assert all(teams_size(c) <= MAX_CARD_SIZE for c in cards)
    assert cards[-1]["body"][-1]["text"] == "after"
