"""Privacy rules 1 and 2 (design.md), proven per role: every person tries every command and
nothing private of someone else appears in what they are shown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.commands import COMMAND_WORDS
from storage.models import Meeting
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    OTHER_MENTOR,
    SUPERVISOR,
    Chat,
    agree,
    book,
    onboard,
)

EVERYONE = (ACTOR, MENTOR, SUPERVISOR, HR, OTHER_ACTOR, OTHER_MENTOR)

# Private content, by author. Each string is unique so a leak cannot hide.
PRIVATE = {
    ACTOR: ("actor-note-3f9", "actor-reflection-7c1", "actor-interim-comment-5d2"),
    MENTOR: ("mentor-note-8a4", "mentor-reflection-2b6"),
}
SHARED_BY_ACTOR = "actor-shared-reflection-9e0"


def _play_a_relationship_with_private_content(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, EVERYONE)
    agree(chat, share_goals="no")
    book(chat)
    with factory() as session:
        meetings = list(session.scalars(select(Meeting).order_by(Meeting.seq)))
    chat.console.advance(meetings[0].scheduled_at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="2", rapport="1", note=PRIVATE[ACTOR][0])
    chat.say(MENTOR, "check-in")
    chat.submit(MENTOR, held="yes", usefulness="5", rapport="2", note=PRIVATE[MENTOR][0])
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text=PRIVATE[ACTOR][1])
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text=SHARED_BY_ACTOR)
    chat.click(ACTOR, "Share with Mikko Laine")
    chat.say(MENTOR, "reflect")
    chat.submit(MENTOR, text=PRIVATE[MENTOR][1])
    middle = meetings[(len(meetings) + 1) // 2]
    chat.console.advance(middle.scheduled_at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "evaluate")
    chat.submit(
        ACTOR,
        goal1="2",
        goal2="1",
        relationship="1",
        cadence="too_often",
        realistic="no",
        comment=PRIVATE[ACTOR][2],
    )


def _every_command(chat: Chat, email: str) -> None:
    for name in COMMAND_WORDS:
        if name in ("language", "timezone"):
            continue
        chat.say(email, COMMAND_WORDS[name][0])
        for button in chat.console.last_buttons(email):  # follow what each command offers
            if button.action_id in ("pick", "schedule.ics", "goals.edit"):
                chat.press(email, button.action_id, button.value)


def test_no_one_sees_another_persons_private_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    for email in EVERYONE:
        _every_command(chat, email)
    for viewer in EVERYONE:
        seen = chat.everything_seen_by(viewer)
        for author, items in PRIVATE.items():
            for item in items:
                if viewer == author:
                    continue
                assert item not in seen, f"{viewer} saw {author}'s private {item!r}"


def test_a_shared_reflection_reaches_only_the_partner(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    for email in EVERYONE:
        _every_command(chat, email)
    for viewer in EVERYONE:
        visible = SHARED_BY_ACTOR in chat.everything_seen_by(viewer)
        assert visible == (viewer in (ACTOR, MENTOR)), viewer


def test_the_supervisor_sees_progress_but_no_ratings_and_no_goal_titles_unless_shared(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    _every_command(chat, SUPERVISOR)
    seen = chat.everything_seen_by(SUPERVISOR)
    assert "meetings held" in seen and "Next meeting" in seen
    for word in ("Rapport", "rapport", "useful", "Interim", "too_often", "Lead the weekly"):
        assert word not in seen, word


def test_hr_sees_pairs_by_phase_only(chat: Chat, factory: sessionmaker[Session]) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    _every_command(chat, HR)
    seen = chat.everything_seen_by(HR)
    assert "mentoring pairs" in seen
    for word in ("Lead the weekly", "Know our customers", "rapport"):
        assert word not in seen, word


def test_the_data_export_holds_only_the_persons_own_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    chat.say(ACTOR, "export my data")
    export = next(b for b in chat.messages(ACTOR)[-1].blocks if b.type == "attachment")
    assert all(item in export.content for item in PRIVATE[ACTOR])
    assert not any(item in export.content for item in PRIVATE[MENTOR])
    assert '"rapport": 1' in export.content and '"rapport": 2' not in export.content
