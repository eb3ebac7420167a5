"""The whole six-month lifecycle scenario, played through Slack payloads over real HTTP.

The steps are ``bot/scenarios/lifecycle_en.txt`` — the very file the console demo plays —
parsed by the console's transcript runner and carried out by ``SlackDriver``: DMs, ``/mentor``
commands, button clicks and modal submissions, signed like Slack signs them, against the web
app ``mentorbot serve`` runs, with a local double of Slack's Web API. The result in the
database must equal the console's.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from storage.models import PlatformIdentity
from tests.lifecycle import SCENARIO, play_console, summary
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import SlackWorld


def slack_people() -> dict[str, SlackPerson]:
    return {
        email: SlackPerson(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _role in demo.PEOPLE
    }


def test_lifecycle_scenario_through_slack_http_matches_the_console(
    factory: sessionmaker[Session],
) -> None:
    demo.seed(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    people = slack_people()
    steps = parse(SCENARIO.read_text("utf-8").splitlines(), "Europe/Helsinki")
    with SlackWorld(factory, clock) as world:
        for p in people.values():
            world.api.add_user(p.user_id, p.email, p.name)
        driver = SlackDriver(world, people)
        run(driver, steps)
        api = world.api

        # the same relationship, step by step, as the console leaves it
        ours, console = summary(factory), play_console()
        slack_outbox, console_outbox = Counter(ours.pop("outbox")), Counter(console.pop("outbox"))
        only_slack, only_console = slack_outbox - console_outbox, console_outbox - slack_outbox
        assert (dict(only_slack), dict(only_console)) == ({}, {})
        assert ours == console

        # every click and command answered in the person's own DM, nowhere else
        channels = {c.args["channel"] for c in api.of("chat.postMessage")}
        assert channels <= {f"D{p.user_id}" for p in people.values()}
        assert driver.texts_to("aino@demo.example")[-1].startswith(
            "You have no active mentoring relationship"
        )

        # forms were modals: opened from clicks, answered with view_submission
        assert len(api.of("views.open")) >= 20
        assert {c.view()["callback_id"] for c in api.of("views.open")} == {"mentorbot_form"}
        assert not driver.last_errors

        # identity: each person linked by email once, the DM channel cached for nudges
        # identity: each person linked once and the DM stored for nudges. Aino writes before
        # the bot writes to her (users.info); the others get a message first, so the sender
        # finds them by email and the worker stores what it found (no users.info later)
        assert [c.args["user"] for c in api.of("users.info")] == ["UAINO"]
        looked_up = [c.args["email"] for c in api.of("users.lookupByEmail")]
        assert sorted(looked_up) == sorted(set(looked_up))
        with factory() as s:
            identities = {i.platform_user_id: i for i in s.scalars(select(PlatformIdentity))}
        assert {"UAINO", "UMIKKO", "USANNA"} <= set(identities)
        assert all(i.address == {"channel": f"D{uid}"} for uid, i in identities.items())

        # the .ics of the booked series was uploaded to the DM
        assert api.of("files.completeUploadExternal")
        assert any(b.startswith(b"BEGIN:VCALENDAR") for b in api.uploads.values())

        # after linking, nudges and replies never had to open the DM again: the only
        # conversations.open calls are for people the bot wrote to before they wrote back
        opened = [c.args["users"] for c in api.of("conversations.open")]
        assert len(opened) == len(set(opened))
        assert all(c.token == "xoxb-test-token" for c in api.calls)
