"""The meeting series as iCalendar (RFC 5545) with stable UIDs and SEQUENCE numbers.

A re-export carries the same UID for each meeting and a higher SEQUENCE for a moved one, so
calendar programs update the event instead of adding a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from conversations.texts import Texts
from storage.models import Meeting, MeetingStatus, Mentorship

PRODID = "-//Mentorbot//Mentoring meetings//EN"


def meetings_ics(
    tx: Texts,
    items: Iterable[tuple[Mentorship, Meeting]],
    now: datetime,
    name: str,
    method: str = "PUBLISH",
) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    for mentorship, meeting in items:
        event = Event()
        event.add("uid", meeting.uid)
        event.add("dtstamp", now)
        event.add("dtstart", meeting.scheduled_at)
        event.add("dtend", meeting.scheduled_at + timedelta(minutes=meeting.duration_minutes))
        event.add("sequence", meeting.ics_sequence)
        event.add(
            "summary",
            tx._(
                "Mentoring: %(mentor)s & %(actor)s (%(n)s)",
                mentor=mentorship.mentor.name,
                actor=mentorship.actor.name,
                n=meeting.seq,
            ),
        )
        event.add("description", tx.t("scheduling.ics_description"))
        cancelled = meeting.status == MeetingStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(event)
    return str(cal.to_ical().decode("utf-8"))


def series_ics(tx: Texts, m: Mentorship, now: datetime) -> str:
    return meetings_ics(
        tx,
        ((m, x) for x in m.meetings),
        now,
        tx._("Mentoring with %(a)s and %(b)s", a=m.mentor.name, b=m.actor.name),
    )


def cancel_ics(tx: Texts, m: Mentorship, cancelled: Iterable[Meeting], now: datetime) -> str:
    """A calendar update that removes ``cancelled`` meetings (``METHOD:CANCEL``, the same UIDs
    with a higher SEQUENCE and ``STATUS:CANCELLED``) from the calendars that imported them."""
    return meetings_ics(
        tx,
        ((m, x) for x in cancelled),
        now,
        tx._("Mentoring with %(a)s and %(b)s", a=m.mentor.name, b=m.actor.name),
        method="CANCEL",
    )
