"""A direct reply Slack refuses for now (429, 500) is not lost: the outbox delivers it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from storage.models import Outbox, OutboxStatus
from tests.slack.harness import SlackWorld, dm_event


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    demo.seed(factory, demo.DEMO_START, "en")
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as w:
        w.api.add_user("UAINO", "aino@demo.example", "Aino Virtanen")
        yield w


def replies(world: SlackWorld) -> list[Outbox]:
    with world.factory() as session:
        return list(session.scalars(select(Outbox).where(Outbox.kind == "reply")))


@pytest.mark.parametrize(
    ("status", "error", "headers"),
    [(429, "ratelimited", {"Retry-After": "1"}), (500, "internal_error", {})],
)
def test_a_reply_slack_refuses_goes_to_the_outbox_and_arrives(
    world: SlackWorld, status: int, error: str, headers: dict[str, str]
) -> None:
    world.api.fail_next("chat.postMessage", status, error, **headers)

    world.post_json(dm_event("UAINO", "hello"))
    world.idle()

    queued = replies(world)
    assert len(queued) == 1 and queued[0].status == OutboxStatus.PENDING
    refused = world.api.of("chat.postMessage")
    assert len(refused) == 1  # the direct attempt, refused
    world.tick(world.clock.now())
    assert [r.status for r in replies(world)] == [OutboxStatus.SENT]
    again = [
        c for c in world.api.of("chat.postMessage")[1:] if c.args["text"] == refused[0].args["text"]
    ]
    assert len(again) == 1 and again[0].args["channel"] == "DUAINO"  # delivered once
