"""The HR scenario (``bot/scenarios/hr_en.txt``) played through Teams activities over HTTP:
HR and the supervisor do their whole part in Teams, and the database ends as the console
leaves it. In Teams the script's ``channel #mentoring`` is the app added to the team
*mentoring*, so the channel is called *mentoring › General* there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from tests.hr.scenario import KEY_REPLIES, hr_summary, play_console, steps
from tests.teams.driver import TeamsDriver

TIMEZONE = "Europe/Helsinki"
CONSOLE_CHANNEL, TEAMS_CHANNEL = "#mentoring", "mentoring › General"


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    driver = TeamsDriver(factory, clock, sweeps=True)  # the scenario needs the clock's sweeps
    yield driver
    driver.close()


def test_hr_scenario_through_teams_http_matches_the_console(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    assert clock.now() == demo.DEMO_START
    demo.seed_people(factory, clock.now(), "en")
    teams.install_everyone()

    run(teams, parse(steps(), TIMEZONE), echo=True)

    ours, console = hr_summary(factory), play_console()
    assert ours.pop("channels") == [(TEAMS_CHANNEL, True)]
    assert console.pop("channels") == [(CONSOLE_CHANNEL, True)]
    assert ours == console
    seen = "\n".join(teams.texts_seen(email) for email in teams.users)
    seen = seen.replace("\ue000", "").replace("\ue001", "").replace("**", "*")  # card markdown
    for reply in KEY_REPLIES:
        assert reply.replace(CONSOLE_CHANNEL, TEAMS_CHANNEL) in seen, reply
    assert "Something went wrong" not in seen
    # the team's channel got HR's announcement and nothing else
    posts = teams.channel_posts("mentoring")
    assert len(posts) == 1 and "autumn round" in str(posts[0])
