"""The Slack sender against a local double of the Web API: what it calls and what it reports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.sender import SlackSender
from bot.delivery import deliver_due
from conversations.clock import SettableClock
from conversations.delivery import Recipient, SendError
from conversations.engine import Engine
from conversations.messages import Attachment, Inbound, InboundKind, Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.texts import user_text
from storage.db import transaction
from storage.models import Person, PlatformIdentity
from tests.conftest import START
from testsupport.slack_api import SlackApiDouble


@pytest.fixture
async def slack() -> AsyncIterator[SlackApiDouble]:
    double = SlackApiDouble()
    await double.start()
    yield double
    await double.stop()


def _sender(slack: SlackApiDouble) -> SlackSender:
    return SlackSender(AsyncWebClient(token="xoxb-test", base_url=slack.api_url))


def _recipient(address: dict[str, str] | None = None) -> Recipient:
    return Recipient(
        person_id=1,
        name="Aino Virtanen",
        email="aino@example.com",
        locale="en",
        platform="slack",
        platform_user_id="UAINO",
        address=address or {},
    )


async def test_send_posts_to_the_cached_dm_channel_without_opening_it(
    slack: SlackApiDouble,
) -> None:
    sent = await _sender(slack).send(
        _recipient({"channel": "DCACHED"}), Message().text("Your meeting is *tomorrow*.")
    )
    assert [c.method for c in slack.calls] == ["chat.postMessage"]
    call = slack.calls[0]
    assert call.args["channel"] == "DCACHED"
    assert call.token == "xoxb-test"
    assert call.blocks()[0]["text"]["text"] == "Your meeting is *tomorrow*."
    assert sent.message_id.startswith("1790000000.")
    assert not sent.learned  # it knew the way already: nothing new to store


async def test_send_opens_the_dm_when_no_channel_is_stored(slack: SlackApiDouble) -> None:
    sent = await _sender(slack).send(_recipient(), Message().text("Hello"))
    assert [c.method for c in slack.calls] == ["conversations.open", "chat.postMessage"]
    assert slack.calls[0].args["users"] == "UAINO"
    assert slack.calls[1].args["channel"] == "DUAINO"
    assert (sent.user_id, sent.address) == ("UAINO", {"channel": "DUAINO"})  # to be stored


async def test_rate_limit_is_reported_with_retry_after_and_not_retried(
    slack: SlackApiDouble,
) -> None:
    slack.fail_next("chat.postMessage", 429, "ratelimited", **{"Retry-After": "7"})
    with pytest.raises(SendError) as caught:
        await _sender(slack).send(_recipient({"channel": "D1"}), Message().text("Hi"))
    assert caught.value.retry_after == 7.0
    assert not caught.value.permanent
    assert len(slack.of("chat.postMessage")) == 1  # no retry of its own


async def test_a_retry_after_given_as_an_http_date_is_honoured(slack: SlackApiDouble) -> None:
    # a proxy in front of Slack may answer with a date; it used to be dropped (1 s instead)
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    slack.fail_next("chat.postMessage", 429, "ratelimited", **{"Retry-After": later})
    with pytest.raises(SendError) as caught:
        await _sender(slack).send(_recipient({"channel": "D1"}), Message().text("Hi"))
    assert caught.value.retry_after is not None
    assert 290 <= caught.value.retry_after <= 300


async def test_a_deleted_user_is_a_permanent_failure(slack: SlackApiDouble) -> None:
    slack.fail_next("chat.postMessage", 200, "user_disabled")
    with pytest.raises(SendError) as caught:
        await _sender(slack).send(_recipient({"channel": "D1"}), Message().text("Hi"))
    assert caught.value.permanent
    assert "user_disabled" in caught.value.reason


async def test_other_platform_errors_are_reported_as_retryable(slack: SlackApiDouble) -> None:
    slack.fail_next("chat.postMessage", 500, "internal_error")
    with pytest.raises(SendError) as caught:
        await _sender(slack).send(_recipient({"channel": "D1"}), Message().text("Hi"))
    assert not caught.value.permanent
    assert caught.value.retry_after is None


async def test_unreachable_api_is_a_retryable_send_error() -> None:
    client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(SendError) as caught:
        await SlackSender(client).send(_recipient({"channel": "D1"}), Message().text("Hi"))
    assert not caught.value.permanent


async def test_a_long_message_is_split_into_posts_of_at_most_fifty_blocks(
    slack: SlackApiDouble,
) -> None:
    message = Message()
    for n in range(120):
        message.text(f"Line {n}")
    await _sender(slack).send(_recipient({"channel": "D1"}), message)
    posts = slack.of("chat.postMessage")
    assert [len(p.blocks()) for p in posts] == [50, 50, 20]


async def test_user_typed_mentions_are_escaped_never_triggered(slack: SlackApiDouble) -> None:
    text = "Goal: " + user_text("<!channel> ping <@U123> & co") + " <- yours"
    await _sender(slack).send(_recipient({"channel": "D1"}), Message().text(text))
    post = slack.of("chat.postMessage")[0]
    shown = post.blocks()[0]["text"]["text"]
    assert "<!channel>" not in shown and "<@U123>" not in shown
    assert "<!channel>" not in post.args["text"]  # the notification text is mrkdwn as well
    assert "&lt;!channel&gt; ping &lt;@U123&gt; &amp; co" in shown
    assert "\ue000" not in shown and "\ue001" not in shown


async def test_an_ics_attachment_is_uploaded_to_the_dm(slack: SlackApiDouble) -> None:
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = (
        Message()
        .text("Your meetings")
        .add(Attachment(filename="meetings.ics", mime_type="text/calendar", content=ics))
    )
    await _sender(slack).send(_recipient({"channel": "D1"}), message)
    methods = [c.method for c in slack.calls]
    assert methods[0] == "chat.postMessage"
    assert "files.getUploadURLExternal" in methods
    complete = slack.of("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "D1"
    file_id = json.loads(complete.args["files"])[0]["id"]
    assert slack.uploads[file_id] == ics.encode("utf-8")


async def test_someone_never_seen_in_slack_is_found_by_email(slack: SlackApiDouble) -> None:
    slack.add_user("UMIKKO", "mikko@example.com", "Mikko Laine")
    newcomer = Recipient(
        person_id=2,
        name="Mikko Laine",
        email="mikko@example.com",
        locale="en",
        platform=None,
        platform_user_id=None,
    )
    await _sender(slack).send(newcomer, Message().text("Welcome"))
    assert [c.method for c in slack.calls] == [
        "users.lookupByEmail",
        "conversations.open",
        "chat.postMessage",
    ]
    assert slack.calls[2].args["channel"] == "DUMIKKO"


async def test_an_email_unknown_to_slack_waits_until_they_are_reachable(
    slack: SlackApiDouble,
) -> None:
    stranger = Recipient(
        person_id=3,
        name="Nobody",
        email="nobody@example.com",
        locale="en",
        platform=None,
        platform_user_id=None,
    )
    with pytest.raises(SendError) as caught:
        await _sender(slack).send(stranger, Message().text("Welcome"))
    assert caught.value.unreachable and not caught.value.permanent


def _queue_for(factory: sessionmaker[Session], person_id: int, key: str) -> None:
    with transaction(factory) as s:
        row = outbox_row(
            person_id=person_id,
            kind="test",
            message=Message().text(f"message {key}"),
            dedupe_key=key,
            due_at=START,
            now=START,
        )
        insert_ignoring_duplicates(s, [row])


async def test_a_person_found_by_email_is_stored_so_no_process_looks_them_up_again(
    slack: SlackApiDouble, factory: sessionmaker[Session]
) -> None:
    slack.add_user("UMIKKO", "mikko@example.com", "Mikko Laine")
    with transaction(factory) as s:
        mikko = Person(email="mikko@example.com", name="Mikko Laine", created_at=START)
        s.add(mikko)
        s.flush()
        person_id = mikko.id
    _queue_for(factory, person_id, "welcome")
    await deliver_due(factory, {"slack": _sender(slack)}, START, default_platform="slack")
    assert [c.method for c in slack.calls] == [
        "users.lookupByEmail",
        "conversations.open",
        "chat.postMessage",
    ]
    with factory() as s:
        identity = s.scalars(select(PlatformIdentity)).one()
        assert (identity.person_id, identity.platform, identity.platform_user_id) == (
            person_id,
            "slack",
            "UMIKKO",
        )
        assert identity.address == {"channel": "DUMIKKO"}
    slack.calls.clear()
    _queue_for(factory, person_id, "reminder")  # a fresh process: its sender remembers nothing
    await deliver_due(factory, {"slack": _sender(slack)}, START, default_platform="slack")
    assert [(c.method, c.args["channel"]) for c in slack.calls] == [("chat.postMessage", "DUMIKKO")]
    # and when Mikko first writes, the engine knows him without asking Slack for his email
    reply = Engine(factory, SettableClock(START)).handle(
        Inbound(
            platform="slack", user="UMIKKO", kind=InboundKind.TEXT, received_at=START, text="hi"
        )
    )
    assert reply and reply[0].person_id == person_id
