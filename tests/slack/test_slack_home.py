"""App Home: each person's own dashboard, with the privacy rules of their role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations.clock import SettableClock
from tests.slack.driver import Person, SlackDriver
from tests.slack.harness import (
    SlackWorld,
    block_action,
    buttons_of,
    event_payload,
)

SCENARIO = Path(demo.__file__).parent / "scenarios" / "lifecycle_en.txt"
PRIVATE_NOTE = "I felt I could be honest about being nervous"


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    """The lifecycle scenario up to just after meeting 1 (check-ins, a private note)."""
    demo.seed(factory, demo.DEMO_START, "en")
    lines = SCENARIO.read_text("utf-8").splitlines()
    until = next(i for i, line in enumerate(lines) if line.startswith("# --- Meeting 2"))
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as w:
        people = {
            email: Person(email, "U" + email.split("@")[0].upper(), name)
            for email, name, _role in demo.PEOPLE
        }
        for p in people.values():
            w.api.add_user(p.user_id, p.email, p.name)
        driver = SlackDriver(w, people)
        run(driver, parse(lines[:until], "Europe/Helsinki"), echo=False)
        driver.say("helena@demo.example", "hello")
        driver.click("helena@demo.example", "English")
        driver.submit("helena@demo.example", {"timezone": "Europe/Helsinki"})
        yield w


def _open_home(world: SlackWorld, user: str) -> dict[str, Any]:
    world.post_json(
        event_payload(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D{user}",
                "tab": "home",
                "event_ts": "1790000000.000100",
            }
        )
    )
    world.idle()
    publish = [c for c in world.api.of("views.publish") if c.args["user_id"] == user][-1]
    return publish.view()


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_actor_home_shows_phase_progress_next_meeting_task_goals_and_shortcuts(
    world: SlackWorld,
) -> None:
    view = _open_home(world, "UAINO")
    assert view["type"] == "home"
    shown = _text(view)
    for expected in (
        "Your mentoring with Mikko Laine",
        "Phase",
        "development",
        "meeting 2 of",
        "Next meeting",
        "Draft an agenda template",
        "Lead our team's weekly planning",
    ):
        assert expected in shown
    labels = [b["text"]["text"] for b in buttons_of(view["blocks"])]
    assert {"Check in", "Reflect now", "Meetings"} <= set(labels)
    assert len(view["blocks"]) <= 100


def test_supervisor_home_shows_progress_but_never_notes_or_ratings(world: SlackWorld) -> None:
    shown = _text(_open_home(world, "USANNA"))
    assert "Aino Virtanen's mentoring" in shown
    assert "meetings held" in shown
    assert PRIVATE_NOTE not in shown
    assert "Usefulness" not in shown and "rapport" not in shown.lower()


def test_hr_home_shows_the_programme_overview(world: SlackWorld) -> None:
    shown = _text(_open_home(world, "UHELENA"))
    assert "mentoring pair" in shown
    assert PRIVATE_NOTE not in shown


def test_home_shortcut_opens_the_reflection_form_as_a_modal(world: SlackWorld) -> None:
    view = _open_home(world, "UAINO")
    reflect = next(b for b in buttons_of(view["blocks"]) if b["text"]["text"] == "Reflect now")
    opened = len(world.api.of("views.open"))
    world.post_interaction(block_action("UAINO", reflect, channel=None, view=view))
    world.idle()
    modals = world.api.of("views.open")[opened:]
    assert len(modals) == 1
    assert modals[0].view()["title"]["text"] == "Reflection"
