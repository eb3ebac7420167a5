"""Announcements in a shared Slack channel, end to end over signed HTTP.

``/invite @Mentorbot`` in a channel reaches the bot as ``member_joined_channel`` for its own
user; HR picks the channel in *announce*; the delivery worker posts there with
``chat.postMessage``; Slack's ``not_in_channel`` sends the row to the dead letter; the bot
removed (``channel_left``, ``member_left_channel``) or the channel archived takes it off the
list. The Web API double speaks Slack's wire format, including ``conversations.info``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from storage.models import Channel, Outbox, OutboxStatus
from tests.slack.driver import Person, SlackDriver
from tests.slack.harness import (
    SlackWorld,
    channel_event,
    channel_id_for,
    member_joined,
    member_left,
)

HR = "helena@demo.example"
ANNOUNCEMENT = "Applications for the spring round are open"


@pytest.fixture
def driver(factory: sessionmaker[Session]) -> Iterator[SlackDriver]:
    demo.seed(factory, demo.DEMO_START, "en")
    people = {
        email: Person(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _role in demo.PEOPLE
    }
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as world:
        for p in people.values():
            world.api.add_user(p.user_id, p.email, p.name)
        yield SlackDriver(world, people)


def onboard_hr(driver: SlackDriver) -> None:
    """HR writes to the bot in Slack for the first time and picks a language and timezone."""
    driver.say(HR, "hello")
    driver.click(HR, "English")
    driver.submit(HR, {"timezone": "Europe/Helsinki"})


def audience_options(driver: SlackDriver) -> dict[str, str]:
    """The announce modal's audience choices as HR sees them: label → value."""
    view = driver.modals.get(HR)
    assert view is not None, "the announce form did not open as a modal"
    block = next(b for b in view["blocks"] if b.get("block_id") == "audience")
    return {o["text"]["text"]: o["value"] for o in block["element"]["options"]}


def announce_in(driver: SlackDriver, channel_label: str, text: str) -> None:
    driver.say(HR, "announce")
    options = audience_options(driver)
    assert channel_label in options, options
    driver.submit(HR, {"audience": options[channel_label], "text": text})
    assert any(f"*Preview* — to {channel_label}:" in t for t in driver.texts_to(HR)[-3:]), (
        driver.texts_to(HR)[-3:]
    )


def posts_in(driver: SlackDriver, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in driver.api.of("chat.postMessage") if c.args.get("channel") == channel]


def channels(factory: sessionmaker[Session]) -> list[tuple[str, str, dict[str, Any], bool]]:
    with factory() as s:
        return [
            (c.platform_channel_id, c.name, c.address, c.removed_at is None)
            for c in s.scalars(select(Channel).order_by(Channel.id))
        ]


