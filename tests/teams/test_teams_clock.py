"""The ``clock`` process reaches Teams users with only the settings: no web server involved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams.sender import TeamsSender
from bot import demo
from bot.clock import build_senders, worker_from_settings
from bot.settings import Settings
from conversations.clock import SettableClock
from storage.models import OutboxStatus
from tests.teams.driver import TeamsDriver
from tests.teams.test_teams_faults import AINO, queue_nudge, row


@pytest.fixture
def teams(factory: sessionmaker[Session], clock: SettableClock) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock)
    driver.install(AINO, "Aino Virtanen")
    yield driver
    driver.close()


def test_teams_clock_process_delivers_outbox_messages_with_its_own_sender(
    teams: TeamsDriver, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    senders = build_senders(teams.settings)
    assert isinstance(senders["teams"], TeamsSender)
    worker = worker_from_settings(teams.settings, factory, senders)
    row_id = queue_nudge(factory, clock, "Your meeting with Mikko is tomorrow at 14:00")

    report = teams.loop.run(worker.deliver_due(clock.now()))

    assert report.sent == 1
    assert row(factory, row_id).status == OutboxStatus.SENT
    assert "Your meeting with Mikko is tomorrow at 14:00" in teams.texts_seen(AINO)


def test_teams_sender_is_not_configured_without_an_app_id_or_anonymous_testing() -> None:
    assert "teams" not in build_senders(Settings())
