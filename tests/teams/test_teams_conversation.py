"""Teams conversations over HTTP: install, linking by email, free text, forms with errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from storage.models import Person, PlatformIdentity
from tests.teams.driver import TeamsDriver, teams_user
from testsupport.teams_connector import Fault

AINO = "aino@demo.example"


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    yield driver
    driver.close()


def test_teams_install_links_the_user_by_email_and_starts_onboarding_once(
    teams: TeamsDriver, factory: sessionmaker[Session]
) -> None:
    user = teams.install(AINO, "Aino Virtanen")

    with factory() as session:
        ident = session.scalars(
            select(PlatformIdentity).where(PlatformIdentity.platform == "teams")
        ).one()
        person = session.get(Person, ident.person_id)
    assert person is not None and person.email == AINO
    assert ident.platform_user_id == user.user_id
    reference = ident.address["conversation_reference"]
    assert reference["conversation"]["id"] == user.conversation_id
    assert reference["serviceUrl"] == teams.double.service_url
    # installationUpdate and conversationUpdate announce one install: one onboarding card
    onboarding = [p for p in teams.seen(AINO) if "English" in str(p.activity)]
    assert len(onboarding) == 1


def test_teams_free_text_commands_work_and_mention_markup_is_ignored(
    teams: TeamsDriver,
) -> None:
    teams.install(AINO, "Aino Virtanen")
    teams.click(AINO, "English")
    teams.submit(AINO, {"timezone": "Europe/Helsinki"})
    before = len(teams.seen(AINO))

    teams.say(AINO, "<at>Mentorbot</at> help")

    reply = teams.seen(AINO)[before]
    text = str(reply.activity)
    assert "didn't understand" not in text
    assert "status" in text and "goals" in text


def test_teams_invalid_form_replaces_the_card_with_errors_and_keeps_the_values(
    teams: TeamsDriver,
) -> None:
    teams.install_everyone()
    lines = demo.scenario("en")
    until = next(i for i, line in enumerate(lines) if "click Plan meetings" in line)
    run(teams, parse(lines[: until + 1], "Europe/Helsinki"), echo=False)
    form_card = teams.last_form(AINO).posted
    posts = len(teams.seen(AINO))

    teams.submit(AINO, {"date": "2027-01-13", "time": "07:30"})  # earlier today

    assert len(teams.seen(AINO)) == posts, "no new message: the card was replaced"
    assert form_card.updated == 1
    again = teams.last_form(AINO)
    assert again.posted is form_card
    values = {i["id"]: i.get("value") for i in again.inputs}
    assert values["date"] == "2027-01-13" and values["time"] == "07:30"
    assert "That time has already passed." in str(form_card.activity)

    teams.submit(AINO, {"date": "2027-01-19", "time": "14:00"})
    assert len(teams.seen(AINO)) > posts


def test_teams_unknown_user_is_told_the_bot_does_not_know_them(
    teams: TeamsDriver, factory: sessionmaker[Session]
) -> None:
    stranger = teams_user("stranger@elsewhere.example", "Stranger")
    teams.users[stranger.email] = stranger  # in Teams, but not in the programme and no roster

    teams.say(stranger.email, "hello")

    assert len(teams.seen(stranger.email)) == 1
    with factory() as session:
        assert session.scalars(select(PlatformIdentity)).all() == []


def test_teams_activities_of_one_chat_are_answered_in_arrival_order(
    teams: TeamsDriver,
) -> None:
    teams.install_everyone()
    teams.click(AINO, "English")
    teams.submit(AINO, {"timezone": "Europe/Helsinki"})
    user = teams.user(AINO)
    before = len(teams.seen(AINO))
    teams.double.plan(Fault(201, delay=0.5))  # the first reply is slow to post

    async def both() -> None:
        first = teams.activity(user, "message", text="help")
        second = teams.activity(user, "message", text="privacy")
        await asyncio.gather(teams._post(first, {}), teams._post(second, {}))

    teams.loop.run(both())

    replies = [str(p.activity) for p in teams.seen(AINO)[before:]]
    assert "Here is what you can ask me" in replies[0], "the answers to 'help' first"
    assert "What stays private" in replies[-1]
    assert not any("What stays private" in r for r in replies[:-1])
