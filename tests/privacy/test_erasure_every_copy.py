"""Erasure and the retention purge reach every copy of the content (privacy rule 5): the
outbox's delivered messages, audit details, end reasons and drafts included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import run_sweep
from bot.settings import get_settings
from conversations.erasure import erase_person, prune_outbox_content
from storage.db import transaction
from storage.models import Mentorship, Outbox, OutboxStatus, Person
from tests.chat import ACTOR, HR, MENTOR, Chat
from tests.privacy.scenario import ACTOR_NAME, MARK, found, play


def _erase(chat: Chat, factory: sessionmaker[Session], email: str) -> None:
    with transaction(factory) as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        erase_person(session, chat.console.clock.now(), "operator", person)


def test_the_scenario_plants_every_marker_in_the_database(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    play(chat, factory)
    everything = (*MARK.actor, *MARK.mentor, *MARK.hr)
    assert set(found(factory, *everything)) == set(everything)


def test_erasing_the_actor_leaves_no_marker_name_or_email_of_theirs_anywhere(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    play(chat, factory)
    shared = MARK.actor[5]
    assert found(factory, shared)[shared], "the shared reflection reached the partner's outbox"
    theirs = (*MARK.actor, *MARK.hr, ACTOR_NAME, "Virtanen", ACTOR)
    assert set(found(factory, *theirs)) == set(theirs), "positive control: all there before"

    _erase(chat, factory, ACTOR)

    assert found(factory, *theirs) == {}
    assert found(factory, MARK.mentor[2], MENTOR), "positive control: the partner's stay"


def test_erasing_an_hr_coordinator_removes_their_email_as_audit_actor_and_alert_handler(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    play(chat, factory)
    assert found(factory, HR)[HR]

    _erase(chat, factory, HR)

    assert found(factory, HR, "Helena Niemi") == {}


def test_the_retention_purge_of_a_closed_pair_leaves_no_content_of_either_person(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    play(chat, factory)
    days = get_settings().content_retention_days
    with factory() as session:
        closed_at = session.scalars(
            select(Mentorship.closed_at).where(Mentorship.end_reason.is_not(None))
        ).one()
    assert closed_at is not None

    run_sweep(factory, closed_at + timedelta(days=days + 1))

    assert found(factory, *MARK.actor, *MARK.mentor, *MARK.hr) == {}


def test_sent_rows_keep_their_key_kind_status_and_times_but_no_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    play(chat, factory)
    with transaction(factory) as session:
        prune_outbox_content(session, chat.console.clock.now())
    with factory() as session:
        sent = list(session.scalars(select(Outbox).where(Outbox.status == OutboxStatus.SENT)))
    assert sent
    assert all(r.payload == {} and r.dedupe_key and r.kind and r.sent_at for r in sent)
    with factory() as session:
        finished = list(
            session.scalars(
                select(Outbox).where(Outbox.status.in_([OutboxStatus.SENT, OutboxStatus.CANCELLED]))
            )
        )
    assert finished, "positive control: the rows read are there"
    assert all(r.payload == {} for r in finished)
