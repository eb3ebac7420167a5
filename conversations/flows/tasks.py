"""Intermediate tasks between meetings: list them, mark them done."""

from __future__ import annotations

from conversations.flows.common import party_mentorship, pick_mentorship
from conversations.messages import Button, Message
from conversations.registry import action, command
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import Task, TaskStatus
from storage.queries import partner, tasks


@command("tasks", role=ANYONE)
def list_tasks(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "tasks", rest)
    if m is None:
        return
    tx = turn.tx
    items = tasks(turn.session, m)
    if not items:
        turn.say(tx.t("tasks.nothing"))
        return
    lines = []
    buttons = []
    for task in items:
        mark = "✓" if task.status == TaskStatus.DONE else "○"
        due = " (" + tx._("by %(when)s", when=tx.date(task.due_at)) + ")" if task.due_at else ""
        lines.append(f"{mark} {user_text(task.text)}{due}")
        if task.status == TaskStatus.OPEN:
            buttons.append(task_done_button(turn, task))
    turn.reply(Message().text(tx.t("tasks.heading")).text("\n".join(lines)).buttons(*buttons[:5]))


def task_done_button(turn: Turn, task: Task) -> Button:
    """A button that marks one open intermediate task done."""
    return Button(
        action_id="task.done",
        value=str(task.id),
        label=turn.tx._("Done: %(task)s", task=_short(task.text)),
    )


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@action("task.done", role=ANYONE)
def done(turn: Turn, value: str) -> None:
    task = turn.session.get(Task, int(value)) if value.isdigit() else None
    if task is None:
        turn.refuse(turn.tx.t("common.stale_button"))
        return
    m = party_mentorship(turn, task.mentorship_id)
    if task.status != TaskStatus.OPEN:
        turn.refuse(turn.tx.t("tasks.already_done"))
    task.status = TaskStatus.DONE
    task.done_at = turn.now
    turn.say(turn.tx.t("tasks.marked_done", task=user_text(task.text)))
    other = partner(m, turn.person)
    turn.send(
        other,
        Message().text(
            texts_for(other).t(
                "tasks.partner_done", who=user_text(turn.person.name), task=user_text(task.text)
            )
        ),
        kind="task",
        dedupe_key=f"task.done:{task.id}",
    )
