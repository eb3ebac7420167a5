"""Forgetting old platform event ids is housekeeping: at most once a minute, not every turn."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from conversations.clock import SettableClock
from conversations.engine import PROCESSED_EVENT_TTL
from conversations.engine import Engine as ChatEngine
from conversations.messages import Inbound, InboundKind
from storage.db import transaction
from storage.models import PlatformIdentity, ProcessedEvent


def _linked_person(factory: sessionmaker[Session], clock: SettableClock) -> None:
    with transaction(factory) as session:
        person = admin.add_person(session, clock.now(), "aino@example.com", "Aino")
        person.onboarded_at = clock.now()
        session.add(
            PlatformIdentity(
                person=person,
                platform="slack",
                platform_user_id="U1",
                address={"channel": "D1"},
                last_seen_at=clock.now(),
            )
        )


def _event(engine: ChatEngine, clock: SettableClock, event_id: str) -> None:
    replies = engine.handle(
        Inbound(
            platform="slack",
            user="U1",
            kind=InboundKind.TEXT,
            received_at=clock.now(),
            text="help",
            event_id=event_id,
        )
    )
    assert replies


def test_old_event_ids_are_forgotten_once_a_minute_not_on_every_turn(
    db_engine: Engine, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    _linked_person(factory, clock)
    engine = ChatEngine(factory, clock)
    deletes: list[str] = []
    event.listen(
        db_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: (
            deletes.append(statement)
            if statement.lstrip().upper().startswith("DELETE FROM PROCESSED_EVENT")
            else None
        ),
    )
    _event(engine, clock, "E1")
    assert len(deletes) == 1  # the first turn of a process prunes
    for n in range(2, 6):
        clock.advance(timedelta(seconds=5))
        _event(engine, clock, f"E{n}")
    assert len(deletes) == 1  # the next turns within the minute do not
    clock.advance(PROCESSED_EVENT_TTL + timedelta(minutes=1))
    _event(engine, clock, "E6")
    assert len(deletes) == 2
    with factory() as session:
        left = session.scalars(select(ProcessedEvent.event_id)).all()
        assert left == ["E6"]  # the day-old ids are gone, the new one is recorded
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
