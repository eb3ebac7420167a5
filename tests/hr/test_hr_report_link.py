"""HR's report link end to end: ``/mentor report`` on Slack to ``mentorbot serve``'s app
(``bot.web.create_app`` with the Slack adapter, the Web API double on 127.0.0.1), then the
link opened on the same app — the page once, no-store and the security headers, audited;
refused when the signature is changed, once it has expired (the app's clock moved, no sleep),
and once the person is no longer HR."""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from aiohttp import ClientSession
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.settings import Settings
from bot.web import create_app
from conversations.clock import SettableClock
from conversations.report_link import LIFETIME, make_link
from storage.db import transaction
from storage.models import AuditLog, Person
from storage.queries import person_by_email
from tests.hr.seed_results import SECRET_COMMENT, SECRET_NOTE, SECRET_REFLECTION, seed_programme
from tests.slack.harness import SlackWorld, section_texts, slash_command
from testsupport.http import serve_on_loopback

HELENA = "helena@demo.example"
LINK = re.compile(r"/report/[0-9]+/[0-9]+/[0-9]+/[A-Za-z0-9_-]{43}")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]
    text: str


def fetch(base: str, path: str) -> Page:
    request = urllib.request.Request(f"{base}{path}", headers={"Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Page(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as err:
        return Page(err.code, dict(err.headers), err.read().decode())


def assert_protected(page: Page) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert page.headers.get(name) == value, (name, page.headers)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Content-Type"].startswith("text/html")


def hr_asks_for_the_report(world: SlackWorld) -> str:
    """``/mentor report Big`` from Helena, who has met Mentorbot before; the link it answers."""
    world.api.add_user("UHELENA", HELENA, "Helena Niemi")
    assert world.post_form(slash_command("UHELENA", "report Big")).status == 200
    world.settle()
    said = "\n".join(
        text
        for call in world.api.of("chat.postMessage")
        if call.args.get("channel") == "DUHELENA"
        for text in section_texts(call.blocks())
    )
    assert "*Results of Big*" in said
    found = LINK.findall(said)
    assert len(found) == 1, said
    return found[0]


def _onboarded(factory: sessionmaker[Session], email: str, now: datetime) -> None:
    with transaction(factory) as session:
        person = person_by_email(session, email)
        assert person is not None
        person.onboarded_at = now


def test_the_report_link_from_slack_opens_the_report_then_refuses_it_when_expired(
    factory: sessionmaker[Session],
) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    with transaction(factory) as session:
        seed_programme(session, clock.now(), "Big", 6)
    _onboarded(factory, HELENA, clock.now())
    with SlackWorld(factory, clock, sweeps=False) as world:
        path = hr_asks_for_the_report(world)

        page = fetch(world.url, path)
        assert page.status == 200
        assert_protected(page)
        assert "Mentoring results — Big" in page.text and "Prepared for Helena Niemi." in page.text
        assert page.text.count("<tr") >= 6 + 1  # the pairs table: a row per pair
        assert not any(s in page.text for s in (SECRET_NOTE, SECRET_REFLECTION, SECRET_COMMENT))

        forged = path[:-1] + ("A" if path[-1] != "A" else "B")
        other_programme = re.sub(r"^/report/[0-9]+/", "/report/999/", path)
        for refused in (forged, other_programme):
            page = fetch(world.url, refused)
            assert page.status == 403
            assert_protected(page)
            assert "This link is not a valid report link." in page.text

        clock.advance(LIFETIME - timedelta(seconds=1))
        assert fetch(world.url, path).status == 200
        clock.advance(timedelta(seconds=1))
        page = fetch(world.url, path)
        assert page.status == 410
        assert_protected(page)
        assert "This report link has expired" in page.text
        assert "Mentoring results" not in page.text

    with factory() as session:
        opened = session.scalars(select(AuditLog).where(AuditLog.action == "report.open")).all()
        assert [(a.actor, a.detail["programme"]) for a in opened] == [(HELENA, "Big")] * 2
        viewed = session.scalars(select(AuditLog).where(AuditLog.action == "report.view")).all()
        assert [a.detail for a in viewed] == [{"programme": "Big", "link": True}]


def test_a_link_stops_working_when_its_person_is_no_longer_hr(
    factory: sessionmaker[Session],
) -> None:
    demo.seed_people(factory, demo.DEMO_START, "fi")
    clock = SettableClock(demo.DEMO_START)
    with transaction(factory) as session:
        programme = seed_programme(session, clock.now(), "Big", 2)
        helena = person_by_email(session, HELENA)
        assert helena is not None
        ids = (programme.id, helena.id)
    with SlackWorld(factory, clock, sweeps=False) as world:
        secret = world_secret(world)
        path = make_link(secret, *ids, clock.now())
        page = fetch(world.url, path)
        assert page.status == 200 and 'lang="fi"' in page.text  # in Helena's language
        assert "Mentoroinnin tulokset" in page.text
        with transaction(factory) as session:
            person = session.get(Person, ids[1])
            assert person is not None
            person.is_hr = False
        page = fetch(world.url, path)
        assert page.status == 403
        assert_protected(page)
        assert "only for the programme's HR coordinators" in page.text


def world_secret(world: SlackWorld) -> bytes:
    """The secret the running app signs with (random per process: no setting in the test)."""
    from bot.web import ENGINE_KEY

    assert world._runner is not None
    secret = world._runner.app[ENGINE_KEY].report_secret
    assert len(secret) == 32
    return secret


def test_the_report_link_from_teams_opens_on_the_same_app_and_expires(
    factory: sessionmaker[Session],
) -> None:
    from tests.teams.driver import TeamsDriver

    demo.seed_people(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    with transaction(factory) as session:
        seed_programme(session, clock.now(), "Big", 3)
    teams = TeamsDriver(factory, clock)
    try:
        teams.install(HELENA, "Helena Niemi")
        teams.say(HELENA, "hello")
        teams.click(HELENA, "English")
        teams.submit(HELENA, {"timezone": "Europe/Helsinki"})
        teams.say(HELENA, "report Big")
        found = LINK.findall(teams.texts_seen(HELENA))
        assert len(found) == 1, teams.texts_seen(HELENA)
        base = teams.url.removesuffix("/api/messages")
        page = fetch(base, found[0])
        assert page.status == 200 and "Mentoring results — Big" in page.text
        assert_protected(page)
        clock.advance(LIFETIME)
        assert fetch(base, found[0]).status == 410
    finally:
        teams.close()


def test_the_access_log_never_carries_a_report_links_signature(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    with transaction(factory) as session:
        programme = seed_programme(session, clock.now(), "Big", 1)
        helena = person_by_email(session, HELENA)
        assert helena is not None
        path = make_link(b"log-test-secret", programme.id, helena.id, clock.now())
    app = create_app(Settings(MENTORBOT_REPORT_SECRET="log-test-secret"), factory, clock)  # type: ignore[call-arg]

    async def fetch_logged() -> int:
        runner, base_url = await serve_on_loopback(app)  # access log on, as ``serve`` runs it
        try:
            async with ClientSession() as client:
                url = f"{base_url}{path}"
                async with client.get(url) as response:
                    return response.status
        finally:
            await runner.cleanup()

    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(fetch_logged()) == 200
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    signature = path.rsplit("/", 1)[1]
    assert access and all(signature not in line for line in access), access
    assert any("/[redacted]" in line for line in access)


def test_web_processes_of_one_deployment_sign_report_links_with_the_same_key() -> None:
    """Unset, the key comes from the platform secrets every web process shares, so a link
    made by one process opens on another; a deployment with other secrets gets another key."""
    from bot.report_web import report_secret

    def settings(**values: str) -> Settings:
        return Settings(**values)  # type: ignore[arg-type]

    slack_one = report_secret(settings(SLACK_SIGNING_SECRET="signing-1"))
    assert slack_one == report_secret(settings(SLACK_SIGNING_SECRET="signing-1"))
    assert slack_one != report_secret(settings(SLACK_SIGNING_SECRET="signing-2"))
    assert slack_one != b"signing-1"
    teams = settings(CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET="teams-secret")
    assert report_secret(teams) == report_secret(teams)
    explicit = settings(SLACK_SIGNING_SECRET="signing-1", MENTORBOT_REPORT_SECRET="chosen")
    assert report_secret(explicit) == b"chosen"
    # the console or a local try-out: no shared secret, a random key per process
    assert report_secret(settings()) != report_secret(settings())
