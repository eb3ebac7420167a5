"""What people type is understood on every surface: near misses, greetings, option labels in
their own language, bare hours, and a way out of a form."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations import commands, forms
from conversations.messages import Option
from conversations.texts import Texts
from storage.models import Agreement, DialogueState, Goal, Meeting
from tests.chat import ACTOR, MENTOR, Chat, agree, onboard

pytestmark = pytest.mark.no_sweeps  # what is typed is understood: no timing, no nudges


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Tila?", "status"),
        ("STATUS!", "status"),
        ("hello?", "greeting"),
        ("moi", "greeting"),
        ("?", "help"),
    ],
)
def test_case_and_trailing_punctuation_do_not_hide_a_command(typed: str, name: str) -> None:
    assert commands.parse(typed)[0] == name


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("staus", "status"),
        ("statsu", "status"),
        ("tavoiteet", "tavoitteet"),
        ("sopimsu", "sopimus"),
    ],
)
def test_a_near_miss_is_recognised_as_the_command_it_nearly_spells(typed: str, word: str) -> None:
    assert commands.parse(typed)[0] is None
    suggestion = commands.suggest(typed)
    assert suggestion is not None and suggestion[1] == word


def test_unrelated_text_is_no_near_miss() -> None:
    assert commands.suggest("what is the meaning of this") is None
    assert commands.suggest("ok") is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("10", time(10)), ("13", time(13)), ("9.30", time(9, 30)), ("klo 14", time(14))],
)
def test_a_bare_hour_is_a_time(typed: str, expected: time) -> None:
    assert forms.parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["24", "9.75", "noon", ""])
def test_what_is_not_a_time_stays_refused(typed: str) -> None:
    assert forms.parse_time(typed) is None


def test_an_option_is_named_by_its_label_in_any_case_and_spelling() -> None:
    options = [*forms.yes_no(Texts("fi")), Option(value="too_often", label="too often")]
    assert forms.match_option(options, "Ei") == "no"
    assert forms.match_option(options, "ei") == "no"
    assert forms.match_option(options, "KYLLÄ.") == "yes"
    assert forms.match_option(options, "too often") == "too_often"
    assert forms.match_option(options, "too_often") == "too_often"
    assert forms.match_option(options, "maybe") is None


def test_a_misspelt_command_gets_did_you_mean_with_a_button_that_runs_it(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    chat.say(ACTOR, "staus")
    assert "Did you mean *status*?" in chat.last(ACTOR)
    chat.click(ACTOR, "status")
    assert "Phase" in chat.text_seen_by(ACTOR).split("Did you mean")[-1]


def test_a_greeting_is_answered_with_a_greeting_and_the_next_step(chat: Chat) -> None:
    onboard(chat, [ACTOR], language="Suomi")
    mark = chat.mark()
    chat.say(ACTOR, "Moi!")
    seen = chat.since(ACTOR, mark)
    assert "Hei Aino!" in seen
    assert "Ehdota tavoitteita" in seen  # what waits for her
    assert "en ymmärtänyt" not in seen


def test_finnish_option_labels_are_understood_in_a_submitted_form(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR], language="Suomi")
    onboard(chat, [MENTOR])
    chat.click(ACTOR, "Ehdota tavoitteita")
    chat.submit(ACTOR, goal1="Johda suunnittelua", success1="Vedän sen itse", share_goals="Ei")
    with factory() as session:
        goal = session.scalars(select(Goal)).one()
        assert goal.title == "Johda suunnittelua"
        agreement = session.scalars(
            select(Agreement).where(Agreement.mentorship_id == goal.mentorship_id)
        ).one()
        assert agreement.share_goals_with_supervisor is False
    assert "Jotkin vastaukset" not in chat.last(ACTOR)


def test_a_bare_hour_books_the_meeting_series(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="2027-01-19", time="13")
    chat.click(ACTOR, "Book these meetings")
    with factory() as session:
        first = session.scalars(select(Meeting).order_by(Meeting.seq)).first()
        assert first is not None
        assert first.scheduled_at.hour == 11  # 13:00 in Helsinki


def test_cancel_leaves_the_form_and_saves_nothing(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR])
    chat.click(ACTOR, "Propose goals")
    chat.say(ACTOR, "/cancel")
    assert "You left the form *Mentoring agreement*" in chat.last(ACTOR)
    with factory() as session:
        assert session.scalars(select(DialogueState)).all() == []
        assert session.scalars(select(Goal)).all() == []
    chat.say(ACTOR, "cancel")
    assert "no open form" in chat.last(ACTOR)
