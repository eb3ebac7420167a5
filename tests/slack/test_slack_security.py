"""Requests not signed by Slack are refused with 401 and change nothing; a forged modal
submission about someone else's mentorship is refused by the engine."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.app import SlackConfig, SlackConfigError, mount
from bot import admin, demo
from conversations.clock import SettableClock
from conversations.engine import Engine
from storage.db import transaction
from storage.models import Agreement, Goal, Mentorship, Person, PlatformIdentity, ProcessedEvent
from tests.slack.harness import (
    SlackWorld,
    dm_event,
    signature,
    signed_headers,
    view_submission,
)


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    demo.seed(factory, demo.DEMO_START, "en")
    with transaction(factory) as session:
        admin.add_person(session, demo.DEMO_START, "eeva@demo.example", "Eeva Salo")
        admin.add_person(session, demo.DEMO_START, "otto@demo.example", "Otto Lehto")
        admin.add_pair(
            session, demo.DEMO_START, demo.PROGRAMME, "eeva@demo.example", "otto@demo.example"
        )
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as w:
        w.api.add_user("UAINO", "aino@demo.example", "Aino Virtanen")
        w.api.add_user("UOTTO", "otto@demo.example", "Otto Lehto")
        yield w


def _nothing_changed(world: SlackWorld) -> None:
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(PlatformIdentity)) == 0
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    methods = {c.method for c in world.api.calls}
    assert not methods & {"chat.postMessage", "users.info", "views.open", "conversations.open"}


def _body() -> bytes:
    return json.dumps(dm_event("UAINO", "status")).encode()


def test_request_without_signature_is_refused(world: SlackWorld) -> None:
    result = world.post_raw(_body(), {"Content-Type": "application/json"})
    world.idle()
    assert result.status == 401
    _nothing_changed(world)


def test_request_with_wrong_signature_is_refused(world: SlackWorld) -> None:
    body = _body()
    headers = signed_headers(body, "application/json", secret="not-the-signing-secret")
    result = world.post_raw(body, headers)
    world.idle()
    assert result.status == 401
    _nothing_changed(world)


def test_request_signed_more_than_five_minutes_ago_is_refused(world: SlackWorld) -> None:
    body = _body()
    stale = int(time.time()) - 6 * 60
    result = world.post_raw(body, signed_headers(body, "application/json", timestamp=stale))
    world.idle()
    assert result.status == 401
    _nothing_changed(world)


def test_body_altered_after_signing_is_refused(world: SlackWorld) -> None:
    body = _body()
    headers = signed_headers(body, "application/json")
    altered = body.replace(b'"status"', b'"export"')
    assert altered != body
    result = world.post_raw(altered, headers)
    world.idle()
    assert result.status == 401
    _nothing_changed(world)


def test_correctly_signed_request_is_accepted(world: SlackWorld) -> None:
    body = _body()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(body, ts),
    }
    result = world.post_raw(body, headers)
    world.idle()
    assert result.status == 200
    assert world.api.of("chat.postMessage")


def test_modal_submission_about_another_persons_mentorship_is_refused(
    world: SlackWorld,
) -> None:
    with world.factory() as s:
        otto = s.scalars(select(Person).where(Person.email == "otto@demo.example")).one()
        theirs = s.scalars(select(Mentorship).where(Mentorship.actor_id == otto.id)).one()
        their_id = theirs.id
    forged = {
        "type": "modal",
        "callback_id": "mentorbot_form",
        "private_metadata": json.dumps({"form_id": "agreement.draft", "value": str(their_id)}),
        "title": {"type": "plain_text", "text": "Mentoring agreement"},
        "blocks": [],
    }
    values = {
        "goal1": {"goal1": {"type": "plain_text_input", "value": "Take over Otto's goals"}},
        "success1": {"success1": {"type": "plain_text_input", "value": "Otto's plan is mine"}},
        "duration": {"duration": {"type": "static_select", "selected_option": {"value": "6"}}},
        "share_goals": {
            "share_goals": {"type": "static_select", "selected_option": {"value": "yes"}}
        },
    }
    result = world.post_interaction(view_submission("UAINO", forged, values))
    world.idle()
    assert result.status == 200
    assert result.json().get("response_action") is None  # the modal closes; the answer is a DM
    posts = [c for c in world.api.of("chat.postMessage") if c.args["channel"] == "DUAINO"]
    assert any("belongs to someone else's mentoring" in c.args["text"] for c in posts)
    with world.factory() as s:
        assert s.scalars(select(Goal).where(Goal.mentorship_id == their_id)).all() == []
        agreement = s.scalars(select(Agreement).where(Agreement.mentorship_id == their_id)).one()
        assert agreement.revision == 0
        assert not agreement.terms_set


async def test_http_mode_without_a_signing_secret_refuses_to_start(
    factory: sessionmaker[Session],
) -> None:
    engine = Engine(factory, SettableClock(demo.DEMO_START))
    config = SlackConfig(bot_token="xoxb-test", signing_secret="")
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        mount(web.Application(), config, engine, factory)
    socket_mode = SlackConfig(bot_token="xoxb-test", signing_secret="", app_token="xapp-1")
    assert mount(web.Application(), socket_mode, engine, factory).config.app_token == "xapp-1"
