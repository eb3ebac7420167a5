"""GDPR (privacy rule 5): export by CLI, confirmed and audited erasure that keeps anonymous
counts, and the retention purge of closed relationships' content."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from bot.hr_cli import run
from bot.settings import get_settings
from conversations.erasure import purge_closed_content
from conversations.hr_admin import end_mentorship
from storage.db import transaction
from storage.models import (
    AuditLog,
    CheckIn,
    Evaluation,
    Goal,
    Meeting,
    Mentorship,
    Person,
    PlatformIdentity,
    Reflection,
)
from tests.chat import ACTOR, HR, MENTOR, Chat
from tests.test_privacy_roles import PRIVATE, _play_a_relationship_with_private_content

pytestmark = pytest.mark.postgres


def _run(url: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    parser_args = cli.build_parser().parse_args(["--database-url", url, *args])
    factory = cli.open_database(url)
    code = run(
        parser_args, factory, get_settings(), datetime.now(UTC), out, err, io.StringIO(stdin)
    )
    return code, out.getvalue(), err.getvalue()


def _count(factory: sessionmaker[Session], model: type, **where: object) -> int:
    with factory() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(session.scalar(stmt) or 0)


def _id(factory: sessionmaker[Session], email: str) -> int:
    with factory() as session:
        return session.scalars(select(Person.id).where(Person.email == email)).one()


def test_gdpr_export_by_cli_holds_the_persons_own_content_and_is_audited(
    chat: Chat, factory: sessionmaker[Session], database_url: str
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    code, out, _err = _run(database_url, "gdpr", "export", ACTOR, "--as", HR)
    assert code == 0
    data = json.loads(out)
    assert data["person"]["email"] == ACTOR
    assert all(item in out for item in PRIVATE[ACTOR])
    assert not any(item in out for item in PRIVATE[MENTOR])
    with factory() as session:
        log = session.scalars(select(AuditLog).where(AuditLog.action == "gdpr.export")).one()
        assert (log.actor, log.subject_person_id) == (HR, _id(factory, ACTOR))


def test_gdpr_erase_needs_confirmation_and_keeps_only_anonymous_counts(
    chat: Chat, factory: sessionmaker[Session], database_url: str
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    actor_id = _id(factory, ACTOR)
    meetings_before = _count(factory, Meeting)
    code, _out, err = _run(database_url, "gdpr", "erase", ACTOR, stdin="wrong@example.com\n")
    assert code == 1 and "nothing was erased" in err
    assert _count(factory, Reflection, person_id=actor_id) == 2

    code, out, _err = _run(database_url, "gdpr", "erase", ACTOR, stdin=f"{ACTOR}\n")
    assert code == 0 and f"erased {ACTOR}" in out
    for model in (CheckIn, Reflection, Evaluation, PlatformIdentity):
        assert _count(factory, model, person_id=actor_id) == 0, model
    assert _count(factory, Reflection) == 1  # the mentor's own reflection stays theirs
    assert _count(factory, Meeting) == meetings_before  # anonymous counts stay
    with factory() as session:
        person = session.get(Person, actor_id)
        assert person is not None and person.email is None and person.erased_at is not None
        assert person.name == "(erased)"
        goals = set(session.scalars(select(Goal.title)))
        assert goals == {"–"}
        m = session.scalars(select(Mentorship).where(Mentorship.actor_id == actor_id)).one()
        assert m.phase == "cancelled"
        log = session.scalars(select(AuditLog).where(AuditLog.action == "gdpr.erase")).one()
        assert log.detail["reflections"] == 2 and log.subject_person_id == actor_id
    chat.say(ACTOR, "status")  # the erased person is a stranger to the bot now
    assert "I don't find you among the programme's participants" in chat.last(ACTOR)
    code, _out, err = _run(database_url, "gdpr", "erase", ACTOR, "--yes")
    assert code == 1 and "unknown person" in err


def test_retention_purge_deletes_content_of_long_closed_relationships_only(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    now = chat.console.clock.now()
    with transaction(factory) as session:
        m = session.get(Mentorship, 1)
        assert m is not None
        end_mentorship(session, now, "test", m, "ended for the test")
    with transaction(factory) as session:
        assert purge_closed_content(session, now + timedelta(days=29), 30).mentorships == 0
    assert _count(factory, Reflection) == 3
    with transaction(factory) as session:
        purge = purge_closed_content(session, now + timedelta(days=31), 30)
    assert purge.reflections == 3 and purge.check_in_notes == 2 and purge.evaluation_texts == 1
    with factory() as session:
        assert set(session.scalars(select(CheckIn.note))) == {None}
        assert sorted(session.scalars(select(CheckIn.rapport))) == [1, 2]  # numbers stay
        assert set(session.scalars(select(Goal.title).where(Goal.mentorship_id == 1))) == {"–"}
        # the other pair (not closed) keeps everything
        assert session.scalar(select(func.count(Mentorship.id)).where(Mentorship.phase == "start"))
    with transaction(factory) as session:
        assert purge_closed_content(session, now + timedelta(days=40), 30).reflections == 0
    with transaction(factory) as session:
        assert purge_closed_content(session, now + timedelta(days=400), 0).mentorships == 0


@pytest.mark.parametrize("command", [("gdpr", "export", "nobody@example.com")])
def test_gdpr_commands_refuse_unknown_people(database_url: str, command: tuple[str, ...]) -> None:
    code, _out, err = _run(database_url, *command)
    assert code == 1 and "unknown person nobody@example.com" in err


def test_the_sweep_applies_the_content_retention(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from bot.clock import run_sweep

    _play_a_relationship_with_private_content(chat, factory)
    now = chat.console.clock.now()
    with transaction(factory) as session:
        m = session.get(Mentorship, 1)
        assert m is not None
        end_mentorship(session, now, "test", m, "ended for the test")
    assert get_settings().content_retention_days == 365
    run_sweep(factory, now + timedelta(days=364))
    assert _count(factory, Reflection) == 3
    run_sweep(factory, now + timedelta(days=366))
    assert _count(factory, Reflection) == 0
    with factory() as session:
        log = session.scalars(
            select(AuditLog).where(AuditLog.action == "gdpr.retention_purge")
        ).one()
        assert log.actor == "retention" and log.detail["reflections"] == 3
