"""Bot Connector faults (429 with Retry-After, 500, timeouts, 403) through the delivery worker:
every message is delivered once, never early, never twice; hopeless ones are dead-lettered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.settings import Settings
from conversations.clock import SettableClock
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from storage.db import transaction
from storage.models import Outbox, OutboxStatus, Person
from tests.teams.driver import ANONYMOUS, TeamsDriver, cards_of
from testsupport.teams_connector import Fault

AINO = "aino@demo.example"
SEND_TIMEOUT = {"MENTORBOT_TEAMS_SEND_TIMEOUT": "0.5"}


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock, Settings(**ANONYMOUS, **SEND_TIMEOUT))  # type: ignore[arg-type]
    driver.install(AINO, "Aino Virtanen")
    yield driver
    driver.close()


def queue_nudge(factory: sessionmaker[Session], clock: SettableClock, text: str) -> int:
    with transaction(factory) as session:
        person = session.scalars(select(Person).where(Person.email == AINO)).one()
        row = outbox_row(
            person_id=person.id,
            kind="test",
            message=Message().text(text),
            dedupe_key=f"test:{text}",
            due_at=clock.now(),
            now=clock.now(),
        )
        insert_ignoring_duplicates(session, [row])
    with factory() as session:
        return session.scalars(select(Outbox.id).where(Outbox.dedupe_key == f"test:{text}")).one()


def row(factory: sessionmaker[Session], row_id: int) -> Outbox:
    with factory() as session:
        found = session.get(Outbox, row_id)
        assert found is not None
        return found


def delivered(teams: TeamsDriver, text: str) -> int:
    return teams.texts_seen(AINO).count(text)


def test_teams_429_500_and_timeout_still_deliver_the_message_exactly_once(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    teams.double.plan(
        Fault(429, {"Retry-After": "120"}),
        Fault(500),
        Fault(504, delay=2.0),  # the connector hangs past our send timeout
    )
    row_id = queue_nudge(factory, clock, "Your meeting is tomorrow")
    start = clock.now()

    teams.deliver()
    throttled = row(factory, row_id)
    assert throttled.status == OutboxStatus.PENDING
    assert throttled.next_attempt_at >= start + timedelta(seconds=120), "Retry-After honoured"
    assert "429" in (throttled.last_error or "")

    teams.advance(timedelta(seconds=119))
    assert row(factory, row_id).attempts == 1, "not retried before Retry-After"

    for _ in range(10):
        if row(factory, row_id).status != OutboxStatus.PENDING:
            break
        teams.advance(timedelta(minutes=5))

    final = row(factory, row_id)
    assert final.status == OutboxStatus.SENT
    assert final.attempts == 4
    assert final.platform_message_id
    assert delivered(teams, "Your meeting is tomorrow") == 1
    assert teams.double.faults == []
    assert all(cards_of(p) for p in teams.seen(AINO)), "no SDK error text leaked into the chat"


def test_teams_conversation_gone_403_is_dead_lettered_without_retries(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    teams.double.plan(Fault(403))
    row_id = queue_nudge(factory, clock, "You were removed")

    teams.deliver()
    teams.advance(timedelta(hours=2))

    dead = row(factory, row_id)
    assert dead.status == OutboxStatus.DEAD
    assert dead.attempts == 1
    assert "403" in (dead.last_error or "")
    assert delivered(teams, "You were removed") == 0
