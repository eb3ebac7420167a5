"""Storage: the migrations build exactly the models' schema; constraints hold in the database."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.sweep.rows import SWEEP_LOCK_ID
from storage.db import make_engine, transaction
from storage.dialect import advisory_xact_lock
from storage.models import Base, Mentorship, Outbox, Person, Phase
from tests.databases import pg_url

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 1, 11, 7, 0, tzinfo=UTC)


def test_migrations_create_exactly_the_schema_of_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_datetimes_come_back_aware_in_utc(factory: sessionmaker[Session]) -> None:
    helsinki_noon = datetime(2027, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    with transaction(factory) as session:
        session.add(Person(email="a@example.com", name="A", created_at=helsinki_noon))
    with factory() as session:
        stored = session.scalars(select(Person.created_at)).one()
    assert stored == helsinki_noon and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)


def test_sqlite_keeps_utc_datetimes_as_sqlalchemy_writes_them_and_reads_any_text_as_utc(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'order.db'}")
    Base.metadata.create_all(engine)
    whole = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    fraction = datetime(2027, 6, 1, 12, 0, 0, 250, tzinfo=timezone(timedelta(hours=3)))
    with Session(engine) as session, session.begin():
        session.add_all(
            [
                Person(email="w@example.com", name="W", created_at=whole),
                Person(email="f@example.com", name="F", created_at=fraction),
            ]
        )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT created_at FROM person ORDER BY email")).scalars()
        assert list(stored) == ["2027-06-01 09:00:00.000250", "2027-06-01 09:00:00.000000"]
        # a row written by another tool, with its own offset, still reads back in UTC
        conn.execute(text("UPDATE person SET created_at = '2027-06-01T12:00:00+03:00'"))
        later = conn.execute(select(Person.created_at).where(Person.created_at >= whole)).scalars()
        assert set(later) == {whole}
        conn.execute(text("UPDATE person SET created_at = '2027-06-01'"))  # a date alone
        midnight = conn.execute(select(Person.created_at)).scalars().first()
        assert midnight == datetime(2027, 6, 1, tzinfo=UTC) and midnight.tzinfo is not None
    engine.dispose()


def test_naive_datetimes_are_rejected(factory: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive"), transaction(factory) as session:
        session.add(Person(email="a@example.com", name="A", created_at=datetime(2027, 1, 1)))


def test_the_database_allows_one_active_mentorship_per_actor_per_programme(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        programme = admin.create_programme(session, NOW, "P", "", admin.ProgrammeFrame())
        a = admin.add_person(session, NOW, "a@example.com", "A")
        b = admin.add_person(session, NOW, "b@example.com", "B")
        c = admin.add_person(session, NOW, "c@example.com", "C")
        admin.add_pair(session, NOW, "P", b.email or "", a.email or "")
        programme_id, a_id, c_id = programme.id, a.id, c.id
    with pytest.raises(IntegrityError), transaction(factory) as session:
        session.add(
            Mentorship(
                programme_id=programme_id,
                mentor_id=c_id,
                actor_id=a_id,
                phase=Phase.START,
                created_at=NOW,
            )
        )
    with transaction(factory) as session:  # a closed one does not count
        session.execute(Mentorship.__table__.update().values(phase=Phase.CLOSED))
        session.add(
            Mentorship(
                programme_id=programme_id,
                mentor_id=c_id,
                actor_id=a_id,
                phase=Phase.START,
                created_at=NOW,
            )
        )


def test_outbox_rows_are_written_once_per_dedupe_key(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        person = admin.add_person(session, NOW, "a@example.com", "A")
        rows = [
            outbox_row(
                person_id=person.id,
                kind="test",
                message=Message().text("hi"),
                dedupe_key=key,
                due_at=NOW,
                now=NOW,
            )
            for key in ("k1", "k2", "k1")
        ]
        assert insert_ignoring_duplicates(session, rows[:2]) == 2
        assert insert_ignoring_duplicates(session, rows[2:]) == 0
    with factory() as session:
        assert sorted(session.scalars(select(Outbox.dedupe_key))) == ["k1", "k2"]
        payload = session.scalars(select(Outbox.payload)).first()
    assert Message.model_validate(payload).plain_text() == "hi"


def test_admin_refuses_unknown_people_self_mentoring_and_a_second_active_pair(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        admin.create_programme(session, NOW, "P", "", admin.ProgrammeFrame())
        admin.add_person(session, NOW, "a@example.com", "A")
        admin.add_person(session, NOW, "b@example.com", "B")
        admin.add_pair(session, NOW, "P", "b@example.com", "a@example.com")
    cases = [
        (("P", "nobody@example.com", "a@example.com"), "unknown person"),
        (("P", "a@example.com", "a@example.com"), "cannot mentor themselves"),
        (("P", "b@example.com", "a@example.com"), "already has an active mentorship"),
        (("Q", "b@example.com", "a@example.com"), "unknown programme"),
    ]
    for args, message in cases:
        with pytest.raises(admin.AdminError, match=message), transaction(factory) as session:
            admin.add_pair(session, NOW, *args)
    with (
        pytest.raises(admin.AdminError, match="unknown supervisor"),
        transaction(factory) as session,
    ):
        admin.add_person(session, NOW, "c@example.com", "C", supervisor_email="x@example.com")
    with pytest.raises(admin.AdminError, match="3–12"), transaction(factory) as session:
        admin.create_programme(session, NOW, "R", "", admin.ProgrammeFrame(duration_months=24))


def test_the_sweep_lock_is_one_per_schema_so_deployments_in_one_database_do_not_wait(
    database_url: str,
) -> None:
    """Two schemas of one PostgreSQL database each have their own sweep lock; inside one
    schema a second holder is refused."""
    base = pg_url()
    if base is None or not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's advisory locks")
    schema = f"mentorbot_lock_{os.getpid()}"
    admin_engine = create_engine(make_engine(base).url)
    with admin_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    other_schema = make_engine(f"{base}{separator}options=-csearch_path%3D{schema}")
    ours, ours_too = make_engine(database_url), make_engine(database_url)
    try:
        with Session(ours) as first, first.begin():
            assert advisory_xact_lock(first, SWEEP_LOCK_ID)
            with Session(other_schema) as elsewhere, elsewhere.begin():
                assert advisory_xact_lock(elsewhere, SWEEP_LOCK_ID)
            with Session(ours_too) as second, second.begin():
                assert not advisory_xact_lock(second, SWEEP_LOCK_ID)
    finally:
        for engine in (ours, ours_too, other_schema):
            engine.dispose()
        with admin_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin_engine.dispose()
