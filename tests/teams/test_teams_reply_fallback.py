"""A direct reply the Bot Connector refuses for now (429, 500) is not lost: the outbox
delivers it with the clock's own worker, in order with the replies that followed it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.clock import build_senders, worker_from_settings
from conversations.clock import SettableClock
from storage.models import Outbox, OutboxStatus
from tests.teams.driver import TeamsDriver, texts_of
from tests.teams.test_teams_faults import AINO
from testsupport.teams_connector import Fault


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    driver.install(AINO, "Aino Virtanen")
    yield driver
    driver.close()


@pytest.mark.parametrize("fault", [Fault(429, {"Retry-After": "1"}), Fault(500)])
def test_a_reply_teams_refuses_goes_to_the_outbox_and_arrives(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock, fault: Fault
) -> None:
    before = len(teams.seen(AINO))
    teams.double.plan(fault)

    teams.post(teams.activity(teams.user(AINO), "message", text="help"), deliver=False)

    assert len(teams.seen(AINO)) == before  # refused
    with factory() as session:
        queued = list(session.scalars(select(Outbox).where(Outbox.kind == "reply")))
    assert [r.status for r in queued] == [OutboxStatus.PENDING]
    teams.post(teams.activity(teams.user(AINO), "message", text="hello?"), deliver=False)
    assert len(teams.seen(AINO)) == before  # the next reply queues behind the refused one
    worker = worker_from_settings(teams.settings, factory, build_senders(teams.settings))
    teams.loop.run(worker.deliver_due(clock.now()))
    with factory() as session:
        statuses = session.scalars(select(Outbox.status).where(Outbox.kind == "reply")).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]
    delivered = teams.seen(AINO)[before:]
    assert len(delivered) == 2 and all("I'm Mentorbot" in texts_of([p]) for p in delivered)
