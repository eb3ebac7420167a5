"""`make run`: in the console, moving time makes the nudges of those days arrive by themselves."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import console_session
from testsupport.seed import seed_pairs

pytestmark = pytest.mark.postgres

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2027, 1, 11, 8, 0, tzinfo=HELSINKI)  # pair 0 meets Tue 12 Jan at 10:00


def test_moving_time_in_the_console_shows_reminders_checkins_and_prompts_in_order(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, START, slack_identities=False)  # console people
    lines: list[str] = []
    console = console_session(factory, START, lines.append)
    console.advance(timedelta(days=9))
    shown = "\n".join(lines)
    reminder = shown.index("Reminder: meeting 1 of 13")
    checkin = shown.index("How did meeting 1 with")
    prompt = shown.index("Halfway to your next meeting")
    assert reminder < checkin < prompt  # in the order a running clock would send them
    assert shown.count("Reminder: meeting 1 of 13") == 1  # the English-speaking party, once
    console.advance(timedelta(minutes=5))
    assert "\n".join(lines).count("How did meeting 1 with") == shown.count("How did meeting 1 with")
