"""Privacy rules 1 and 2 (design.md), proven per role: every person tries every command and
nothing private of someone else appears in what they are shown."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from conversations.commands import COMMAND_WORDS
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    SUPERVISOR,
    Chat,
    agree,
    book,
    onboard,
)
from tests.privacy.scenario import EVERYONE, PrivateContent, meet_reflect_and_evaluate

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
    meet_reflect_and_evaluate(
        chat,
        factory,
        PrivateContent(
            actor_note=PRIVATE[ACTOR][0],
            mentor_note=PRIVATE[MENTOR][0],
            actor_reflection=PRIVATE[ACTOR][1],
            shared_reflection=SHARED_BY_ACTOR,
            mentor_reflection=PRIVATE[MENTOR][1],
            interim_comment=PRIVATE[ACTOR][2],
        ),
        goals={"goal1": "2", "goal2": "1"},
    )


def _every_command(chat: Chat, email: str) -> None:
    for name in COMMAND_WORDS:
        if name in ("language", "timezone"):
            continue
        chat.say(email, COMMAND_WORDS[name][0])
        for button in chat.console.last_buttons(email):  # follow what each command offers
            if button.action_id in ("pick", "schedule.ics", "goals.edit"):
                chat.press(email, button.action_id, button.value)


def seen_by(chat: Chat, viewer: str) -> str:
    """Everything ``viewer`` was shown, with a positive control: it holds their answer to
    ``privacy`` (every viewer ran every command), so an empty read cannot pass as no leak."""
    seen = chat.everything_seen_by(viewer)
    assert "What stays private" in seen, f"nothing of what {viewer} was shown was read"
    return seen


def test_no_one_sees_another_persons_private_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    for email in EVERYONE:
        _every_command(chat, email)
    for viewer in EVERYONE:
        seen = seen_by(chat, viewer)
        for author, items in PRIVATE.items():
            for item in items:
                if viewer == author:
                    continue
                assert item not in seen, f"{viewer} saw {author}'s private {item!r}"
    # positive control: the reflections each author wrote are shown back to them
    assert PRIVATE[ACTOR][1] in seen_by(chat, ACTOR)
    assert PRIVATE[MENTOR][1] in seen_by(chat, MENTOR)


def test_a_shared_reflection_reaches_only_the_partner(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    for email in EVERYONE:
        _every_command(chat, email)
    for viewer in EVERYONE:
        visible = SHARED_BY_ACTOR in seen_by(chat, viewer)
        assert visible == (viewer in (ACTOR, MENTOR)), viewer


def test_the_supervisor_sees_progress_but_no_ratings_and_no_goal_titles_unless_shared(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    _every_command(chat, SUPERVISOR)
    seen = seen_by(chat, SUPERVISOR)
    assert "meetings held" in seen and "Next meeting" in seen
    for word in ("Rapport", "rapport", "useful", "Interim", "too_often", "Lead the weekly"):
        assert word not in seen, word


def test_hr_sees_pairs_by_phase_only(chat: Chat, factory: sessionmaker[Session]) -> None:
    _play_a_relationship_with_private_content(chat, factory)
    _every_command(chat, HR)
    seen = seen_by(chat, HR)
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
