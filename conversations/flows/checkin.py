"""After each meeting: did it happen, how useful, rapport (private), the next task, a note."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from conversations import checkin_rule, forms, progress
from conversations.flows.common import party_mentorship, pick_mentorship
from conversations.flows.tasks import task_done_button
from conversations.messages import Button, Form, Input, Message
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import (
    LONG_TEXT_MAX,
    CheckIn,
    Meeting,
    Mentorship,
    Person,
    Phase,
    Task,
    TaskStatus,
)
from storage.queries import (
    checkin_by_id_for_author,
    next_meeting,
    open_tasks,
    own_checkin,
    partner,
)

TASK_MAX = 1000


def checkin_form(turn: Turn, meeting: Meeting) -> Form:
    tx = turn.tx
    ratings = forms.rating_options()
    return Form(
        form_id="checkin",
        title=tx._("Check-in: meeting %(n)s", n=meeting.seq),
        value=str(meeting.id),
        inputs=[
            Input(
                name="held",
                label=tx._("Did the meeting happen?"),
                kind="select",
                options=forms.yes_no(tx),
            ),
            Input(
                name="usefulness",
                label=tx._("How useful was it? (1–5, needed if the meeting happened)"),
                kind="rating",
                options=ratings,
                required=False,
            ),
            Input(
                name="rapport",
                label=tx._(
                    "How well do you two work together? (1–5, private, needed if the meeting "
                    "happened)"
                ),
                kind="rating",
                options=ratings,
                required=False,
            ),
            Input(
                name="task",
                label=tx._("The next intermediate task"),
                kind="multiline",
                required=False,
                max_length=TASK_MAX,
            ),
            Input(
                name="note",
                label=tx._("A private note (only you see it)"),
                kind="multiline",
                required=False,
                max_length=LONG_TEXT_MAX,
            ),
        ],
        submit_label=tx._("Save"),
    )


@command("checkin", role=ANYONE)
def checkin_command(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "checkin", rest, (Phase.DEVELOPMENT, Phase.CLOSING))
    if m is None:
        return
    meeting = progress.checkin_due(turn.session, m, turn.person, turn.now)
    if meeting is None:
        nxt = next_meeting(m, turn.now)
        message = Message().text(
            turn.tx.t(
                "checkin.nothing_due", next=turn.tx.datetime(nxt.scheduled_at) if nxt else None
            )
        )
        recent = _correctable(turn, m)
        if recent is not None:
            message.buttons(_correct_button(turn, recent))
        turn.reply(message)
        return
    start(turn, str(meeting.id))


def _meeting(turn: Turn, value: str) -> Meeting:
    meeting = turn.session.get(Meeting, int(value)) if value.isdigit() else None
    if meeting is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert meeting is not None
    party_mentorship(turn, meeting.mentorship_id)
    if meeting.scheduled_at > turn.now:
        turn.refuse(turn.tx.t("checkin.not_yet", when=turn.tx.datetime(meeting.scheduled_at)))
    own = own_checkin(turn.session, turn.person, meeting)
    if own is not None and checkin_rule.correctable_until(turn.session, own) <= turn.now:
        turn.refuse(turn.tx.t("checkin.already_done", n=meeting.seq))
    if meeting.mentorship.phase not in (Phase.DEVELOPMENT, Phase.CLOSING):
        turn.refuse(turn.tx.t("common.stale_button"))
    return meeting


@action("checkin.start", role=ANYONE)
def start(turn: Turn, value: str) -> None:
    meeting = _meeting(turn, value)
    form = checkin_form(turn, meeting)
    own = own_checkin(turn.session, turn.person, meeting)
    if own is None:
        forms.offer(turn, form, intro=turn.tx.t("checkin.intro", n=meeting.seq))
        return
    form.values = {"held": "yes" if own.held else "no"}
    form.values.update(
        {k: str(v) for k, v in (("usefulness", own.usefulness), ("rapport", own.rapport)) if v}
    )
    if own.note:
        form.values["note"] = own.note
    until = checkin_rule.correctable_until(turn.session, own)
    forms.offer(
        turn,
        form,
        intro=turn.tx.t("checkin.correct_intro", n=meeting.seq, until=turn.tx.datetime(until)),
    )


@form("checkin", role=ANYONE)
def save(turn: Turn, value: str, fields: dict[str, str]) -> None:
    meeting = _meeting(turn, value)
    m = meeting.mentorship
    v = forms.Validator(turn.tx, fields)
    held = v.choice("held", ["yes", "no"]) == "yes"
    usefulness = v.rating("usefulness", required=held)
    rapport = v.rating("rapport", required=held)
    task_text = v.text("task", TASK_MAX, required=False)
    note = v.text("note", LONG_TEXT_MAX, required=False)
    if not v.ok:
        forms.reoffer(turn, checkin_form(turn, meeting), v)
        return
    forms.close(turn.session, turn.person)
    checkin = own_checkin(turn.session, turn.person, meeting)
    was_disputed = checkin_rule.conflict_since(turn.session, meeting.id) is not None
    if checkin is None:
        checkin = CheckIn(meeting_id=meeting.id, person_id=turn.person.id, created_at=turn.now)
        turn.session.add(checkin)
    checkin.held = held
    checkin.usefulness = usefulness if held else None
    checkin.rapport = rapport if held else None
    checkin.note = note
    turn.session.flush()
    checkin_rule.apply(turn.session, meeting)
    other = partner(m, turn.person)
    task_exists = (
        turn.session.scalars(
            select(Task.id).where(
                Task.meeting_id == meeting.id, Task.created_by_id == turn.person.id
            )
        ).first()
        is not None
    )
    if task_text and held and not task_exists:
        nxt = next_meeting(m, turn.now)
        turn.session.add(
            Task(
                mentorship_id=m.id,
                meeting_id=meeting.id,
                created_by_id=turn.person.id,
                text=task_text,
                due_at=nxt.scheduled_at if nxt else None,
                status=TaskStatus.OPEN,
                created_at=turn.now,
            )
        )
        otx = texts_for(other)
        turn.send(
            other,
            Message().text(
                otx.t(
                    "checkin.task_added", who=user_text(turn.person.name), task=user_text(task_text)
                )
            ),
            kind="task",
            dedupe_key=f"task.added:{meeting.id}:{turn.person.id}",
        )
    turn.session.flush()
    disputed = checkin_rule.conflict_since(turn.session, meeting.id) is not None
    until = checkin_rule.correctable_until(turn.session, checkin)
    message = Message().text(
        turn.tx.t(
            "checkin.saved",
            held=held,
            n=meeting.seq,
            status=str(meeting.status),
            partner=user_text(other.name) if disputed else None,
            until=turn.tx.datetime(until),
        )
    )
    if disputed or was_disputed:
        _tell_partner(turn, meeting, other, held, disputed, until)
    if note:
        message.buttons(
            Button(
                action_id="checkin.share_note",
                value=str(checkin.id),
                label=turn.tx._("Share my note with %(name)s", name=other.name),
            )
        )
    turn.reply(message)
    earlier = [t for t in open_tasks(turn.session, m) if t.meeting_id != meeting.id]
    if earlier:
        turn.reply(
            Message()
            .text(turn.tx.t("checkin.open_tasks", count=len(earlier)))
            .text("\n".join(f"○ {user_text(t.text)}" for t in earlier))
            .buttons(*[task_done_button(turn, t) for t in earlier[:5]])
        )


def _tell_partner(
    turn: Turn, meeting: Meeting, other: Person, held: bool, disputed: bool, until: datetime
) -> None:
    """The partner hears of a disagreement (and is asked to check their own answer), or that
    a correction settled it."""
    otx = texts_for(other)
    own = own_checkin(turn.session, other, meeting)
    message = Message().text(
        otx.t(
            "checkin.conflict" if disputed else "checkin.settled",
            who=user_text(turn.person.name),
            n=meeting.seq,
            held=held,
            status=str(meeting.status),
            until=otx.datetime(max(until, own.created_at + checkin_rule.CORRECTION_WINDOW))
            if own is not None
            else otx.datetime(until),
        )
    )
    if disputed:
        message.buttons(
            Button(
                action_id="checkin.start",
                value=str(meeting.id),
                label=otx._("Correct my check-in"),
            )
        )
    turn.send(
        other,
        message,
        kind="checkin",
        dedupe_key=f"checkin.{'conflict' if disputed else 'settled'}:{meeting.id}:{other.id}:"
        f"{int(turn.now.timestamp())}",
    )


def _correctable(turn: Turn, m: Mentorship) -> Meeting | None:
    """The latest meeting the person checked in on and may still correct."""
    for meeting in sorted(m.meetings, key=lambda x: x.seq, reverse=True):
        own = own_checkin(turn.session, turn.person, meeting)
        if own is not None:
            if checkin_rule.correctable_until(turn.session, own) > turn.now:
                return meeting
            return None
    return None


def _correct_button(turn: Turn, meeting: Meeting) -> Button:
    return Button(
        action_id="checkin.start",
        value=str(meeting.id),
        label=turn.tx._("Correct my check-in on meeting %(n)s", n=meeting.seq),
    )


@action("checkin.share_note", role=ANYONE)
def share_note(turn: Turn, value: str) -> None:
    checkin = (
        checkin_by_id_for_author(turn.session, turn.person, int(value))
        if (value.isdigit())
        else None
    )
    if checkin is None or not checkin.note:
        turn.refuse(turn.tx.t("common.not_yours"))
        return
    if checkin.note_shared_at is not None:
        turn.refuse(turn.tx.t("common.already_shared"))
    checkin.note_shared_at = turn.now
    meeting = turn.session.get(Meeting, checkin.meeting_id)
    assert meeting is not None
    other = partner(meeting.mentorship, turn.person)
    turn.send(
        other,
        Message().text(
            texts_for(other).t(
                "checkin.shared_note",
                who=user_text(turn.person.name),
                n=meeting.seq,
                note=user_text(checkin.note),
            )
        ),
        kind="shared",
        dedupe_key=f"shared.note:{checkin.id}",
    )
    turn.say(turn.tx.t("common.shared_with", name=user_text(other.name)))
