"""Operators' listings read a whole table in a fixed number of statements, however many rows
it has: ``pairs list`` and ``programme list`` on a deployment with thousands of pairs must not
ask the database once per pair."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.directory_admin import pairs_listing, programmes_listing
from testsupport.seed import seed_pairs

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


def _statements(engine: Engine, factory: sessionmaker[Session], read: str) -> tuple[int, int]:
    """(statements, rows) of one listing."""
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with factory() as session, session.begin():
            listing = (
                pairs_listing(session, START, "cli", None, None)
                if read == "pairs"
                else programmes_listing(session)
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    return len(selects), len(listing.rows)


def test_pairs_and_programme_listings_take_the_same_statements_for_3_and_23_pairs(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 3, START, name_prefix="a ")
    few = {read: _statements(db_engine, factory, read) for read in ("pairs", "programmes")}
    seed_pairs(db_engine, 20, START, name_prefix="b ")
    many = {read: _statements(db_engine, factory, read) for read in ("pairs", "programmes")}
    assert few["pairs"][1] == 3 and many["pairs"][1] == 23
    assert few["programmes"][1] == 1 and many["programmes"][1] == 2
    assert many["pairs"][0] == few["pairs"][0]
    assert many["programmes"][0] == few["programmes"][0] == 1
