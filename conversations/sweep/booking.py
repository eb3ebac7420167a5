"""Booking the next block of meetings before the booking horizon runs out, in one insert,
and telling both parties."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from conversations import rules
from conversations.messages import Button, Message
from conversations.sweep.plan import BOOK_AHEAD, PAGE_ROWS, Pair, Plan, Recipient
from storage.dialect import bulk_insert
from storage.models import Meeting, MeetingStatus


def book_next_blocks(session: Session, plan: Plan, pairs: dict[int, Pair]) -> int:
    """Book each pair's next block when its last booked meeting is less than ``BOOK_AHEAD``
    away (up to the horizon, never past the planned end); returns how many were booked."""
    now = plan.now
    new_meetings: list[dict[str, Any]] = []
    booked = 0
    for pair in pairs.values():
        if not pair.booked or pair.last_at is None or pair.planned_end is None:
            continue
        if pair.last_at > now + BOOK_AHEAD:
            continue
        tz = pair.actor.tz
        last_local = pair.last_at.astimezone(tz)
        first = last_local + timedelta(days=pair.interval_days)
        if first.date() > pair.planned_end:
            continue
        horizon = rules.horizon_months(pair.duration_months, pair.horizon_months)
        until = min(pair.planned_end, rules.add_months(now.astimezone(tz).date(), horizon))
        dates = rules.series(
            first.replace(tzinfo=tz), pair.interval_days, until, country=pair.country
        )
        if not dates:
            continue
        for i, when in enumerate(dates, 1):
            new_meetings.append(
                {
                    "mentorship_id": pair.id,
                    "seq": pair.max_seq + i,
                    "uid": f"{uuid.uuid4()}@mentorbot",
                    "scheduled_at": when,
                    "duration_minutes": 60,
                    "status": MeetingStatus.PLANNED.value,
                    "ics_sequence": 0,
                }
            )
        for person in pair.parties():
            plan.add(
                key=f"block:{pair.id}:{pair.max_seq + 1}:{person.id}",
                kind="block",
                person=person,
                country=pair.country,
                nominal=now,
                expires_at=dates[0],  # news of a block is stale once its first meeting began
                build=partial(_block, person, pair.id, dates),
            )
        if len(new_meetings) >= PAGE_ROWS:  # bounded memory: one insert per page
            booked += _insert(session, new_meetings)
            new_meetings = []
    return booked + _insert(session, new_meetings)


def _insert(session: Session, meetings: list[dict[str, Any]]) -> int:
    return len(bulk_insert(session, Meeting, meetings, conflict=["mentorship_id", "seq"]))


def _block(person: Recipient, mentorship_id: int, dates: list[datetime]) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(
            tx.t(
                "nudges.block_booked",
                count=len(dates),
                first=person.when(dates[0]),
                last=person.when(dates[-1]),
            )
        )
        .buttons(
            Button(action_id="schedule.ics", label=tx._("To my calendar"), value=str(mentorship_id))
        )
    )
