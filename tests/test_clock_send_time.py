"""A nudge is still true when it arrives, through a real ``mentorbot clock`` process and the
Slack sender (against a local double of Slack's Web API): what changed between the sweep that
queued a nudge and the moment the clock sends it decides what is sent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import run_sweep
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Agreement, CheckIn, Meeting, Mentorship, Outbox
from tests.databases import migrated_sqlite
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig
from testsupport.slack_api import ThreadedSlackApi as SlackPostDouble

ROOT = Path(__file__).resolve().parent.parent
HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = datetime(2027, 1, 11, 9, 0, tzinfo=HELSINKI)  # meeting 1: Tue 12 Jan 10:00


def run_clock_until_drained(
    url: str, clock_file: Path, when: datetime, double: SlackPostDouble
) -> None:
    """One clock process at ``when`` until no row due then is pending or sending."""
    clock_file.write_text(when.isoformat(), "utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-clock-test",
        "SLACK_SIGNING_SECRET": "s3cr3t",
        "SLACK_API_URL": double.api_url,
        "MENTORBOT_CLOCK_FILE": str(clock_file),
        "MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.5",
        "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.3",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "clock"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 60
        time.sleep(1.5)  # at least two sweeps and deliveries
        while time.monotonic() < deadline:
            with Session(engine) as s:
                busy = s.scalars(
                    select(Outbox.id).where(
                        Outbox.status.in_(("pending", "sending")), Outbox.next_attempt_at <= when
                    )
                ).first()
            if busy is None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the clock process died"
    finally:
        proc.terminate()
        proc.wait(30)
        engine.dispose()


def test_the_clock_checks_each_nudge_when_it_sends_it(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "clock.db")
    engine = make_engine(url)
    seeded = seed_pairs(engine, 1, MONDAY - timedelta(minutes=1))
    factory = make_session_factory(engine)
    double = SlackPostDouble(DoubleConfig()).start()
    clock_file = tmp_path / "now"
    try:
        with factory() as s:
            m = s.scalars(select(Mentorship)).one()
            actor_id, mentor_id = m.actor_id, m.mentor_id
            first, second = sorted(m.meetings, key=lambda x: x.seq)[:2]
            first_id, second_id = first.id, second.id
        # the check-in prompt is queued; the actor checks in before the clock sends it
        after_first = datetime(2027, 1, 12, 13, 30, tzinfo=HELSINKI)
        run_sweep(factory, after_first)
        with transaction(factory) as s:
            s.add(CheckIn(meeting_id=first_id, person_id=actor_id, held=True, usefulness=4,
                          rapport=4, created_at=after_first.astimezone(UTC)))  # fmt: skip
            s.execute(update(Meeting).where(Meeting.id == first_id).values(status="held"))
        run_clock_until_drained(url, clock_file, after_first + timedelta(minutes=1), double)
        keys = set(double.keys())
        assert f"checkin:{first_id}:{mentor_id}" in keys
        assert f"checkin:{first_id}:{actor_id}" not in keys
        # meeting 2's check-ins are queued, then the clock is down for six days; the
        # supervisor's summary is queued while the agreement is not yet accepted
        run_sweep(factory, datetime(2027, 1, 26, 13, 30, tzinfo=HELSINKI))
        first_of_month = datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI)
        with transaction(factory) as s:
            s.execute(update(Agreement).values(mentor_accepted_at=None))
            s.execute(update(Mentorship).values(phase="start"))
        run_sweep(factory, first_of_month)
        with factory() as s:
            queued = s.scalars(select(Outbox).where(Outbox.kind == "supervisor.monthly")).one()
            assert "accepted" not in str(queued.payload)  # queued without text
        with transaction(factory) as s:
            s.execute(update(Agreement).values(mentor_accepted_at=first_of_month))
            s.execute(update(Mentorship).values(phase="development"))
        run_clock_until_drained(url, clock_file, first_of_month + timedelta(minutes=1), double)
        posts = double.posts
        monthly = [p.text + p.blocks for p in posts if p.key.startswith("supervisor.monthly:")]
        assert len(monthly) == 1
        assert "agreement is accepted" in monthly[0] and "not accepted" not in monthly[0]
        assert not any(p.key.startswith(f"checkin:{second_id}:") for p in posts)
        with factory() as s:
            late = s.scalars(
                select(Outbox.status).where(Outbox.dedupe_key.startswith(f"checkin:{second_id}:"))
            ).all()
        assert late and set(late) == {"cancelled"}
    finally:
        double.stop()
        engine.dispose()
    assert seeded is not None
