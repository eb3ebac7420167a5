"""Booking the whole series at once, moving one meeting, and the calendar file."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations import forms, progress, rules
from conversations.button_values import SERIES_PROPOSAL, SeriesProposal
from conversations.calendar import series_ics
from conversations.calendar_feed import issue_token
from conversations.flows.common import (
    party_mentorship,
    pick_mentorship,
    plan_meetings_message,
    require_phase,
)
from conversations.messages import Attachment, Button, Form, Input, Message
from conversations.outbox import cancel_pending
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from conversations.worktime import WORK_END, WORK_START, is_working_day
from storage.models import Meeting, MeetingStatus, Mentorship, Person, Phase
from storage.queries import partner, upcoming_meetings

MOVE_BUTTONS = 4
MEETING_MINUTES = 60  # a meeting's default length (``Meeting.duration_minutes``)


def series_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    return Form(
        form_id="schedule.series",
        title=tx._("Plan the meetings"),
        value=str(m.id),
        inputs=[
            Input(
                name="date",
                label=tx._("Date of the first meeting"),
                kind="date",
                hint=tx._("For example 2027-03-15 or 15.3.2027"),
            ),
            Input(name="time", label=tx._("Time"), kind="time", hint=tx._("For example 14:00")),
        ],
        submit_label=tx._("Show the series"),
    )


@action("schedule.plan", role=ANYONE)
def plan(turn: Turn, value: str) -> None:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    if m.meetings:
        turn.refuse(turn.tx.t("scheduling.already_booked"))
    forms.offer(
        turn,
        series_form(turn, m),
        intro=turn.tx.t("scheduling.plan_intro", days=m.agreement.meeting_interval_days),
    )


def proposed_series(m: Mentorship, first_local: datetime) -> list[datetime]:
    assert m.planned_end is not None
    horizon = rules.add_months(
        first_local.date(),
        rules.horizon_months(m.agreement.duration_months, m.programme.booking_horizon_months),
    )
    until = min(m.planned_end, horizon)
    return rules.series(
        first_local,
        m.agreement.meeting_interval_days,
        until,
        country=m.programme.holiday_country or rules.DEFAULT_COUNTRY,
    )


@form("schedule.series", role=ANYONE)
def propose(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    if m.meetings:
        turn.refuse(turn.tx.t("scheduling.already_booked"))
    today = turn.now.astimezone(turn.tx.tz).date()
    v = forms.Validator(turn.tx, fields)
    day = v.date("date", today, latest=today + rules.LATEST_FIRST_MEETING)
    at = v.time("time")
    if day is not None and at is not None:
        first = rules.local_datetime(day, at, turn.person.timezone)
        if first <= turn.now:
            v.errors["time"] = turn.tx._("That time has already passed.")
    if not v.ok or day is None or at is None:
        forms.reoffer(turn, series_form(turn, m), v)
        return
    forms.close(turn.session, turn.person)
    dates = proposed_series(m, rules.local_datetime(day, at, turn.person.timezone))
    tx = turn.tx
    lines = "\n".join(f"{i}. {tx.datetime(d)}" for i, d in enumerate(dates, 1))
    message = Message().text(tx.t("scheduling.proposal", count=len(dates), lines=lines))
    for note in _calendar_notes(turn, m, day, at, dates):
        message.text(note)
    turn.reply(
        message.buttons(
            Button(
                action_id="schedule.book",
                label=tx._("Book these meetings"),
                value=SERIES_PROPOSAL.encode(
                    SeriesProposal(m.id, dates[0], ZoneInfo(turn.person.timezone))
                ),
                style="primary",
            ),
            Button(action_id="schedule.plan", label=tx._("Choose another start"), value=str(m.id)),
        )
    )


def _calendar_notes(
    turn: Turn, m: Mentorship, first: date, at: time, dates: list[datetime]
) -> list[str]:
    """What the person should know before booking: meetings moved off a public holiday, and
    a time outside working hours (allowed, but said out loud)."""
    tx = turn.tx
    notes = []
    country = m.programme.holiday_country or rules.DEFAULT_COUNTRY
    interval = m.agreement.meeting_interval_days
    for i, when in enumerate(dates):
        nominal = first + timedelta(days=interval * i)
        actual = when.astimezone(tx.tz).date()
        if actual != nominal and nominal.weekday() < 5 and not is_working_day(nominal, country):
            notes.append(
                tx.t("scheduling.holiday_moved", n=i + 1, day=tx.date(nominal), to=tx.date(actual))
            )
    end = (datetime.combine(first, at) + timedelta(minutes=MEETING_MINUTES)).time()
    if at < WORK_START or end > WORK_END or end < at:
        notes.append(
            tx.t(
                "scheduling.outside_hours",
                time=at.strftime("%H:%M"),
                start=WORK_START.strftime("%H:%M"),
                end=WORK_END.strftime("%H:%M"),
            )
        )
    return notes


MAX_FIRST_MEETING_AHEAD = timedelta(days=366)
"""No proposal starts further ahead; a forged date beyond it is refused."""


@action("schedule.book", role=ANYONE)
def book(turn: Turn, value: str) -> None:
    proposal = SERIES_PROPOSAL.read(turn, value)
    first_utc, tz = proposal.first, proposal.zone
    if first_utc > turn.now + MAX_FIRST_MEETING_AHEAD:  # not a proposal this bot made
        turn.refuse(turn.tx.t("common.stale_button"))
    m = party_mentorship(turn, proposal.mentorship_id)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    if m.meetings:
        turn.refuse(turn.tx.t("scheduling.already_booked"))
    if first_utc <= turn.now:
        turn.refuse(turn.tx.t("scheduling.proposal_expired"))
    dates = proposed_series(m, first_utc.astimezone(tz))
    for seq, when in enumerate(dates, 1):
        m.meetings.append(
            Meeting(seq=seq, scheduled_at=when, uid=new_uid(), status=MeetingStatus.PLANNED)
        )
    turn.session.flush()
    total = progress.total_meetings(m)
    for person in (m.actor, m.mentor):
        tx = texts_for(person)
        message = Message().text(
            tx.t(
                "scheduling.booked",
                count=len(dates),
                total=total,
                first=tx.datetime(dates[0]),
                last=tx.datetime(dates[-1]),
                who=None if person.id == turn.person.id else user_text(turn.person.name),
            )
        )
        message.add(ics_attachment(turn, person, m))
        if person.id == turn.person.id:
            turn.reply(message)
        else:
            turn.send(person, message, kind="schedule", dedupe_key=f"booked:{m.id}:{person.id}")


def new_uid() -> str:
    return f"{uuid.uuid4()}@mentorbot"


def ics_attachment(turn: Turn, person: Person, m: Mentorship) -> Attachment:
    """The series as an .ics file, with the person's own calendar-feed link when the web
    process is reachable (a subscribed feed follows every later move)."""
    tx = texts_for(person)
    link = None
    token = issue_token(turn.session, person, turn.now) if turn.public_url else None
    if token is not None:  # shown once: only a hash is stored
        link = f"{turn.public_url}/calendar/{token}.ics"
    return Attachment(
        filename="mentoring-meetings.ics",
        mime_type="text/calendar",
        content=series_ics(tx, m, turn.now),
        link=link,
    )


@command("schedule", role=ANYONE)
def schedule(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "schedule", rest)
    if m is None:
        return
    tx = turn.tx
    if not m.meetings:
        if m.phase == Phase.START:
            turn.say(tx.t("scheduling.after_agreement"))
        else:
            turn.reply(plan_meetings_message(tx, m.id))
        return
    total = progress.total_meetings(m)
    lines = [
        f"{x.seq}/{total} · {tx.datetime(x.scheduled_at)} · {meeting_status_label(tx, x)}"
        for x in m.meetings
    ]
    buttons = [
        Button(
            action_id="schedule.move", label=tx._("Move meeting %(n)s", n=x.seq), value=str(x.id)
        )
        for x in upcoming_meetings(m, turn.now)[:MOVE_BUTTONS]
    ]
    buttons.append(Button(action_id="schedule.ics", label=tx._("To my calendar"), value=str(m.id)))
    turn.reply(
        Message()
        .text(tx.t("scheduling.list_heading", partner=user_text(partner(m, turn.person).name)))
        .text("\n".join(lines))
        .buttons(*buttons)
    )


def meeting_status_label(tx: Texts, meeting: Meeting) -> str:
    labels = {
        MeetingStatus.PLANNED: tx._("planned"),
        MeetingStatus.HELD: tx._("held"),
        MeetingStatus.MISSED: tx._("missed"),
        MeetingStatus.RESCHEDULED: tx._("moved"),
        MeetingStatus.CANCELLED: tx._("cancelled"),
    }
    label = labels[MeetingStatus(meeting.status)]
    if meeting.status == MeetingStatus.PLANNED and meeting.rescheduled_at:
        label = tx._("moved")
    return label


@action("schedule.ics", role=ANYONE)
def ics(turn: Turn, value: str) -> None:
    m = party_mentorship(turn, value)
    turn.reply(
        Message().text(turn.tx.t("scheduling.ics_intro")).add(ics_attachment(turn, turn.person, m))
    )


def _party_meeting(turn: Turn, value: str) -> Meeting:
    meeting = turn.session.get(Meeting, int(value)) if value.isdigit() else None
    if meeting is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert meeting is not None
    party_mentorship(turn, meeting.mentorship_id)
    return meeting


def move_form(turn: Turn, meeting: Meeting) -> Form:
    tx = turn.tx
    local = meeting.scheduled_at.astimezone(tx.tz)
    return Form(
        form_id="schedule.move",
        title=tx._("Move meeting %(n)s", n=meeting.seq),
        value=str(meeting.id),
        inputs=[
            Input(name="date", label=tx._("New date"), kind="date"),
            Input(name="time", label=tx._("New time"), kind="time"),
        ],
        values={"date": local.date().isoformat(), "time": local.strftime("%H:%M")},
        submit_label=tx._("Move"),
    )


@action("schedule.move", role=ANYONE)
def move(turn: Turn, value: str) -> None:
    meeting = _party_meeting(turn, value)
    if meeting.status != MeetingStatus.PLANNED or meeting.scheduled_at < turn.now:
        turn.refuse(turn.tx.t("scheduling.cannot_move"))
    forms.offer(turn, move_form(turn, meeting))


@form("schedule.move", role=ANYONE)
def save_move(turn: Turn, value: str, fields: dict[str, str]) -> None:
    meeting = _party_meeting(turn, value)
    if meeting.status != MeetingStatus.PLANNED or meeting.scheduled_at < turn.now:
        turn.refuse(turn.tx.t("scheduling.cannot_move"))
    m = meeting.mentorship
    today = turn.now.astimezone(turn.tx.tz).date()
    v = forms.Validator(turn.tx, fields)
    day = v.date("date", today, latest=m.planned_end)
    at = v.time("time")
    when = None
    if day is not None and at is not None:
        when = rules.local_datetime(day, at, turn.person.timezone)
        if when <= turn.now:
            v.errors["time"] = turn.tx._("That time has already passed.")
        clash = [
            x
            for x in m.meetings
            if x.id != meeting.id
            and x.status == MeetingStatus.PLANNED
            and abs(x.scheduled_at - when) < timedelta(days=1)
        ]
        if clash:
            v.errors["date"] = turn.tx._("Meeting %(n)s is already on that day.", n=clash[0].seq)
    if not v.ok or when is None:
        forms.reoffer(turn, move_form(turn, meeting), v)
        return
    forms.close(turn.session, turn.person)
    if when == meeting.scheduled_at:  # not a move: no message, no new calendar, no reminder
        turn.say(turn.tx.t("scheduling.not_moved", n=meeting.seq, when=turn.tx.datetime(when)))
        return
    meeting.scheduled_at = when
    meeting.ics_sequence += 1
    meeting.rescheduled_at = turn.now
    # A reminder queued for the old time must not go out; the sweep queues one for the new
    # time under a new key (the key carries the meeting's SEQUENCE).
    cancel_pending(turn.session, f"reminder:{meeting.id}.", "the meeting was moved")
    for person in (m.actor, m.mentor):
        tx = texts_for(person)
        message = Message().text(
            tx.t(
                "scheduling.moved",
                n=meeting.seq,
                when=tx.datetime(when),
                who=None if person.id == turn.person.id else user_text(turn.person.name),
            )
        )
        message.add(ics_attachment(turn, person, m))
        if person.id == turn.person.id:
            turn.reply(message)
        else:
            turn.send(
                person,
                message,
                kind="schedule",
                dedupe_key=f"moved:{meeting.id}:{meeting.ics_sequence}:{person.id}",
            )
