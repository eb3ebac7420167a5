"""One definition of each progress figure: the supervisor's ``status`` and their monthly
summary give the same "held of planned", and nothing reads "0 of 0" before any booking."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations import progress
from storage.models import Meeting, Mentorship
from storage.queries import person_by_email
from tests.chat import ACTOR, MENTOR, SUPERVISOR, Chat, agree, book, onboard

HELSINKI = ZoneInfo("Europe/Helsinki")
FIGURE = re.compile(r"\d+ of \d+ meetings? held|no meetings booked yet")


def _status_figure(chat: Chat) -> str:
    mark = chat.mark()
    chat.say(SUPERVISOR, "status")
    found = FIGURE.findall(chat.since(SUPERVISOR, mark))
    assert len(found) == 1, found
    return str(found[0])


def _monthly_figure(chat: Chat, month_start: datetime) -> str:
    chat.console.advance(month_start - chat.console.clock.now())
    chat.say(SUPERVISOR, "status")  # a step: the sweep runs and delivers the monthly summary
    seen = chat.everything_seen_by(SUPERVISOR)
    monthly = [line for line in seen.splitlines() if "with Mikko Laine: phase" in line]
    assert monthly, seen[seen.rindex("Monthly mentoring") :]
    found = FIGURE.findall(monthly[-1])
    assert len(found) == 1, monthly[-1]
    return str(found[0])


def test_planned_meetings_counts_booked_and_still_to_book_up_to_the_planned_end() -> None:
    last = datetime(2027, 3, 1, 10, 0, tzinfo=HELSINKI)
    assert progress.planned_meetings(0, None, date(2027, 7, 1), 14) == 0
    assert progress.planned_meetings(4, last, None, 14) == 4
    assert progress.planned_meetings(4, last, date(2027, 3, 14), 14) == 4
    assert progress.planned_meetings(4, last, date(2027, 3, 15), 14) == 5
    assert progress.planned_meetings(4, last, date(2027, 4, 12), 14) == 7  # +15, 29 Mar, 12 Apr


def test_supervisor_status_and_monthly_summary_give_the_same_held_of_planned(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR, SUPERVISOR])
    agree(chat, duration="12", share_goals="no")  # booked six months ahead, planned twelve
    assert _status_figure(chat) == "no meetings booked yet"
    book(chat)
    with factory() as session:
        first = session.scalars(select(Meeting).order_by(Meeting.seq)).first()
        assert first is not None
        at = first.scheduled_at
    chat.console.advance(at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="4", rapport="4", note="")
    monthly = _monthly_figure(chat, datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI))
    status = _status_figure(chat)
    assert status == monthly
    with factory() as session:
        supervisor = person_by_email(session, SUPERVISOR)
        assert supervisor is not None
        (view,) = progress.supervisor_views(session, supervisor, chat.console.clock.now())
        m = session.scalars(select(Mentorship).where(Mentorship.id == view.mentorship_id)).one()
        # the planned figure counts the meetings still to book, not only the booked block
        booked = sum(1 for x in m.meetings if x.status != "cancelled")
        assert view.meetings_planned == progress.total_meetings(m) > booked
    assert status == f"1 of {view.meetings_planned} meetings held"


def test_the_monthly_summary_before_any_booking_reads_no_meetings_booked_yet(
    chat: Chat,
) -> None:
    onboard(chat, [ACTOR, MENTOR, SUPERVISOR])
    agree(chat, share_goals="no")
    assert _monthly_figure(chat, datetime(2027, 2, 1, 9, 30, tzinfo=HELSINKI)) == (
        "no meetings booked yet"
    )
