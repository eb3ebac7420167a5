"""The smaller holes: places, replays, malformed requests, unknown Slack users, headers, bad
characters, forged bookings, audits of calendar and buddy commands, hashed feed tokens."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli, demo
from bot.settings import Settings
from bot.web import create_app
from conversations.calendar_feed import issue_token
from conversations.clock import SettableClock
from storage.db import transaction
from storage.models import (
    AuditLog,
    CalendarFeed,
    Meeting,
    Mentorship,
    Person,
    Reflection,
    Workshop,
    WorkshopSignup,
)
from tests.chat import ACTOR, HR, MENTOR, Chat, agree, onboard
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import (
    SlackWorld,
    dm_event,
    signed_headers,
    state_values,
    view_submission,
)

AINO = "aino@demo.example"


def _person(factory: sessionmaker[Session], email: str) -> Person:
    with factory() as session:
        return session.scalars(select(Person).where(Person.email == email)).one()


# --- workshop places are for mentors --------------------------------------------------------


def test_an_actor_cannot_take_a_mentor_workshop_place_with_a_forged_button(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    with transaction(factory) as session:
        workshop = Workshop(
            title="Mentoring basics",
            starts_at=chat.console.clock.now() + timedelta(days=7),
            place="Room 1",
            capacity=1,
            created_at=chat.console.clock.now(),
        )
        session.add(workshop)
        session.flush()
        workshop_id = workshop.id

    chat.press(ACTOR, "workshop.signup", str(workshop_id))

    assert "for the programme's mentors" in chat.last(ACTOR)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(WorkshopSignup)) == 0
    chat.press(MENTOR, "workshop.signup", str(workshop_id))
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(WorkshopSignup)) == 1


# --- Slack: replays, malformed requests, unknown users ------------------------------------


@pytest.fixture
def slack(factory: sessionmaker[Session]) -> Iterator[SlackWorld]:
    demo.seed(factory, demo.DEMO_START, "en")
    with SlackWorld(factory, SettableClock(demo.DEMO_START)) as world:
        world.api.add_user("UAINO", AINO, "Aino Virtanen")
        yield world


def test_a_signed_view_submission_replayed_three_times_creates_one_reflection(
    slack: SlackWorld, factory: sessionmaker[Session]
) -> None:
    aino = SlackPerson(AINO, "UAINO", "Aino Virtanen")
    driver = SlackDriver(slack, {AINO: aino})
    driver.say(AINO, "hello")
    driver.click(AINO, "English")
    driver.submit(AINO, {"timezone": "Europe/Helsinki"})
    driver.say(AINO, "reflect")
    view = driver._form_for(aino)
    payload = view_submission("UAINO", view, state_values(view, {"text": "once only"}))

    for _ in range(3):
        assert slack.post_interaction(payload).status == 200
    slack.settle()

    with factory() as session:
        assert list(session.scalars(select(Reflection.text))) == ["once only"]


def test_slack_non_numeric_timestamp_is_401_not_500(slack: SlackWorld) -> None:
    body = json.dumps(dm_event("UAINO", "status")).encode()
    headers = signed_headers(body, "application/json")
    headers["X-Slack-Request-Timestamp"] = "soon"

    assert slack.post_raw(body, headers).status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
    ],
)
def test_slack_body_that_is_not_a_slack_payload_is_4xx_not_500(
    slack: SlackWorld, body: bytes, content_type: str
) -> None:
    assert slack.post_raw(body, {"Content-Type": content_type}).status == 401  # unsigned
    assert slack.post_raw(body, signed_headers(body, content_type)).status == 400


def test_a_slack_user_slack_does_not_know_is_told_to_ask_hr_without_an_error(
    slack: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = slack.post_json(dm_event("UGHOST", "hello"))
    slack.idle()

    assert result.status == 200
    posted = [c for c in slack.api.calls if c.method == "chat.postMessage"]
    assert posted, "the person got an answer"
    assert "ask your HR contact" in json.dumps(posted[-1].args)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- HTTP headers -------------------------------------------------------------------------


async def test_responses_carry_security_headers_and_a_server_header_without_versions(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    app = create_app(Settings(), factory, clock)  # type: ignore[call-arg]

    async def page(_: web.Request) -> web.Response:  # any HTML the app serves
        return web.Response(text="<p>hello</p>", content_type="text/html")

    app.router.add_get("/a-page", page)
    async with TestClient(TestServer(app)) as client:
        for path in ("/healthz", "/calendar/unknown.ics", "/a-page"):
            response = await client.get(path)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            server = response.headers.get("Server", "")
            assert "Python" not in server and "aiohttp" not in server
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp


# --- bad characters and forged bookings ---------------------------------------------------


@pytest.mark.parametrize("bad", ["note\x00", "broken \ud83d emoji"])
def test_nul_bytes_and_lone_surrogates_get_a_friendly_answer(
    chat: Chat, factory: sessionmaker[Session], bad: str
) -> None:
    onboard(chat, [ACTOR])
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text=bad)  # the form the engine opened, with its own value
    assert "characters I can't store" in chat.last(ACTOR)
    chat.say(ACTOR, bad)

    assert "characters I can't store" in chat.last(ACTOR)
    assert "went wrong" not in chat.everything_seen_by(ACTOR)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Reflection)) == 0
    # positive control: the same form with storable text is saved, so the count read is live
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text="plain words")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Reflection)) == 1


@pytest.mark.parametrize(
    "first",
    [
        "2027-02-01T12:00:00+00:00|Mars/Olympus",
        "2027-02-01T12:00:00+00:00|../../etc/passwd",
        "2027-02-01T12:00:00|Europe/Helsinki",
        "9999-12-01T12:00:00+00:00|Europe/Helsinki",
    ],
)
def test_a_forged_booking_with_a_bad_zone_or_date_is_refused_cleanly(
    chat: Chat, factory: sessionmaker[Session], first: str
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    with factory() as session:
        pair_id = session.scalars(select(Mentorship.id)).first()

    chat.press(ACTOR, "schedule.book", f"{pair_id}|{first}")

    assert "no longer valid" in chat.last(ACTOR)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0
    # positive control: booking through the buttons the engine offers does create meetings
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="2027-01-19", time="14:00")
    chat.click(ACTOR, "Book these meetings")
    with factory() as session:
        assert (session.scalar(select(func.count()).select_from(Meeting)) or 0) > 0


# --- audits -------------------------------------------------------------------------------


def test_hr_buddies_listing_is_audited(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, [HR])
    chat.say(HR, "buddies")
    with factory() as session:
        actions = list(session.scalars(select(AuditLog.action)))
    assert "buddies.list" in actions


def test_calendar_export_and_revoke_on_the_cli_are_audited(
    database_url: str, factory: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    demo.seed(factory, clock.now(), "en")
    out = tmp_path / "m.ics"
    base = ["--database-url", database_url, "calendar"]
    assert cli.main([*base, "export", AINO, "--output", str(out)]) == 0
    assert cli.main([*base, "revoke", AINO]) == 0
    with factory() as session:
        rows = list(session.execute(select(AuditLog.action, AuditLog.subject_person_id)))
    aino = _person(factory, AINO).id
    assert ("calendar.export", aino) in rows and ("calendar.revoke", aino) in rows


# --- feed tokens --------------------------------------------------------------------------


async def test_feed_tokens_are_stored_hashed_and_the_link_is_shown_once(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    demo.seed(factory, clock.now(), "en")
    with transaction(factory) as session:
        aino = session.scalars(select(Person).where(Person.email == AINO)).one()
        token = issue_token(session, aino, clock.now())
        assert token is not None
        assert issue_token(session, aino, clock.now()) is None
    with factory() as session:
        stored = list(session.scalars(select(CalendarFeed.token)))
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    app = create_app(Settings(), factory, clock)  # type: ignore[call-arg]
    async with TestClient(TestServer(app)) as client:
        assert (await client.get(f"/calendar/{token}.ics")).status == 200
        assert (await client.get(f"/calendar/{stored[0]}.ics")).status == 404


def test_migration_hashes_feed_tokens_issued_before_and_their_links_keep_working(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from conversations.calendar_feed import person_for_token
    from storage.db import make_engine, make_session_factory, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, email, name, locale, timezone, is_hr, created_at) "
                "VALUES (1, 'a@example.com', 'A', 'en', 'Europe/Helsinki', 0, '2027-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO calendar_feed (person_id, token, created_at) "
                "VALUES (1, 'plain-old-token', '2027-01-01')"
            )
        )
    upgrade(url)
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(CalendarFeed.token)).one()
        assert stored == hashlib.sha256(b"plain-old-token").hexdigest()
        found = person_for_token(session, "plain-old-token")
        assert found is not None and found.email == "a@example.com"
    engine.dispose()
