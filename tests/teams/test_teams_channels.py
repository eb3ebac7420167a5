"""Announcements in a Teams channel: the app added to a team, HR picking its channel in
*announce*, the card posted through the Bot Connector, and the team removing the app again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from storage.models import Channel, PlatformIdentity
from tests.teams.driver import TeamsDriver, teams_user, texts_of

HR = "helena@demo.example"
MESSAGE = "Applications for the spring round are open"


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    driver.install(HR, "Helena Niemi")  # HR has the app in personal scope
    driver.click(HR, "English")
    driver.submit(HR, {"timezone": "Europe/Helsinki"})
    yield driver
    driver.close()


def audience_choices(teams: TeamsDriver) -> dict[str, str]:
    """The announce form's audience options as Teams shows them: title → value."""
    teams.say(HR, "announce")
    form = teams.last_form(HR)
    (audience,) = [i for i in form.inputs if i["id"] == "audience"]
    return {c["title"]: c["value"] for c in audience["choices"]}


def test_hr_announces_in_the_channel_of_a_team_the_app_was_added_to(
    teams: TeamsDriver, factory: sessionmaker[Session]
) -> None:
    teams.join_channel("Mentoring")
    team = teams.team("Mentoring")

    choices = audience_choices(teams)
    channel = choices["the channel Mentoring › General"]
    teams.submit(HR, {"audience": channel, "text": MESSAGE})
    assert "to the channel Mentoring › General" in teams.texts_seen(HR)
    assert teams.channel_posts("Mentoring") == []  # nothing before HR confirms
    teams.click(HR, "Send")

    (posted,) = teams.channel_posts("Mentoring")
    assert posted.conversation_id == team.team_id  # the General channel's conversation
    assert posted.reply_to_id is None  # a new post in the channel, not a reply in a thread
    assert MESSAGE in texts_of([posted])
    assert posted.activity["recipient"] is None  # to the channel, not to a person
    assert [MESSAGE in texts_of([p]) for p in teams.seen(HR)].count(True) == 1  # the preview
    teams.say(HR, "announcements")
    assert "to the channel Mentoring › General: 1 sent, 0 failed, 0 waiting" in texts_of(
        teams.seen(HR)[-1:]
    )
    with factory() as session:
        stored = session.scalars(select(Channel)).one()
    assert stored.platform == "teams" and stored.platform_channel_id == team.team_id
    reference = stored.address["conversation_reference"]
    assert reference["conversation"]["id"] == team.team_id
    assert reference["serviceUrl"] == teams.double.service_url


def test_a_team_that_removed_the_app_is_no_longer_offered_and_other_members_joining_add_none(
    teams: TeamsDriver, factory: sessionmaker[Session]
) -> None:
    teams.join_channel("Mentoring")
    assert "the channel Mentoring › General" in audience_choices(teams)

    teams.remove_from_team("Mentoring")
    someone = teams_user("new.joiner@demo.example", "New Joiner")
    teams.post(  # a person (not the bot) joins another team the app was never added to
        teams.team_activity(
            teams.team("Book club"),
            "conversationUpdate",
            membersAdded=[{"id": someone.user_id, "aadObjectId": someone.aad_object_id}],
            event_type="teamMemberAdded",
        )
    )

    choices = audience_choices(teams)
    assert not [title for title in choices if "the channel" in title]
    with factory() as session:
        stored = session.scalars(select(Channel)).all()
    assert [(c.name, c.removed_at is not None) for c in stored] == [("Mentoring › General", True)]


def test_the_bot_answers_nothing_said_in_a_team_and_keeps_private_messages_private(
    teams: TeamsDriver, factory: sessionmaker[Session]
) -> None:
    teams.join_channel("Mentoring")
    team = teams.team("Mentoring")
    posts = len(teams.double.posted)

    teams.post(
        teams.team_activity(team, "message", by=teams.user(HR), text="<at>Mentorbot</at> help")
    )

    assert len(teams.double.posted) == posts, "no answer in the channel or anywhere else"
    with factory() as session:
        (identity,) = session.scalars(select(PlatformIdentity)).all()
    reference = identity.address["conversation_reference"]
    assert reference["conversation"]["id"] == teams.user(HR).conversation_id


def test_a_renamed_team_shows_its_new_name_and_a_deleted_team_is_forgotten(
    teams: TeamsDriver,
) -> None:
    teams.join_channel("Mentoring")
    team = teams.team("Mentoring")

    renamed = teams.team_activity(team, "conversationUpdate", event_type="teamRenamed")
    renamed["channelData"]["team"]["name"] = "Mentoring 2027"
    teams.post(renamed)
    assert "the channel Mentoring 2027 › General" in audience_choices(teams)

    teams.post(teams.team_activity(team, "conversationUpdate", event_type="teamDeleted"))
    assert not [title for title in audience_choices(teams) if "the channel" in title]
