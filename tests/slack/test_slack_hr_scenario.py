"""The HR scenario (``bot/scenarios/hr_en.txt``) played through Slack over signed HTTP: HR
and the supervisor do their whole part in Slack DMs, modals and a channel, and the database
ends as the console leaves it."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from tests.hr.scenario import KEY_REPLIES, hr_summary, play_console, steps
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import SlackWorld, channel_id_for


def slack_people() -> dict[str, SlackPerson]:
    return {
        email: SlackPerson(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _supervisor in demo.HR_PEOPLE
    }


def test_hr_scenario_through_slack_http_matches_the_console(
    factory: sessionmaker[Session],
) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    people = slack_people()
    with SlackWorld(factory, clock) as world:
        for p in people.values():
            world.api.add_user(p.user_id, p.email, p.name)
        driver = SlackDriver(world, people)
        run(driver, parse(steps(), "Europe/Helsinki"))
        api = world.api

        assert hr_summary(factory) == play_console()

        seen = (
            "\n".join(text for email in people for text in driver.texts_to(email))
            .replace("\ue000", "")
            .replace("\ue001", "")
        )
        for reply in KEY_REPLIES:
            assert reply in seen, reply
        # the channel got HR's announcement and nothing else
        channel = channel_id_for("#mentoring")
        in_channel = [
            c.args["text"] for c in api.of("chat.postMessage") if c.args["channel"] == channel
        ]
        assert len(in_channel) == 1 and "autumn round" in in_channel[0]
        assert not driver.last_errors
