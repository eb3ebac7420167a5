"""Events, acks, retries and failures of the Slack adapter, over real HTTP."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from storage.models import Mentorship, Person, PlatformIdentity, ProcessedEvent
from tests.slack.harness import (
    SlackWorld,
    block_action,
    dm_event,
    event_payload,
    slash_command,
    view_submission,
)


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    demo.seed(factory, demo.DEMO_START, "en")
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as w:
        w.api.add_user("UAINO", "aino@demo.example", "Aino Virtanen")
        w.api.add_user("USTRANGER", "stranger@elsewhere.example", "Some One")
        yield w


def _posts_to(world: SlackWorld, user: str) -> list[str]:
    return [
        str(c.args.get("text"))
        for c in world.api.of("chat.postMessage")
        if c.args.get("channel") == f"D{user}"
    ]


def test_url_verification_is_answered_with_the_challenge(world: SlackWorld) -> None:
    result = world.post_json(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    assert result.status == 200
    assert b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in result.body


def test_first_dm_links_the_person_by_email_once_and_caches_the_dm_channel(
    world: SlackWorld,
) -> None:
    for text in ("hello", "status"):
        world.post_json(dm_event("UAINO", text))
        world.idle()
    assert [c.args["user"] for c in world.api.of("users.info")] == ["UAINO"]
    with world.factory() as s:
        ident = s.scalars(select(PlatformIdentity)).one()
        assert (ident.platform, ident.platform_user_id) == ("slack", "UAINO")
        assert ident.address == {"channel": "DUAINO"}
        assert ident.person.email == "aino@demo.example"
    assert not world.api.of("conversations.open")
    assert len(_posts_to(world, "UAINO")) >= 2


def test_someone_not_in_the_programme_gets_a_friendly_reply(world: SlackWorld) -> None:
    world.post_json(dm_event("USTRANGER", "hello"))
    world.idle()
    texts = _posts_to(world, "USTRANGER")
    assert texts and "ask your HR contact" in texts[0]
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(PlatformIdentity)) == 0


def test_a_retried_event_has_no_effect(world: SlackWorld) -> None:
    payload = dm_event("UAINO", "hello", event_id="Ev0RETRY0001")
    first = world.post_json(payload)
    world.idle()
    posts = len(world.api.of("chat.postMessage"))
    again = world.post_json(
        payload, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    world.idle()
    assert first.status == again.status == 200
    assert len(world.api.of("chat.postMessage")) == posts
    with world.factory() as s:
        stored = s.scalars(select(ProcessedEvent)).all()
        assert [(e.platform, e.event_id) for e in stored] == [("slack", "Ev0RETRY0001")]


def test_the_ack_returns_before_slow_work(world: SlackWorld) -> None:
    world.api.slow_down("chat.postMessage", 4.0)
    started = time.perf_counter()
    dm = world.post_json(dm_event("UAINO", "hello"))
    dm_seconds = time.perf_counter() - started
    started = time.perf_counter()
    command = world.post_form(slash_command("UAINO", "status"))
    command_seconds = time.perf_counter() - started
    assert dm.status == command.status == 200
    assert dm_seconds < 1.0 and command_seconds < 1.0
    world.idle()
    assert len(_posts_to(world, "UAINO")) >= 2  # the work did continue after the ack


def test_messages_from_bots_and_edits_are_ignored(world: SlackWorld) -> None:
    bot_message = dm_event("UAINO", "hello")
    bot_message["event"]["bot_id"] = "B0MENTOR"
    edited = dm_event("UAINO", "hello")
    edited["event"]["subtype"] = "message_changed"
    for payload in (bot_message, edited):
        assert world.post_json(payload).status == 200
    world.idle()
    assert not world.api.of("chat.postMessage")


def test_a_failing_handler_is_logged_and_the_person_gets_an_apology(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.api.fail_next("users.info", 500, "internal_error")  # a refused reply is queued
    with caplog.at_level(logging.ERROR, logger="adapters.slack.app"):  # (reply fallback)
        world.post_json(dm_event("UAINO", "hello"))
        world.idle()
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failures and "user=UAINO" in failures[0].getMessage()
    assert "something went wrong" in _posts_to(world, "UAINO")[-1]


def test_invalid_modal_answers_come_back_as_errors_on_the_modal(world: SlackWorld) -> None:
    with world.factory() as s:
        aino = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        mentorship_id = s.scalars(select(Mentorship).where(Mentorship.actor_id == aino.id)).one().id
    view = {
        "type": "modal",
        "callback_id": "mentorbot_form",
        "private_metadata": json.dumps({"form_id": "agreement.draft", "value": str(mentorship_id)}),
        "title": {"type": "plain_text", "text": "Mentoring agreement"},
        "blocks": [],
    }
    values = {
        "goal1": {"goal1": {"type": "plain_text_input", "value": None}},
        "success1": {"success1": {"type": "plain_text_input", "value": "I run <!channel>"}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "6"}}},
        "share_goals": {
            "share_goals": {"type": "static_select", "selected_option": {"value": "no"}}
        },
    }
    result = world.post_interaction(view_submission("UAINO", view, values))
    world.idle()
    answer = result.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"goal1"}
    assert "needed" in answer["errors"]["goal1"]
    # the answers are kept: opening the form again shows them, with the error
    button = {
        "action_id": "mentorbot_open_form",
        "value": json.dumps({"form_id": "agreement.draft", "value": str(mentorship_id)}),
    }
    world.post_interaction(block_action("UAINO", button, channel="DUAINO"))
    world.idle()
    modal = world.api.of("views.open")[-1].view()
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"]}
    assert inputs["success1"]["initial_value"] == "I run <!channel>"
    assert inputs["share_goals"]["initial_option"]["value"] == "no"
    assert "initial_value" not in inputs["goal1"]


def test_a_stale_form_button_is_answered_politely(world: SlackWorld) -> None:
    button = {
        "action_id": "mentorbot_open_form",
        "value": json.dumps({"form_id": "checkin", "value": "999"}),
    }
    world.post_json(dm_event("UAINO", "hello"))
    world.idle()
    world.post_interaction(block_action("UAINO", button, channel="DUAINO"))
    world.idle()
    assert not world.api.of("views.open")
    assert "no longer valid" in _posts_to(world, "UAINO")[-1]


def test_events_of_other_kinds_are_acknowledged_and_ignored(world: SlackWorld) -> None:
    result = world.post_json(
        event_payload({"type": "app_home_opened", "user": "UAINO", "tab": "messages"})
    )
    world.idle()
    assert result.status == 200
    assert not world.api.of("views.publish")


def test_a_slow_modal_submission_closes_the_modal_in_time_and_answers_in_the_dm(
    world: SlackWorld,
) -> None:
    with world.factory() as s:
        aino = s.scalars(select(Person).where(Person.email == "aino@demo.example")).one()
        mentorship_id = s.scalars(select(Mentorship).where(Mentorship.actor_id == aino.id)).one().id
    view = {
        "type": "modal",
        "callback_id": "mentorbot_form",
        "private_metadata": json.dumps({"form_id": "agreement.draft", "value": str(mentorship_id)}),
        "title": {"type": "plain_text", "text": "Mentoring agreement"},
        "blocks": [],
    }
    values = {
        "goal1": {"goal1": {"type": "plain_text_input", "value": "Lead the weekly planning"}},
        "success1": {"success1": {"type": "plain_text_input", "value": "I run it alone"}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "6"}}},
        "share_goals": {
            "share_goals": {"type": "static_select", "selected_option": {"value": "no"}}
        },
    }
    world.api.slow_down("users.info", 3.5)  # first contact: linking by email is slow today
    started = time.perf_counter()
    result = world.post_interaction(view_submission("UAINO", view, values))
    seconds = time.perf_counter() - started
    assert result.status == 200
    assert seconds < 3.0  # Slack's limit for a view_submission answer
    assert result.json().get("response_action") is None  # the modal is closed
    world.idle()
    assert any("Saved" in text for text in _posts_to(world, "UAINO"))
