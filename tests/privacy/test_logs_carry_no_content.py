"""No content and no secret in logs, at any level (privacy rule 6).

A Slack scenario runs with ``MENTORBOT_LOG_LEVEL=DEBUG``: private text typed by a person, a form
submitted twice (a double click), a NUL byte, and a calendar feed fetched over HTTP. None of the
planted markers and not the feed token may appear in anything logged.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator

import pytest
from aiohttp import web
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.logs import SDK_LOGGERS, configure_logging
from bot.settings import Settings
from bot.web import create_app
from conversations.calendar_feed import issue_token
from conversations.clock import SettableClock
from conversations.messages import Message
from conversations.outbox import outbox_row
from storage.db import transaction
from storage.models import Outbox, Person, Reflection
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import SlackWorld, state_values, view_submission
from testsupport.http import serve_on_loopback

AINO = "aino@demo.example"
SECRET_TEXT = "mkL-reflection-z8"
DOUBLE_CLICKED = "mkL-double-click-x3"
NUL_TEXT = "mkL-nul-c6"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as ``mentorbot`` configures it for ``MENTORBOT_LOG_LEVEL=DEBUG``."""
    names = ["", "alembic", "aiohttp.access", "aiohttp.server", *SDK_LOGGERS]
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).filters)) for n in names}
    handlers = {h: list(h.filters) for h in logging.getLogger().handlers}
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    yield caplog
    for name, (level, filters) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).filters = filters
    for handler, filters in handlers.items():
        handler.filters = filters


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything a handler would write: messages and tracebacks."""
    formatter = logging.Formatter()
    out = []
    for record in caplog.records:
        out.append(record.getMessage())
        if record.exc_info:
            out.append(formatter.formatException(record.exc_info))
    return "\n".join(out)


def people() -> dict[str, SlackPerson]:
    return {
        email: SlackPerson(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _role in demo.PEOPLE
    }


def fetch_feed(world: SlackWorld, token: str) -> int:
    """GET the feed through an app served with aiohttp's access log on, as ``serve`` does."""

    async def start() -> tuple[web.AppRunner, str]:
        app = create_app(Settings(), world.factory, world.clock)  # type: ignore[call-arg]
        return await serve_on_loopback(app)

    runner, base_url = world.call(start())
    try:
        url = f"{base_url}/calendar/{token}.ics"
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    finally:
        world.call(runner.cleanup())


def test_a_debug_logged_scenario_carries_no_typed_text_and_no_feed_token(
    factory: sessionmaker[Session], debug_logs: pytest.LogCaptureFixture
) -> None:
    demo.seed(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    with SlackWorld(factory, clock) as world:
        for p in people().values():
            world.api.add_user(p.user_id, p.email, p.name)
        driver = SlackDriver(world, people())
        driver.say(AINO, "hello")
        driver.click(AINO, "English")
        driver.submit(AINO, {"timezone": "Europe/Helsinki"})
        driver.say(AINO, "reflect")
        driver.submit(AINO, {"text": SECRET_TEXT})

        driver.say(AINO, "reflect")  # a double click: the same submission arrives twice
        person = driver.person(AINO)
        view = driver._form_for(person)
        payload = view_submission(
            person.user_id, view, state_values(view, {"text": DOUBLE_CLICKED})
        )
        assert world.post_interaction(payload).status == 200
        assert world.post_interaction(payload).status == 200
        world.settle()

        driver.say(AINO, f"{NUL_TEXT}\x00 hello")
        driver.say(AINO, "reflect")
        view = driver._form_for(person)
        payload = view_submission(
            person.user_id, view, state_values(view, {"text": f"{NUL_TEXT}\x00"})
        )
        assert world.post_interaction(payload).status == 200
        world.settle()

        with transaction(factory) as session:
            aino = session.scalars(select(Person).where(Person.email == AINO)).one()
            token = issue_token(session, aino, clock.now())
        assert fetch_feed(world, token) == 200

    with factory() as session:
        texts = list(session.scalars(select(Reflection.text)))
    assert SECRET_TEXT in texts and DOUBLE_CLICKED in texts, "the scenario ran"
    assert not any(NUL_TEXT in t for t in texts), "a NUL byte never reaches the database"
    assert any(r.name == "aiohttp.access" for r in debug_logs.records), "the access log ran"
    text = logged(debug_logs)
    for secret in (SECRET_TEXT, DOUBLE_CLICKED, NUL_TEXT, token):
        assert secret not in text, f"{secret} was logged"


def test_a_failed_statement_does_not_show_its_parameters(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    demo.seed(factory, clock.now(), "en")
    marker = "mkL-param-b2"
    with factory() as session:
        person_id = session.scalars(select(Person.id)).first()
    row = outbox_row(
        person_id=person_id,
        kind="test",
        message=Message().text(marker),
        dedupe_key="same-key",
        due_at=clock.now(),
        now=clock.now(),
    )
    with transaction(factory) as session:
        session.execute(insert(Outbox), [row])
    with pytest.raises(IntegrityError) as failed, transaction(factory) as session:
        session.execute(insert(Outbox), [row])  # the same dedupe key again
    assert "INSERT INTO outbox" in str(failed.value), "the message read is the statement's"
    assert marker not in str(failed.value)
