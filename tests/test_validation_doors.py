"""People, programmes and pairs are judged by one set of rules (``conversations.validation``)
whichever door they come through: the chat, the CLI's admin operations or the CSV import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from bot.hr_import import import_pairs, import_people
from conversations.pairing import PairingError, create_mentorship
from conversations.validation import (
    Invalid,
    PairFacts,
    PersonIn,
    ProgrammeIn,
    Reason,
    check_pair,
    parse,
)
from storage.db import transaction
from storage.models import Mentorship, Person, Programme
from tests.chat import ACTOR, HR, MENTOR, SUPERVISOR, Chat, onboard

pytestmark = pytest.mark.no_sweeps

PEOPLE_HEADER = b"email,name,supervisor_email\n"
PAIRS_HEADER = b"programme,mentor_email,actor_email\n"


def test_check_pair_gives_every_reason_a_pair_is_refused() -> None:
    assert check_pair(PairFacts(mentor_id=1, actor_id=2, actor_supervisor_id=3)) == []
    assert check_pair(PairFacts(1, 1, None)) == [Reason.SELF_PAIR]
    assert check_pair(PairFacts(1, 2, 1, current_mentor_id=4)) == [
        Reason.MENTOR_SUPERVISES_ACTOR,
        Reason.ALREADY_PAIRED,
    ]
    replacing = PairFacts(4, 2, None, current_mentor_id=4, replacing_mentor_id=4)
    assert check_pair(replacing) == [Reason.SAME_MENTOR]
    assert check_pair(PairFacts(5, 2, None, current_mentor_id=4, replacing_mentor_id=4)) == []


def test_the_models_name_each_refused_field() -> None:
    with pytest.raises(Invalid) as err:
        parse(PersonIn, {"email": "a@b", "name": "", "locale": "sv", "timezone": "Mars/Base"})
    assert err.value.reasons() == [
        Reason.BAD_EMAIL,
        Reason.BAD_NAME,
        Reason.BAD_LOCALE,
        Reason.BAD_TIMEZONE,
    ]
    with pytest.raises(Invalid) as err:
        parse(
            PersonIn, {"email": "c@example.com", "name": "C", "supervisor_email": "C@example.com"}
        )
    assert err.value.reasons() == [Reason.OWN_SUPERVISOR]
    with pytest.raises(Invalid) as err:
        parse(ProgrammeIn, {"name": "P", "duration_months": "six", "max_actors_per_mentor": 11})
    assert err.value.reasons() == [Reason.BAD_DURATION, Reason.BAD_MAX_ACTORS]
    person = parse(PersonIn, {"email": " Aino@Example.COM ", "name": " Aino "})
    assert (person.email, person.name, person.timezone) == (
        "aino@example.com",
        "Aino",
        "Europe/Helsinki",
    )


def _second_programme(factory: sessionmaker[Session], chat: Chat) -> int:
    with transaction(factory) as session:
        p = admin.create_programme(
            session, chat.console.clock.now(), "Second", "", admin.ProgrammeFrame()
        )
        return p.id


def _pairs_in(factory: sessionmaker[Session], programme_id: int) -> int:
    with factory() as session:
        return int(
            session.scalar(
                select(func.count(Mentorship.id)).where(Mentorship.programme_id == programme_id)
            )
            or 0
        )


def test_a_supervisor_made_mentor_of_their_own_report_is_refused_at_every_door(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR])
    second = _second_programme(factory, chat)
    now = chat.console.clock.now()

    chat.say(HR, "pair")
    chat.submit(HR, programme=str(second), mentor=SUPERVISOR, actor=ACTOR)
    assert "Sanna Koskinen is Aino Virtanen's supervisor" in chat.last(HR)

    with (
        pytest.raises(admin.AdminError, match="cannot mentor their own report"),
        transaction(factory) as session,
    ):
        admin.add_pair(session, now, "Second", SUPERVISOR, ACTOR)

    with transaction(factory) as session:
        report = import_pairs(
            session, now, PAIRS_HEADER + f"Second,{SUPERVISOR},{ACTOR}\n".encode()
        )
    assert not report.written
    assert [line for line, _ in report.errors] == [2]
    assert "cannot mentor their own report" in report.errors[0][1]

    with pytest.raises(PairingError) as refused, transaction(factory) as session:
        supervisor = session.scalars(select(Person).where(Person.email == SUPERVISOR)).one()
        actor = session.scalars(select(Person).where(Person.email == ACTOR)).one()
        create_mentorship(session, now, session.get(Programme, second), supervisor, actor)  # type: ignore[arg-type]
    assert refused.value.reasons == [Reason.MENTOR_SUPERVISES_ACTOR]
    assert _pairs_in(factory, second) == 0


def test_an_email_without_a_domain_is_refused_by_the_cli_as_by_the_import(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    with (
        pytest.raises(admin.AdminError, match="'a@b' is not an email address"),
        transaction(factory) as session,
    ):
        admin.add_person(session, now, "a@b", "A")
    with transaction(factory) as session:
        report = import_people(session, now, PEOPLE_HEADER + b"a@b,A,\n")
    assert report.errors == [(2, "'a@b' is not an email address")]


def test_someone_named_their_own_supervisor_is_refused_by_the_cli_as_by_the_import(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    with (
        pytest.raises(admin.AdminError, match="cannot be their own supervisor"),
        transaction(factory) as session,
    ):
        admin.add_person(session, now, "c@example.com", "C", supervisor_email="c@example.com")
    with transaction(factory) as session:
        report = import_people(session, now, PEOPLE_HEADER + b"c@example.com,C,c@example.com\n")
    assert report.errors == [(2, "a person cannot be their own supervisor")]


def test_a_mentor_limit_over_ten_is_refused_in_chat_as_on_the_cli(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR])
    chat.say(HR, "new programme")
    chat.submit(HR, name="Big", duration="6", interval="14", max_actors="11")
    assert "whole number from 1 to 10" in chat.last(HR)
    with pytest.raises(admin.AdminError, match="1–10 actors"), transaction(factory) as session:
        admin.create_programme(
            session,
            chat.console.clock.now(),
            "Big",
            "",
            admin.ProgrammeFrame(max_actors_per_mentor=11),
        )
    with factory() as session:
        assert session.scalar(select(func.count()).where(Programme.name == "Big")) == 0


def test_making_the_mentor_of_a_report_their_supervisor_is_refused_as_the_pairing_is(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from bot.directory_admin import PersonChanges, update_person

    with (
        pytest.raises(admin.AdminError, match="a supervisor cannot mentor their own report"),
        transaction(factory) as session,
    ):
        update_person(
            session, chat.console.clock.now(), "cli", ACTOR, PersonChanges(supervisor=MENTOR)
        )
    with factory() as session:
        actor = session.scalars(select(Person).where(Person.email == ACTOR)).one()
        assert actor.supervisor is not None and actor.supervisor.email == SUPERVISOR
