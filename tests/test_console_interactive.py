"""The interactive console: numbered buttons, forms asked field by field, switching person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.interactive import run_interactive
from adapters.console.render import render
from adapters.console.session import ConsoleError
from conversations.messages import Button, Form, Input, Message, Option
from storage.models import Agreement, Goal
from tests.chat import ACTOR, MENTOR, Chat, onboard


def _reader(answers: list[str]) -> tuple[list[str], object]:
    prompts: list[str] = []
    feed: Iterator[str] = iter(answers)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        return next(feed)

    return prompts, read


def test_a_person_onboards_by_number_and_enter_and_switches_to_someone_else(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    prompts, read = _reader(["2", "", "/who", "/time +1d", f"/as {MENTOR}", "/quit"])
    chat.console.say(ACTOR, "hello")
    run_interactive(
        chat.console,
        ACTOR,
        lambda: [(ACTOR, "Aino"), (MENTOR, "Mikko")],
        "Europe/Helsinki",
        read=read,
    )  # type: ignore[arg-type]
    output = "\n".join(chat.lines)
    assert "As an actor" in output  # the timezone form was submitted with the kept value
    assert "Europe/Helsinki" in "".join(prompts)
    assert "Mikko" in output and "Tue 2027-01-12" in output
    assert prompts[-1].startswith(f"\n[{MENTOR}]")


def test_console_rendering_numbers_buttons_and_lists_form_fields() -> None:
    message = (
        Message()
        .text("Hello *there*")
        .buttons(Button(action_id="a", label="Yes"), Button(action_id="b", label="No"))
        .add(
            Form(
                form_id="f",
                title="Tell me",
                inputs=[
                    Input(
                        name="mood",
                        label="Mood",
                        kind="select",
                        options=[Option(value="ok", label="OK")],
                    )
                ],
                submit_label="Send",
                errors={"mood": "Pick one"},
            )
        )
    )
    text = render(message)
    assert "[1] Yes   [2] No" in text
    assert "mood: Mood (select, ok)" in text
    assert "⚠ Pick one" in text


def test_a_number_presses_only_a_button_shown_since_the_person_last_acted(chat: Chat) -> None:
    chat.say(ACTOR, "hello")  # the language question: [1] Suomi [2] English
    chat.console.deliver()  # the welcome notice arrives after it
    screen = "\n".join(chat.lines)
    assert "[1] Suomi   [2] English" in screen and "[3] Propose goals" in screen
    chat.click(ACTOR, "2")
    chat.submit(ACTOR, timezone="Europe/Helsinki")
    assert chat.console.last_buttons(ACTOR)[0].label == "Propose goals"
    chat.say(ACTOR, "privacy")  # a reply without buttons: nothing is numbered now
    try:
        chat.click(ACTOR, "1")
    except ConsoleError as err:
        assert "no numbered button" in str(err)
    else:  # pragma: no cover - the failure this test guards against
        raise AssertionError("a number pressed a button of an older message")


def test_a_form_after_a_long_conversation_is_asked_field_by_field(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    answers = ["status"] * 20 + ["Propose goals"]  # 40 messages, then the form
    answers += ["Lead planning", "I run it", "", "", "", "", "6", "NO", "/quit"]
    prompts, read = _reader(answers)
    run_interactive(chat.console, ACTOR, lambda: [], "Europe/Helsinki", read=read)  # type: ignore[arg-type]
    assert sum(line.startswith(f"→ Aino Virtanen <{ACTOR}>") for line in chat.lines) > 40
    assert any("Duration in months (3–12) [6]" in p for p in prompts)
    with chat.console.factory() as session:
        goal = session.scalars(select(Goal).where(Goal.title == "Lead planning")).one()
        agreement = session.scalars(
            select(Agreement).where(Agreement.mentorship_id == goal.mentorship_id)
        ).one()
        assert agreement.duration_months == 6
        assert agreement.share_goals_with_supervisor is False


def test_quit_inside_a_form_leaves_the_console_and_saves_nothing(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    prompts, read = _reader(["Propose goals", "Lead planning", "/quit", "status"])
    run_interactive(chat.console, ACTOR, lambda: [], "Europe/Helsinki", read=read)  # type: ignore[arg-type]
    assert len(prompts) == 3  # "status" was never read
    with chat.console.factory() as session:
        assert session.scalars(select(Goal)).all() == []


def _reader_then(answers: list[str], key: type[BaseException]) -> object:
    """Types ``answers``, then presses the key that raises ``key`` in ``input``."""
    feed = iter(answers)

    def read(prompt: str) -> str:
        for answer in feed:
            return answer
        raise key

    return read


@pytest.mark.parametrize("key", [KeyboardInterrupt, EOFError])
def test_ctrl_c_and_ctrl_d_in_a_form_end_the_console_without_a_traceback(
    chat: Chat, key: type[BaseException]
) -> None:
    onboard(chat, [ACTOR])
    read = _reader_then(["Propose goals", "Lead planning"], key)
    run_interactive(chat.console, ACTOR, lambda: [], "Europe/Helsinki", read=read)  # type: ignore[arg-type]
    assert "Mentoring agreement" in chat.lines[-2] or "Mentoring agreement" in "".join(chat.lines)
    with chat.console.factory() as session:
        assert session.scalars(select(Goal)).all() == []


@pytest.mark.no_sweeps
def test_the_consoles_own_words_are_in_the_language_of_the_person_typing(chat: Chat) -> None:
    onboard(chat, [ACTOR], language="Suomi")
    _prompts, read = _reader(["/time eilen", "/quit"])
    run_interactive(chat.console, ACTOR, lambda: [], "Europe/Helsinki", read=read)  # type: ignore[arg-type]
    output = "\n".join(chat.lines)
    assert "Käytä muotoa /time +14d" in output
    assert "Hei hei. Tallennettu säilyy tietokannassa" in output
    assert "Bye." not in output
