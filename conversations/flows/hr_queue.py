"""HR's follow-up queue in chat (``queue``), and a mentor's request for a workshop or a buddy.

The sweep fills the queue (``conversations.sweep.hr_queue``); here HR sees the open items and
closes each by acting on it or by dismissing it with a reason. Every read and every close is
written to the audit log. Items carry names and the kind of follow-up, never content.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations import forms
from conversations.flows.hr import pair_form
from conversations.flows.hr_pairs import remind_both
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Form, Input, Message
from conversations.registry import action, command, form
from conversations.roles import HR, MENTOR, roles_of
from conversations.sweep.hr_queue import facts_of, item_message
from conversations.texts import user_text
from conversations.turn import Turn
from storage import hr_queue as store
from storage.models import (
    HrQueueItem,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Programme,
    QueueKind,
)

PAGE = 10
REASON_MAX = 300


@command("queue", role=HR)
def queue(turn: Turn, rest: str) -> None:
    offset = int(rest) if rest.strip().isdigit() else 0
    _page(turn, offset)


@action("hr.queue_more", role=HR)
def queue_more(turn: Turn, value: str) -> None:
    _page(turn, int(value) if value.isdigit() else 0)


def _page(turn: Turn, offset: int) -> None:
    items = store.open_items(turn.session)
    audit(turn.session, turn.now, actor_label(turn.person), "queue.list", None, count=len(items))
    if not items:
        turn.say(turn.tx.t("hr_queue.empty"))
        return
    shown = items[offset : offset + PAGE]
    if not shown:
        turn.refuse(turn.tx.t("common.stale_button"))
    turn.say(
        turn.tx.t("hr_queue.heading", count=len(items), first=offset + 1, last=offset + len(shown))
    )
    for item in shown:
        turn.reply(item_message(turn.tx, facts_of(turn.session, item)))
    if offset + PAGE < len(items):
        turn.reply(
            Message().buttons(
                Button(action_id="hr.queue_more", label=turn.tx._("More"), value=str(offset + PAGE))
            )
        )


def _open_item(turn: Turn, value: str) -> HrQueueItem:
    item = turn.session.get(HrQueueItem, int(value)) if value.isdigit() else None
    if item is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert item is not None
    if item.closed_at is not None:
        turn.refuse(turn.tx.t("hr_queue.already_closed"))
    return item


def close(turn: Turn, item: HrQueueItem, note: str) -> None:
    """Close ``item`` as HR's act, audited; tell HR it left the queue."""
    by = actor_label(turn.person)
    store.close_item(item, turn.now, by, note)
    audit(
        turn.session,
        turn.now,
        by,
        "queue.close",
        None,
        item_id=item.id,
        kind=item.kind,
        mentorship_id=item.mentorship_id,
    )
    turn.say(turn.tx.t("hr_queue.closed"))


def acted_on(turn: Turn, value: str, note: str) -> None:
    """Close the queue item a form was opened from (value ``queue:<id>``), if still open."""
    _, _, item_id = value.partition(":")
    item = turn.session.get(HrQueueItem, int(item_id)) if item_id.isdigit() else None
    if item is not None and item.closed_at is None:
        close(turn, item, note)


@action("hr.queue_pair", role=HR)
def queue_pair(turn: Turn, value: str) -> None:
    """A new round (same pair), a new mentor (the actor, mentor to choose) or an invitee: the
    pair form, filled in; saving it closes the item."""
    item = _open_item(turn, value)
    mentorship = turn.session.get(Mentorship, item.mentorship_id) if item.mentorship_id else None
    person = turn.session.get(Person, item.person_id) if item.person_id else None
    programmes = list(turn.session.scalars(select(Programme.id)))
    if not programmes:
        turn.refuse(turn.tx.t("hr.no_programmes"))
    values: dict[str, str] = {}
    if mentorship is not None:
        values["programme"] = str(mentorship.programme_id)
        values["actor"] = mentorship.actor.email or ""
        if item.detail == "new_goals":
            values["mentor"] = mentorship.mentor.email or ""
    elif person is not None and person.email:
        values["actor"] = person.email
    elif len(programmes) == 1:
        values["programme"] = str(programmes[0])
    forms.offer(turn, pair_form(turn, f"queue:{item.id}", values))


