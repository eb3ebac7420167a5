"""The shared six-month lifecycle scenario, played through Teams activities over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from storage.models import Outbox, OutboxStatus, PlatformIdentity
from tests.lifecycle import play_console, summary
from tests.teams.driver import TeamsDriver

TIMEZONE = "Europe/Helsinki"


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    driver = TeamsDriver(factory, clock, sweeps=True)  # nudges arrive as in the console
    yield driver
    driver.close()


def test_teams_plays_the_whole_lifecycle_scenario_over_http(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    demo.seed(factory, clock.now(), "en")
    teams.install_everyone()
    steps = parse(demo.scenario("en"), TIMEZONE)

    run(teams, steps, echo=True)

    with factory() as session:
        identities = session.scalars(select(PlatformIdentity)).all()
        outbox = session.scalars(select(Outbox)).all()
    assert {i.platform for i in identities} == {"teams"}
    assert all("conversation_reference" in i.address for i in identities)
    assert outbox and all(row.status == OutboxStatus.SENT for row in outbox)
    assert summary(factory) == play_console()  # the same relationship as the console
    assert "Something went wrong" not in "\n".join(teams.texts_seen(email) for email in teams.users)
    # the relationship ended clearly, and everyone heard it in Teams
    aino, mikko, sanna = (teams.texts_seen(f"{n}@demo.example") for n in ("aino", "mikko", "sanna"))
    assert "is now complete" in aino and "is now complete" in mikko
    assert "Phase: closed" in sanna and "Meetings: 10 of 12 meetings held" in sanna
    # the note Aino shared reached Mikko; her supervisor never sees it or her reflections
    assert "honest about being nervous" in mikko
    assert "nervous" not in sanna and "confident in front of the team" not in sanna
