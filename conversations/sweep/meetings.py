"""Nudges around each meeting: the reminder the working day before, the check-in after, the
task reminder and reflection prompt halfway to the next meeting, and the interim evaluation
after the middle meeting."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from functools import partial

from conversations import rules
from conversations.messages import Button, Message
from conversations.sweep.plan import CHECKIN_DELAY, GRACE, Pair, Plan, Recipient, SweepMeeting
from conversations.sweep.reads import SweepData
from conversations.texts import user_text
from conversations.worktime import previous_working_day, start_of_working_day
from storage.models import EvaluationKind, MeetingStatus, Phase


def following_meetings(meetings: list[SweepMeeting]) -> dict[int, datetime]:
    """The real next meeting of each meeting in the window (it keeps its wall-clock time
    across daylight saving, and may have been moved)."""
    following: dict[int, datetime] = {}
    for current, after in itertools.pairwise(meetings):
        if current.mentorship_id == after.mentorship_id:
            following[current.id] = after.at
    return following


def _unseen_next(mt: SweepMeeting, pair: Pair) -> datetime | None:
    """The next meeting when it lies beyond the window: the pair's first planned meeting after
    now (every meeting between ``mt`` and now is in the window). None after the pair's last
    meeting: then there is no next meeting to be halfway to, nor to name."""
    if pair.next_at is None or pair.next_at <= mt.at:
        return None
    return pair.next_at


def meeting_nudges(plan: Plan, data: SweepData) -> None:
    now = plan.now
    following = following_meetings(data.meetings)
    totals: dict[int, int] = {}
    existing = plan.existing
    for mt in data.meetings:
        pair = data.pairs.get(mt.mentorship_id)
        if pair is None:
            continue
        end = mt.at + timedelta(minutes=mt.minutes)
        tasks = data.open_tasks.get(pair.id, [])
        total = totals.get(pair.id) or totals.setdefault(pair.id, pair.total_meetings())
        for person in pair.parties():
            partner = pair.partner_of(person)
            if mt.status == MeetingStatus.PLANNED and mt.at > now:
                if f"reminder:{mt.id}.{mt.version}:{person.id}" in existing:  # cheap test first
                    continue
                day_before = previous_working_day(mt.at.astimezone(person.tz).date(), pair.country)
                nominal = start_of_working_day(day_before, person.tz)
                if nominal <= now:
                    plan.add(
                        key=f"reminder:{mt.id}.{mt.version}:{person.id}",
                        kind="reminder",
                        person=person,
                        country=pair.country,
                        nominal=nominal,
                        expires_at=mt.at,
                        build=partial(_reminder, person, partner, mt, total, tasks),
                    )
                continue
            if mt.at > now:
                continue
            nominal = end + CHECKIN_DELAY
            if nominal <= now < nominal + GRACE and (mt.id, person.id) not in data.checked_in:
                plan.add(
                    key=f"checkin:{mt.id}:{person.id}",
                    kind="checkin",
                    person=person,
                    country=pair.country,
                    nominal=nominal,
                    expires_at=nominal + GRACE,  # "up to 4 days late" holds when it is sent too
                    build=partial(_checkin, person, partner, mt),
                )
            next_at = following.get(mt.id) or _unseen_next(mt, pair)
            if next_at is not None:
                _halfway_prompts(plan, pair, person, mt, next_at, tasks)
            if (
                pair.phase == Phase.DEVELOPMENT
                and mt.seq == rules.middle_meeting_seq(total)
                and (pair.id, person.id, EvaluationKind.INTERIM.value) not in data.evaluated
            ):
                day_after = (mt.at.astimezone(person.tz) + timedelta(days=1)).date()
                nominal = start_of_working_day(day_after, person.tz)
                if nominal <= now < nominal + GRACE:
                    plan.add(
                        key=f"interim:{pair.id}:{person.id}",
                        kind="interim",
                        person=person,
                        country=pair.country,
                        nominal=nominal,
                        expires_at=nominal + GRACE,
                        build=partial(_interim, person, partner, pair.id),
                    )


def _halfway_prompts(
    plan: Plan,
    pair: Pair,
    person: Recipient,
    mt: SweepMeeting,
    next_at: datetime,
    tasks: list[tuple[int, str]],
) -> None:
    """Halfway to the next meeting: the open task to the actor, a reflection prompt to both."""
    midpoint = mt.at + (next_at - mt.at) / 2
    if not midpoint <= plan.now < min(midpoint + GRACE, next_at):
        return
    if tasks and person.id == pair.actor.id:
        plan.add(
            key=f"task:{mt.id}:{person.id}",
            kind="task_reminder",
            person=person,
            country=pair.country,
            nominal=midpoint,
            expires_at=next_at,
            build=partial(_task, person, tasks, next_at),
        )
    plan.add(
        key=f"reflect:{pair.id}:{mt.seq}:{person.id}",
        kind="reflect",
        person=person,
        country=pair.country,
        nominal=midpoint,
        expires_at=next_at,
        build=partial(_reflect, person, pair.id, next_at),
    )


def meeting_stage(seq: int, total: int) -> str:
    """Which course the meeting takes (programme-model.md): the first builds trust and
    clarifies the goals, the middle one looks at the interim evaluation, the last one holds
    the final discussion and the continuation plan; the others follow the usual course."""
    if seq == 1 and total != 1:
        return "first"
    if total and seq >= total:
        return "last"
    if seq == rules.middle_meeting_seq(total):
        return "middle"
    return "regular"


def _tasks_text(tasks: list[tuple[int, str]]) -> str:
    return "; ".join(user_text(body) for _, body in tasks[:3])


def _reminder(
    person: Recipient,
    partner: Recipient,
    mt: SweepMeeting,
    total: int,
    tasks: list[tuple[int, str]],
) -> Message:
    tx = person.texts()
    message = Message().text(
        tx.t(
            "nudges.reminder",
            n=mt.seq,
            total=total,
            partner=user_text(partner.name),
            when=person.when(mt.at),
        )
    )
    if tasks:
        message.text(tx.t("nudges.reminder_task", tasks=_tasks_text(tasks)))
    message.text(tx.t("nudges.agenda", stage=meeting_stage(mt.seq, total)))
    return message.buttons(
        Button(
            action_id="schedule.move", label=tx._("Move meeting %(n)s", n=mt.seq), value=str(mt.id)
        )
    )


def _checkin(person: Recipient, partner: Recipient, mt: SweepMeeting) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.checkin", n=mt.seq, partner=user_text(partner.name)))
        .buttons(
            Button(
                action_id="checkin.start",
                label=tx._("Check in"),
                value=str(mt.id),
                style="primary",
            )
        )
    )


def _task(person: Recipient, tasks: list[tuple[int, str]], next_at: datetime) -> Message:
    tx = person.texts()
    tid, body = tasks[0]
    short = body if len(body) <= 30 else body[:29] + "…"
    return (
        Message()
        .text(tx.t("nudges.task", tasks=_tasks_text(tasks), when=person.when(next_at)))
        .buttons(
            Button(action_id="task.done", label=tx._("Done: %(task)s", task=short), value=str(tid))
        )
    )


def _reflect(person: Recipient, mentorship_id: int, next_at: datetime) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.reflect", when=person.when(next_at)))
        .buttons(Button(action_id="reflect.start", label=tx._("Reflect"), value=str(mentorship_id)))
    )


def _interim(person: Recipient, partner: Recipient, mentorship_id: int) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.interim", partner=user_text(partner.name)))
        .buttons(
            Button(
                action_id="interim.start",
                label=tx._("Interim evaluation"),
                value=str(mentorship_id),
                style="primary",
            )
        )
    )
