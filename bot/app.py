"""Composition: a database, the engine's clock, and a console wired to the outbox delivery."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.session import PLATFORM as CONSOLE
from adapters.console.session import ConsoleSession
from bot.delivery import deliver_due
from conversations.clock import SettableClock
from storage.db import make_engine, make_session_factory, upgrade


def open_database(url: str, migrate: bool = True) -> sessionmaker[Session]:
    """Bring the schema up to date (alembic) and return a session factory."""
    if migrate:
        upgrade(url)
    return make_session_factory(make_engine(url))


def console_session(
    factory: sessionmaker[Session], start: datetime, out: object = print
) -> ConsoleSession:
    """A console whose queued messages are delivered after every step and move of time."""
    console = ConsoleSession(factory, SettableClock(start), out)  # type: ignore[arg-type]

    def deliver() -> None:
        asyncio.run(
            deliver_due(
                factory, {CONSOLE: console.sender}, console.clock.now(), default_platform=CONSOLE
            )
        )

    console.after_step.append(deliver)
    return console
