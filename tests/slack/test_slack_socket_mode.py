"""With ``SLACK_APP_TOKEN`` the same listeners run over Socket Mode instead of HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from tests.slack.harness import SlackWorld, dm_event, slash_command


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    demo.seed(factory, demo.DEMO_START, "en")
    with SlackWorld(factory, SettableClock(demo.DEMO_START), app_token="xapp-1-test") as w:
        w.api.add_user("UAINO", "aino@demo.example", "Aino Virtanen")
        yield w


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_socket_mode_connects_with_the_app_token_and_serves_no_request_url(
    world: SlackWorld,
) -> None:
    _wait_for(lambda: bool(world.api.sockets))
    opened = world.api.of("apps.connections.open")
    assert [c.token for c in opened] == ["xapp-1-test"]
    assert world.post_json(dm_event("UAINO", "hello")).status == 404


def test_events_and_commands_over_socket_mode_are_acked_and_answered(world: SlackWorld) -> None:
    _wait_for(lambda: bool(world.api.sockets))
    event_envelope = world.call(world.api.send_envelope("events_api", dm_event("UAINO", "hello")))
    command_envelope = world.call(
        world.api.send_envelope("slash_commands", slash_command("UAINO", "status"))
    )
    _wait_for(lambda: len(world.api.socket_acks) >= 2)
    acked = {a["envelope_id"] for a in world.api.socket_acks}
    assert {event_envelope, command_envelope} <= acked
    world.idle()
    _wait_for(lambda: len(world.api.of("chat.postMessage")) >= 2)
    assert {c.args["channel"] for c in world.api.of("chat.postMessage")} == {"DUAINO"}
    assert [c.args["user"] for c in world.api.of("users.info")] == ["UAINO"]
