"""What one turn reads: the person's roles once, the identity with its person in one
statement, the pair with its programme, people and agreement in one, its goals and meetings
with statements built once, and no outbox write when nothing waits for the person; what it
writes: nothing, when the person was seen a moment ago and nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.cache_key import HasCacheKey

from bot import demo
from conversations.clock import SettableClock
from conversations.engine import LAST_SEEN_EVERY
from conversations.engine import Engine as ChatEngine
from conversations.messages import Inbound, InboundKind
from storage.db import transaction
from storage.models import Person, PlatformIdentity

AINO = "aino@demo.example"


def _turn(
    engine: ChatEngine, clock: SettableClock, text: str, address: dict[str, Any] | None = None
) -> None:
    replies = engine.handle(
        Inbound(
            platform="console",
            user=AINO,
            email=AINO,
            kind=InboundKind.TEXT,
            received_at=clock.now(),
            text=text,
            address=address or {},
        )
    )
    assert replies


def _statements(
    db_engine: Engine,
    engine: ChatEngine,
    clock: SettableClock,
    text: str,
    address: dict[str, Any] | None = None,
) -> list[str]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        _turn(engine, clock, text, address)
    finally:
        event.remove(db_engine, "before_cursor_execute", record)
    return seen


# Every statement of a turn, by the table it reads, in order: the identity with its person,
# whether the outbox holds anything for them, the person's roles (active pairs with programme,
# people and agreement; whether they supervise anyone), and for status the pair's goals,
# meetings and open tasks (they are not read with the pair: that costs more CPU, see
# storage.queries.load_goals_and_meetings).
_READS = {
    "help": ["platform_identity", "outbox", "mentorship", "person"],
    "status": ["platform_identity", "outbox", "mentorship", "person", "goal", "meeting", "task"],
}


def _tables(seen: list[str]) -> list[str]:
    return [s.split(" FROM ", 1)[1].split()[0].strip("(") for s in seen]


def _writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def _demo_engine(factory: sessionmaker[Session]) -> tuple[ChatEngine, SettableClock]:
    """The demo's people, onboarded, and an engine on a clock at the demo's start."""
    demo.seed(factory, demo.DEMO_START, "en")
    with transaction(factory) as session:
        for person in session.scalars(select(Person)):
            person.onboarded_at = demo.DEMO_START
    clock = SettableClock(demo.DEMO_START)
    return ChatEngine(factory, clock), clock


def test_a_status_or_help_turn_reads_roles_once_and_what_belongs_together_at_once(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    engine, clock = _demo_engine(factory)
    _turn(engine, clock, "hello")  # first contact: linked by email
    for text in ("status", "help"):
        seen = _statements(db_engine, engine, clock, text)
        supervises = [s for s in seen if "WHERE person.supervisor_id =" in s]
        assert len(supervises) == 1, (text, seen)  # the roles, read once per turn
        identities = [s for s in seen if "FROM platform_identity" in s]
        assert len(identities) == 1, (text, seen)
        assert "JOIN person" in identities[0], identities  # the person comes with it
        assert not [s for s in seen if s.startswith("UPDATE outbox")], seen  # nothing waits
        # the pair comes with its programme, both people and the agreement
        assert not [s for s in seen if s.startswith(("SELECT programme.", "SELECT agreement."))]
        assert not [s for s in seen if s.startswith("SELECT person.")], seen
        assert _tables(seen) == _READS[text], seen


def test_a_status_turn_soon_after_the_last_turn_writes_nothing(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    engine, clock = _demo_engine(factory)
    where = {"channel": "D1"}
    _turn(engine, clock, "hello", where)  # first contact: linked by email, seen now
    _turn(engine, clock, "status", where)
    clock.advance(timedelta(minutes=1))
    seen = _statements(db_engine, engine, clock, "status", where)
    assert not _writes(seen), seen  # last seen a minute ago, the same address


def test_last_seen_moves_once_it_is_stale_and_a_new_address_at_once(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    engine, clock = _demo_engine(factory)
    _turn(engine, clock, "hello", {"channel": "D1"})
    first = clock.now()
    clock.advance(timedelta(minutes=1))
    _turn(engine, clock, "status", {"channel": "D2"})  # moved: written although seen just now
    with factory() as session:
        seen = session.scalars(select(PlatformIdentity)).one()
        assert (seen.last_seen_at, seen.address) == (first, {"channel": "D2"})
    clock.advance(LAST_SEEN_EVERY)
    later = clock.now()
    _turn(engine, clock, "status", {"channel": "D2"})
    with factory() as session:
        seen = session.scalars(select(PlatformIdentity)).one()
        assert (seen.last_seen_at, seen.address) == (later, {"channel": "D2"})


def test_a_status_turn_builds_no_statement_anew(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement built per call (a lazy load is one) has its cache key computed on every
    execution, a tenth of a millisecond of CPU or more each; a turn's statements are built
    once. (The spy calls through to SQLAlchemy's own method; it only counts.)"""
    engine, clock = _demo_engine(factory)
    _turn(engine, clock, "hello")
    _turn(engine, clock, "status")  # the statements built once are keyed once
    built: list[str] = []
    keyed = HasCacheKey._generate_cache_key

    def spy(self: HasCacheKey) -> object:
        built.append(type(self).__name__)
        return keyed(self)

    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", spy)
    _turn(engine, clock, "status")
    assert built == []


def test_a_status_turn_with_an_event_id_flushes_no_object(
    factory: sessionmaker[Session],
) -> None:
    """The event id is a plain INSERT and a person seen a moment ago is not written: the
    session's unit of work (a tenth of a millisecond and more per flush) has nothing to do;
    the same event again is still a retry."""
    engine, clock = _demo_engine(factory)
    _turn(engine, clock, "hello")
    flushes: list[object] = []

    def flushed(session: Session, *_args: object) -> None:
        flushes.append(session)

    status = Inbound(
        platform="console",
        user=AINO,
        kind=InboundKind.TEXT,
        received_at=clock.now(),
        text="status",
        event_id="Ev1",
    )
    event.listen(factory, "after_flush", flushed)
    try:
        assert engine.handle(status)
    finally:
        event.remove(factory, "after_flush", flushed)
    assert flushes == []
    assert engine.handle(status) == []  # a retry