def test_hr_announces_in_a_channel_the_bot_was_invited_to_and_the_worker_posts_there(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    onboard_hr(driver)
    driver.join_channel("#mentoring")
    channel = channel_id_for("mentoring")
    assert [c.args["channel"] for c in driver.api.of("conversations.info")] == [channel]
    assert channels(factory) == [(channel, "#mentoring", {"channel": channel}, True)]

    announce_in(driver, "the channel #mentoring", ANNOUNCEMENT)
    assert posts_in(driver, channel) == []  # nothing goes out before HR confirms
    driver.click(HR, "Send")
    assert "Sent to the outbox for the channel #mentoring" in driver.texts_to(HR)[-1]

    posted = posts_in(driver, channel)
    assert len(posted) == 1 and ANNOUNCEMENT in posted[0]["text"]
    people = {f"D{p.user_id}" for p in driver.people.values()}
    dms = [c.args for c in driver.api.of("chat.postMessage") if c.args["channel"] in people]
    assert not any(ANNOUNCEMENT in str(args.get("text")) for args in dms)  # not a DM to anyone
    with factory() as s:
        row = s.scalars(select(Outbox).where(Outbox.kind == "announcement")).one()
        assert (row.status, row.person_id) == (OutboxStatus.SENT, None)

    driver.say(HR, "announcements")
    assert "to the channel #mentoring: 1 sent, 0 failed, 0 waiting" in driver.texts_to(HR)[-1]


def test_not_in_channel_sends_the_row_to_the_dead_letter_and_a_left_channel_is_not_offered(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    onboard_hr(driver)
    driver.join_channel("#mentoring")
    channel = channel_id_for("mentoring")
    announce_in(driver, "the channel #mentoring", ANNOUNCEMENT)
    # someone removes the bot from the channel; Slack's event has not arrived yet
    driver.api.channels[channel].bot_is_member = False
    driver.click(HR, "Send")

    assert len(posts_in(driver, channel)) == 1  # tried once: not_in_channel is permanent
    with factory() as s:
        row = s.scalars(select(Outbox).where(Outbox.kind == "announcement")).one()
        assert row.status == OutboxStatus.DEAD and "not_in_channel" in str(row.last_error)
    driver.say(HR, "announcements")
    assert "to the channel #mentoring: 0 sent, 1 failed, 0 waiting" in driver.texts_to(HR)[-1]

    driver.world.post_json(channel_event("channel_left", channel, actor_id="UHELENA"))
    driver.world.settle()
    assert channels(factory)[0][3] is False
    driver.say(HR, "announce")
    assert not any("#mentoring" in label for label in audience_options(driver))


def test_the_bot_leaving_or_the_channel_archived_takes_it_off_the_list_and_back_on_rejoin(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    onboard_hr(driver)
    driver.join_channel("#mentoring")
    driver.join_channel("#news")
    mentoring, news = channel_id_for("mentoring"), channel_id_for("news")
    driver.world.post_json(member_left(driver.api.bot_user_id, mentoring))
    driver.world.post_json(channel_event("channel_archive", news, user="UHELENA"))
    driver.world.settle()
    assert [(c, active) for c, _n, _a, active in channels(factory)] == [
        (mentoring, False),
        (news, False),
    ]
    driver.join_channel("#mentoring")  # invited back: offered again, the same row
    driver.say(HR, "announce")
    labels = audience_options(driver)
    assert "the channel #mentoring" in labels and "the channel #news" not in labels
    assert [(c, active) for c, _n, _a, active in channels(factory)] == [
        (mentoring, True),
        (news, False),
    ]


def test_someone_else_joining_or_leaving_a_channel_registers_or_forgets_nothing(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    driver.api.add_channel("CRANDOM", "random", bot_is_member=False)
    driver.world.post_json(member_joined("UAINO", "CRANDOM", inviter="UMIKKO"))
    driver.world.settle()
    assert channels(factory) == []
    assert driver.api.of("conversations.info") == []

    driver.join_channel("#mentoring")
    driver.world.post_json(member_left("UAINO", channel_id_for("mentoring")))
    driver.world.settle()
    assert [active for *_rest, active in channels(factory)] == [True]


def test_a_rename_refreshes_the_name_only_of_a_channel_the_bot_is_in(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    driver.join_channel("#mentoring")
    mentoring = channel_id_for("mentoring")
    driver.api.channels[mentoring].name = "mentoring-2027"
    driver.api.add_channel("CRANDOM", "watercooler", bot_is_member=False)
    for channel, name in ((mentoring, "mentoring-2027"), ("CRANDOM", "watercooler")):
        driver.world.post_json(
            channel_event("channel_rename", {"id": channel, "name": name, "created": 1790000000})
        )
    driver.world.settle()
    assert channels(factory) == [(mentoring, "#mentoring-2027", {"channel": mentoring}, True)]


def test_a_channel_whose_name_slack_will_not_give_is_kept_by_its_id(
    driver: SlackDriver, factory: sessionmaker[Session]
) -> None:
    driver.api.fail_next("conversations.info", 200, "missing_scope")
    driver.join_channel("#mentoring")
    channel = channel_id_for("mentoring")
    assert channels(factory) == [(channel, channel, {"channel": channel}, True)]
