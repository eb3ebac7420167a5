"""The calendar feed: a secret, revocable URL whose events keep their UIDs when meetings move."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.web import create_app
from conversations.calendar_feed import issue_token, revoke_tokens
from conversations.clock import SettableClock
from storage.db import transaction
from storage.models import Meeting, Mentorship, Person
from tests.conftest import START
from tests.databases import migrated_sqlite
from testsupport.seed import seed_pairs

ROOT = Path(__file__).resolve().parent.parent


def events(body: str) -> dict[str, tuple[object, int]]:
    cal = Calendar.from_ical(body)
    return {str(e["uid"]): (e.decoded("dtstart"), int(e["sequence"])) for e in cal.walk("VEVENT")}


async def test_the_feed_serves_the_persons_meetings_and_a_moved_meeting_keeps_its_uid(
    db_engine: Engine, factory: sessionmaker[Session], clock: SettableClock
) -> None:
    seed_pairs(db_engine, 2, START)
    with transaction(factory) as s:
        m = s.scalars(select(Mentorship).order_by(Mentorship.id)).first()
        assert m is not None
        actor = s.get(Person, m.actor_id)
        assert actor is not None
        token = issue_token(s, actor, clock.now())
        assert token is not None
        assert issue_token(s, actor, clock.now()) is None  # shown once; stable until rotated
        own = {x.uid for x in s.scalars(select(Meeting).where(Meeting.mentorship_id == m.id))}
    app = create_app(Settings(), factory, clock)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/calendar/{token}.ics")
        assert response.status == 200
        assert response.content_type == "text/calendar"
        before = events(await response.text())
        assert set(before) == own  # only this person's meetings
        with transaction(factory) as s:
            first = s.scalars(
                select(Meeting).where(Meeting.mentorship_id == m.id, Meeting.seq == 1)
            ).one()
            first.scheduled_at += timedelta(days=1)
            first.ics_sequence += 1
            moved_uid = first.uid
        after = events(await (await client.get(f"/calendar/{token}.ics")).text())
        assert set(after) == set(before)  # updated in place, not duplicated
        assert after[moved_uid][1] == before[moved_uid][1] + 1
        assert after[moved_uid][0] != before[moved_uid][0]
        assert (await client.get("/calendar/not-a-token.ics")).status == 404
        with transaction(factory) as s:
            actor = s.get(Person, m.actor_id)
            assert actor is not None
            assert revoke_tokens(s, actor, clock.now()) == 1
        assert (await client.get(f"/calendar/{token}.ics")).status == 404


def test_calendar_export_prints_the_ics_and_the_feed_url(tmp_path: Path) -> None:
    from storage.db import make_engine

    url = migrated_sqlite(tmp_path / "cal.db")
    engine = make_engine(url)
    seed_pairs(engine, 1, START)
    with Session(engine) as s:
        email = s.scalars(select(Person.email).where(Person.email.like("a%"))).first()
    engine.dispose()
    assert email
    out = tmp_path / "meetings.ics"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--database-url", url, "calendar", "export", email,
         "--output", str(out)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "/calendar/" in result.stdout and result.stdout.strip().endswith(".ics")
    assert len(events(out.read_text("utf-8"))) == 6
