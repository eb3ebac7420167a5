"""Where a relationship stands: meeting k of n, what is due now for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from conversations import rules
from storage.models import EvaluationKind, Meeting, MeetingStatus, Mentorship, Person, Phase
from storage.queries import own_checkin, own_evaluation


def total_meetings(m: Mentorship) -> int:
    """Planned number of meetings over the whole agreed duration (booked or not yet)."""
    booked = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    if not booked or m.planned_end is None:
        return len(booked)
    interval = m.agreement.meeting_interval_days
    last = max(x.scheduled_at for x in booked)
    remaining = 0
    day = last.date()
    while True:
        day = day.fromordinal(day.toordinal() + interval)
        if day > m.planned_end:
            break
        remaining += 1
    return len(booked) + remaining


def current_seq(m: Mentorship, now: datetime) -> int:
    """The number of the next meeting (or the last one, when all are past)."""
    booked = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    for meeting in booked:
        if meeting.scheduled_at >= now:
            return meeting.seq
    return booked[-1].seq if booked else 0


def checkin_due(session: Session, m: Mentorship, person: Person, now: datetime) -> Meeting | None:
    """The latest past meeting, if this person has not checked in on it yet.

    Only the latest counts: an older meeting without a check-in is not asked about again.
    """
    past = [
        x
        for x in m.meetings
        if x.scheduled_at <= now
        and x.status in (MeetingStatus.PLANNED, MeetingStatus.HELD, MeetingStatus.MISSED)
    ]
    if past and own_checkin(session, person, past[-1]) is None:
        return past[-1]
    return None


def interim_open(m: Mentorship, now: datetime) -> bool:
    if m.phase != Phase.DEVELOPMENT:
        return False
    seq = rules.middle_meeting_seq(total_meetings(m))
    middle = [x for x in m.meetings if x.seq == seq]
    return bool(middle) and middle[0].scheduled_at <= now


def closing_open(m: Mentorship, now: datetime) -> bool:
    if m.phase == Phase.CLOSING:
        return True
    if m.phase != Phase.DEVELOPMENT or m.planned_end is None:
        return False
    return now.date() >= rules.closing_opens(m.planned_end)


@dataclass(frozen=True)
class Due:
    checkin: Meeting | None
    interim: bool
    final: bool


def due_for(session: Session, m: Mentorship, person: Person, now: datetime) -> Due:
    return Due(
        checkin=checkin_due(session, m, person, now) if m.phase != Phase.START else None,
        interim=interim_open(m, now)
        and own_evaluation(session, person, m, EvaluationKind.INTERIM) is None,
        final=closing_open(m, now)
        and own_evaluation(session, person, m, EvaluationKind.FINAL) is None,
    )
