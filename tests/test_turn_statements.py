"""What one turn reads: the person's roles once, the identity with its person in one
statement, the pair with its programme, people and agreement in one, and no outbox write when
nothing waits for the person."""

from __future__ import annotations

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from conversations.clock import SettableClock
from conversations.engine import Engine as ChatEngine
from conversations.messages import Inbound, InboundKind
from storage.db import transaction
from storage.models import Person

AINO = "aino@demo.example"


def _turn(engine: ChatEngine, clock: SettableClock, text: str) -> None:
    replies = engine.handle(
        Inbound(
            platform="console",
            user=AINO,
            email=AINO,
            kind=InboundKind.TEXT,
            received_at=clock.now(),
            text=text,
        )
    )
    assert replies


def _statements(
    db_engine: Engine, engine: ChatEngine, clock: SettableClock, text: str
) -> list[str]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        _turn(engine, clock, text)
    finally:
        event.remove(db_engine, "before_cursor_execute", record)
    return seen


def test_a_status_or_help_turn_reads_roles_once_and_what_belongs_together_at_once(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    demo.seed(factory, demo.DEMO_START, "en")
    with transaction(factory) as session:
        for person in session.scalars(select(Person)):
            person.onboarded_at = demo.DEMO_START
    clock = SettableClock(demo.DEMO_START)
    engine = ChatEngine(factory, clock)
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
