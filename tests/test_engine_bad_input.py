"""Bad input gets a clear, friendly reply and changes nothing; restarts lose nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.clock import SettableClock
from conversations.engine import Engine
from conversations.messages import Inbound, InboundKind
from storage.models import (
    Agreement,
    CheckIn,
    DialogueState,
    Goal,
    Mentorship,
    ProcessedEvent,
    Reflection,
)
from tests.chat import ACTOR, MENTOR, Chat, agree, book, onboard

pytestmark = [pytest.mark.postgres, pytest.mark.no_sweeps]


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_goal_over_200_characters_is_refused_and_the_rest_of_the_form_is_kept(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="x" * 201, success1="Clear success", duration="6", share_goals="no")
    form = chat.console.last_form(ACTOR)
    assert "under 200 characters" in form.errors["goal1"]
    assert form.values["success1"] == "Clear success"
    assert _count(factory, Goal) == 0


def test_a_duration_of_24_months_is_refused(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, [ACTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead", success1="Alone", duration="24", share_goals="no")
    assert "from 3 to 12" in chat.console.last_form(ACTOR).errors["duration"]
    with factory() as session:
        assert session.scalars(select(Agreement.terms_set)).first() is False


def test_a_rating_of_7_is_refused_and_nothing_is_recorded(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    book(chat)
    chat.console.advance(datetime(2027, 1, 19, 15, tzinfo=UTC) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="7", rapport="4", note="kept")
    form = chat.console.last_form(ACTOR)
    assert "1 to 5" in form.errors["usefulness"]
    assert form.values["rapport"] == "4" and form.values["note"] == "kept"
    assert _count(factory, CheckIn) == 0


def test_impossible_and_past_dates_are_refused(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="31.2.2027", time="14:00")
    assert "not a date" in chat.console.last_form(ACTOR).errors["date"]
    chat.submit(ACTOR, date="2026-12-01", time="14:00")
    assert "in the past" in chat.console.last_form(ACTOR).errors["date"]
    chat.submit(ACTOR, date="2027-01-19", time="25:00")
    assert "14:00" in chat.console.last_form(ACTOR).errors["time"]
    with factory() as session:
        assert not session.scalars(select(Mentorship)).first().meetings  # type: ignore[union-attr]


def test_reflections_over_4000_characters_are_refused(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text="y" * 4001)
    assert "under 4000 characters" in chat.console.last_form(ACTOR).errors["text"]
    assert _count(factory, Reflection) == 0


def test_unknown_text_gets_help(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    chat.say(ACTOR, "what is the meaning of this")
    seen = chat.text_seen_by(ACTOR)
    assert "didn't understand" in seen
    assert "status" in chat.messages(ACTOR)[-2].plain_text()


def test_an_unknown_button_is_a_polite_stale_reply(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    chat.press(ACTOR, "no.such.action", "1")
    assert "no longer valid" in chat.last(ACTOR)
    chat.press(ACTOR, "agreement.accept", "not-a-number")  # not a value the bot made
    assert "no longer valid" in chat.last(ACTOR)


def test_a_forged_form_for_someone_elses_mentorship_is_refused(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR])
    with factory() as session:
        other = session.scalars(
            select(Mentorship).where(Mentorship.actor.has(email="olli@example.com"))
        ).one()
    chat.send_form(
        ACTOR,
        "agreement.draft",
        str(other.id),
        goal1="Hijack",
        success1="x",
        duration="6",
        share_goals="yes",
    )
    assert "someone else's" in chat.last(ACTOR)
    assert _count(factory, Goal) == 0


def test_an_unfinished_form_survives_a_restart_and_comes_back_with_its_values(
    chat: Chat, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    onboard(chat, [ACTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead planning", success1="", duration="6", share_goals="no")
    assert _count(factory, DialogueState) == 1
    # A new engine and console, as after a process restart: only the database remains.
    from tests.chat import make_chat

    restarted = make_chat(factory, chat.console.clock.now())
    restarted.say(ACTOR, "where was I")
    form = restarted.console.last_form(ACTOR)
    assert form.form_id == "agreement.draft"
    assert form.values["goal1"] == "Lead planning"
    assert "unfinished form" in restarted.text_seen_by(ACTOR)


def test_a_retried_platform_event_is_processed_once(
    chat: Chat, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    onboard(chat, [ACTOR])
    engine = Engine(factory, chat.console.clock)
    event = Inbound(
        platform="console",
        user=ACTOR,
        email=ACTOR,
        kind=InboundKind.TEXT,
        text="status",
        event_id="Ev123",
        received_at=chat.console.clock.now(),
    )
    assert engine.handle(event)
    assert engine.handle(event) == []
    assert _count(factory, ProcessedEvent) == 1


def test_a_timezone_that_is_not_a_zone_is_refused_politely(chat: Chat) -> None:
    chat.say(ACTOR, "hello")
    chat.click(ACTOR, "English")
    for bad in ("Europe", "/etc/passwd", "../x", "a" * 300, "Mars/Olympus"):
        chat.submit(ACTOR, timezone=bad)
        assert "don't know that timezone" in chat.console.last_form(ACTOR).errors["timezone"]
    chat.submit(ACTOR, timezone="Europe/Stockholm")
    assert "As an actor" in chat.text_seen_by(ACTOR)


def test_two_first_messages_at_once_link_the_person_once_without_an_error(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    import threading

    from storage.models import PlatformIdentity

    engines = [Engine(factory, chat.console.clock) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    replies: list[str] = []

    def first_contact(engine: Engine, n: int) -> None:
        barrier.wait()
        for outbound in engine.handle(
            Inbound(
                platform="slack",
                user="U123",
                email=ACTOR,
                kind=InboundKind.TEXT,
                text="hello",
                event_id=f"Ev{n}",
                received_at=chat.console.clock.now(),
            )
        ):
            replies.append(outbound.message.plain_text())

    threads = [threading.Thread(target=first_contact, args=(e, n)) for n, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any("something went wrong" in r for r in replies)
    assert _count(factory, PlatformIdentity) == 1