def _meeting_record(turn: Turn, value: str, status: MeetingStatus) -> None:
    item = _open_item(turn, value)
    meeting = turn.session.get(Meeting, item.meeting_id) if item.meeting_id else None
    if item.kind != QueueKind.MEETING_DISPUTE or meeting is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert meeting is not None
    meeting.status = status
    close(turn, item, f"recorded {status.value}")


@action("hr.queue_held", role=HR)
def queue_held(turn: Turn, value: str) -> None:
    _meeting_record(turn, value, MeetingStatus.HELD)


@action("hr.queue_missed", role=HR)
def queue_missed(turn: Turn, value: str) -> None:
    _meeting_record(turn, value, MeetingStatus.MISSED)


@action("hr.queue_remind", role=HR)
def queue_remind(turn: Turn, value: str) -> None:
    item = _open_item(turn, value)
    mentorship = turn.session.get(Mentorship, item.mentorship_id) if item.mentorship_id else None
    if mentorship is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert mentorship is not None
    remind_both(turn, mentorship)
    close(turn, item, "reminded both")


@action("hr.queue_done", role=HR)
def queue_done(turn: Turn, value: str) -> None:
    close(turn, _open_item(turn, value), "done")


def dismiss_form(turn: Turn, item: HrQueueItem) -> Form:
    return Form(
        form_id="hr.queue_dismiss",
        title=turn.tx._("Dismiss a follow-up"),
        value=str(item.id),
        inputs=[
            Input(
                name="reason",
                label=turn.tx._("Reason"),
                kind="multiline",
                max_length=REASON_MAX,
                hint=turn.tx._("Kept in the queue's history; no private details, please."),
            )
        ],
        submit_label=turn.tx._("Dismiss"),
    )


@action("hr.queue_dismiss", role=HR)
def start_dismiss(turn: Turn, value: str) -> None:
    item = _open_item(turn, value)
    forms.offer(turn, dismiss_form(turn, item))


@form("hr.queue_dismiss", role=HR)
def save_dismiss(turn: Turn, value: str, fields: dict[str, str]) -> None:
    item = _open_item(turn, value)
    v = forms.Validator(turn.tx, fields)
    reason = v.text("reason", REASON_MAX)
    if not v.ok:
        forms.reoffer(turn, dismiss_form(turn, item), v)
        return
    assert reason
    forms.close(turn.session, turn.person)
    close(turn, item, reason)


# --- a mentor asks HR for support ----------------------------------------------------------


@command("support", role=MENTOR)
def support(turn: Turn, _rest: str) -> None:
    """A mentor asks for a workshop or a buddy; it becomes an item in HR's queue."""
    if not roles_of(turn.session, turn.person).mentor_of:
        turn.refuse(turn.tx.t("hr_queue.mentors_only"))
    turn.reply(
        Message()
        .text(turn.tx.t("hr_queue.support_question"))
        .buttons(
            Button(action_id="support.ask", label=turn.tx._("A mentor workshop"), value="workshop"),
            Button(action_id="support.ask", label=turn.tx._("A buddy"), value="buddy"),
        )
    )


@action("support.ask", role=MENTOR)
def support_ask(turn: Turn, value: str) -> None:
    mentorships = roles_of(turn.session, turn.person).mentor_of
    if not mentorships:
        turn.refuse(turn.tx.t("hr_queue.mentors_only"))
    if value not in ("workshop", "buddy"):
        turn.refuse(turn.tx.t("common.stale_button"))
    year, week, _ = turn.now.isocalendar()
    opened = store.open_item(
        turn.session,
        turn.now,
        f"support:{turn.person.id}:{value}:{year}-W{week:02d}",
        QueueKind.SUPPORT,
        detail=value,
        programme_id=mentorships[0].programme_id,
        person_id=turn.person.id,
    )
    name = user_text(turn.person.name)
    turn.say(turn.tx.t("hr_queue.support_sent" if opened else "hr_queue.support_again", name=name))
