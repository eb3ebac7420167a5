"""Teams: messages for someone without the app wait, then arrive in order when they install it.

The web app (the same ``create_app`` that ``mentorbot serve`` runs) gets the install over HTTP;
delivery is the clock's own worker, built from the settings only (``build_senders``,
``worker_from_settings``), sending to the Bot Connector double.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.clock import build_senders, worker_from_settings
from bot.delivery import DeliveryWorker
from bot.operator import outbox_status
from conversations.clock import SettableClock
from storage.db import transaction
from storage.models import Outbox, OutboxStatus, Person
from tests.teams.driver import TeamsDriver, texts_of
from tests.teams.test_teams_faults import AINO, queue_nudge, row


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")  # the pairing queues a welcome to Aino and Mikko
    driver = TeamsDriver(factory, clock)
    yield driver
    driver.close()


def clock_worker(teams: TeamsDriver, factory: sessionmaker[Session]) -> DeliveryWorker:
    return worker_from_settings(teams.settings, factory, build_senders(teams.settings))


def aino_rows(factory: sessionmaker[Session]) -> list[Outbox]:
    with factory() as session:
        aino = session.scalars(select(Person).where(Person.email == AINO)).one()
        return list(
            session.scalars(select(Outbox).where(Outbox.person_id == aino.id).order_by(Outbox.id))
        )


def test_messages_wait_for_the_app_and_arrive_in_order_before_the_install_reply(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    worker = clock_worker(teams, factory)
    queue_nudge(factory, clock, "Your meeting with Mikko is tomorrow at 14:00")
    clock.advance(timedelta(minutes=5))
    queue_nudge(factory, clock, "How did the meeting go?")

    for hour in range(6):  # hours of clock ticks: no retry storm, nothing dies
        teams.loop.run(worker.deliver_due(clock.now() + timedelta(hours=hour)))
    assert teams.double.attempts == 0
    waiting = aino_rows(factory)
    assert [r.status for r in waiting] == [OutboxStatus.WAITING] * 3
    assert all(r.attempts == 0 and r.platform == "teams" for r in waiting)
    with factory() as session:
        assert outbox_status(session).unreachable == {"teams": 2}  # Aino and Mikko
        assert "people not reachable yet: 2 on teams" in outbox_status(session).lines()

    clock.advance(timedelta(days=3))
    teams.install(AINO, "Aino Virtanen", deliver=False)
    assert teams.seen(AINO) == []  # the install's own reply queues behind what waited
    teams.loop.run(worker.deliver_due(clock.now()))

    posts = [texts_of([p]) for p in teams.seen(AINO)]
    assert "Mikko Laine" in posts[0]  # the pairing welcome, queued first
    assert "Your meeting with Mikko is tomorrow at 14:00" in posts[1]
    assert "How did the meeting go?" in posts[2]
    assert len(posts) > 3  # then the reply to the install (onboarding)
    assert all(r.status == OutboxStatus.SENT for r in aino_rows(factory))
    with factory() as session:
        assert outbox_status(session).unreachable == {"teams": 1}  # only Mikko now


def test_a_waiting_message_whose_moment_passed_is_cancelled_not_sent_late(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    worker = clock_worker(teams, factory)
    row_id = queue_nudge(factory, clock, "Your meeting with Mikko is tomorrow at 14:00")
    with transaction(factory) as session:
        session.execute(
            update(Outbox)
            .where(Outbox.id == row_id)
            .values(expires_at=clock.now() + timedelta(days=1))
        )
    teams.loop.run(worker.deliver_due(clock.now()))
    assert row(factory, row_id).status == OutboxStatus.WAITING

    clock.advance(timedelta(days=2))
    teams.loop.run(worker.deliver_due(clock.now()))
    teams.install(AINO, "Aino Virtanen", deliver=False)
    teams.loop.run(worker.deliver_due(clock.now()))

    assert row(factory, row_id).status == OutboxStatus.CANCELLED
    assert "tomorrow at 14:00" not in teams.texts_seen(AINO)
