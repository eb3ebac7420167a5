"""The interactive console: numbered buttons, forms asked field by field, switching person."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.interactive import run_interactive
from adapters.console.render import render
from conversations.messages import Button, Form, Input, Message, Option
from tests.chat import ACTOR, MENTOR, Chat


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
