"""A clear end: what closing a relationship does to what is left of it, and the short summary
both parties receive.

Closing cancels every meeting still ahead (each person gets a calendar update with
``METHOD:CANCEL``, so the events leave their calendars), counts a past meeting nobody
recorded as not held (each was asked about once, when the final evaluation opened), closes
the open intermediate tasks, and tells the actor and the mentor what their relationship
came to: meetings held, tasks done, the goals and the plan each chose.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations.calendar import cancel_ics
from conversations.messages import Attachment, Message
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from storage.models import (
    CheckIn,
    Evaluation,
    EvaluationKind,
    GoalStatus,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Task,
    TaskStatus,
)
from storage.queries import partner, top_goals


def unrecorded_past_meetings(turn: Turn, m: Mentorship) -> list[Meeting]:
    """Past meetings still planned that ``turn.person`` has not checked in on."""
    mine = set(
        turn.session.scalars(
            select(CheckIn.meeting_id).where(
                CheckIn.person_id == turn.person.id,
                CheckIn.meeting_id.in_([x.id for x in m.meetings]),
            )
        )
    )
    return [
        x
        for x in sorted(m.meetings, key=lambda x: x.seq)
        if x.status == MeetingStatus.PLANNED and x.scheduled_at <= turn.now and x.id not in mine
    ]


def wind_up(turn: Turn, m: Mentorship) -> None:
    """Cancel what lies ahead, settle what was left open, and send both their summary."""
    cancelled = []
    for meeting in sorted(m.meetings, key=lambda x: x.seq):
        if meeting.status != MeetingStatus.PLANNED:
            continue
        if meeting.scheduled_at > turn.now:
            meeting.status = MeetingStatus.CANCELLED
            meeting.ics_sequence += 1
            cancelled.append(meeting)
        else:  # asked about when the final evaluation opened; nobody recorded it
            meeting.status = MeetingStatus.MISSED
    tasks = list(turn.session.scalars(select(Task).where(Task.mentorship_id == m.id)))
    closed_tasks = 0
    for task in tasks:
        if task.status == TaskStatus.OPEN:
            task.status = TaskStatus.DROPPED
            closed_tasks += 1
    turn.session.flush()
    for person in (m.actor, m.mentor):
        message = _summary(turn, m, person, tasks, closed_tasks, cancelled)
        if person.id == turn.person.id:
            turn.reply(message)
        else:
            turn.send(
                person, message, kind="closing", dedupe_key=f"closed.summary:{m.id}:{person.id}"
            )


def _summary(
    turn: Turn,
    m: Mentorship,
    person: Person,
    tasks: list[Task],
    closed_tasks: int,
    cancelled: list[Meeting],
) -> Message:
    tx = texts_for(person)
    counted = [x for x in m.meetings if x.status != MeetingStatus.CANCELLED]
    held = sum(1 for x in counted if x.status == MeetingStatus.HELD)
    done = sum(1 for t in tasks if t.status == TaskStatus.DONE)
    own = turn.session.scalars(
        select(Evaluation.continuation).where(
            Evaluation.mentorship_id == m.id,
            Evaluation.person_id == person.id,
            Evaluation.kind == EvaluationKind.FINAL.value,
        )
    ).first()
    goals = "\n".join(
        f"• {user_text(g.title)} — {goal_status_label(tx, g.status)}" for g in top_goals(m)
    )
    message = Message().text(
        tx.t("evaluation.summary_heading", partner=user_text(partner(m, person).name))
    )
    message.text(
        tx.t(
            "evaluation.summary_counts",
            held=held,
            meetings=len(counted),
            done=done,
            tasks=len(tasks),
            closed_tasks=closed_tasks,
        )
    )
    if goals:
        message.text(tx.t("evaluation.summary_goals", goals=goals))
    if own:
        message.text(tx.t("evaluation.summary_plan", plan=own))
    if cancelled:
        message.text(tx.t("evaluation.summary_cancelled", count=len(cancelled)))
    message.text(tx.t("evaluation.summary_reflections"))
    if cancelled:
        message.add(
            Attachment(
                filename="mentoring-cancelled.ics",
                mime_type="text/calendar",
                content=cancel_ics(tx, m, cancelled, turn.now),
            )
        )
    return message


def goal_status_label(tx: Texts, status: str) -> str:
    labels = {
        GoalStatus.PROPOSED: tx._("proposed"),
        GoalStatus.AGREED: tx._("agreed"),
        GoalStatus.ACHIEVED: tx._("achieved"),
        GoalStatus.PARTLY: tx._("partly achieved"),
        GoalStatus.NOT_ACHIEVED: tx._("not achieved"),
        GoalStatus.DROPPED: tx._("dropped"),
    }
    return labels.get(GoalStatus(status), status)
