"""After each meeting: did it happen, how useful, rapport (private), the next task, a note."""

from __future__ import annotations

from conversations import forms, progress
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
    MeetingStatus,
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
        turn.say(
            turn.tx.t(
                "checkin.nothing_due", next=turn.tx.datetime(nxt.scheduled_at) if nxt else None
            )
        )
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
    if own_checkin(turn.session, turn.person, meeting) is not None:
        turn.refuse(turn.tx.t("checkin.already_done", n=meeting.seq))
    if meeting.mentorship.phase not in (Phase.DEVELOPMENT, Phase.CLOSING):
        turn.refuse(turn.tx.t("common.stale_button"))
    return meeting


@action("checkin.start", role=ANYONE)
def start(turn: Turn, value: str) -> None:
    meeting = _meeting(turn, value)
    forms.offer(turn, checkin_form(turn, meeting), intro=turn.tx.t("checkin.intro", n=meeting.seq))


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
    checkin = CheckIn(
        meeting_id=meeting.id,
        person_id=turn.person.id,
        held=held,
        usefulness=usefulness if held else None,
        rapport=rapport if held else None,
        note=note,
        created_at=turn.now,
    )
    turn.session.add(checkin)
    if held:
        meeting.status = MeetingStatus.HELD
    elif meeting.status == MeetingStatus.PLANNED:
        meeting.status = MeetingStatus.MISSED
    other = partner(m, turn.person)
    if task_text and held:
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
    message = Message().text(turn.tx.t("checkin.saved", held=held, n=meeting.seq))
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
