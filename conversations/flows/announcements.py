"""HR's announcements in chat: compose, preview, then send to people by role or to a
channel the bot is in; the list of recent ones with their delivery counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import forms
from conversations.channels import known_channels
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Form, Input, Message, Option
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.outreach import AUDIENCES, audience
from conversations.programmes import holiday_country
from conversations.registry import action, command, form
from conversations.roles import HR
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from conversations.worktime import next_working_moment, zone
from storage.models import (
    Announcement,
    Channel,
    Outbox,
    OutboxStatus,
    Programme,
)

ALL = "all"
RECENT = 10


CHANNEL = "channel"
CHANNEL_PREFIX = "channel:"


def _audience_label(
    tx: Texts, kind: str, programme: str | None, channel: Channel | None = None
) -> str:
    if kind == CHANNEL:
        return tx.t("outreach.channel_label", channel=user_text(channel.name if channel else "?"))
    labels = {
        "everyone": tx._("everyone"),
        "mentors": tx._("mentors"),
        "actors": tx._("actors"),
        "supervisors": tx._("supervisors"),
    }
    label = labels.get(kind, kind)
    return f"{label} ({user_text(programme)})" if programme else label


# --- announcements -------------------------------------------------------------------------


def announce_form(turn: Turn) -> Form:
    """Programme, audience (people by role, or a channel the bot is in) and the message."""
    tx = turn.tx
    programmes = [Option(value=ALL, label=tx._("All programmes"))] + [
        Option(value=str(p.id), label=p.name)
        for p in turn.session.scalars(select(Programme).order_by(Programme.name))
    ]
    audiences = [Option(value=a, label=_audience_label(tx, a, None)) for a in AUDIENCES] + [
        Option(value=f"{CHANNEL_PREFIX}{c.id}", label=_audience_label(tx, CHANNEL, None, c))
        for c in known_channels(turn.session)
    ]
    return Form(
        form_id="hr.announce",
        title=tx._("Announcement"),
        inputs=[
            Input(name="programme", label=tx._("Programme"), kind="select", options=programmes),
            Input(
                name="audience",
                label=tx._("Audience"),
                kind="select",
                options=audiences,
                hint=tx.t("outreach.channel_hint"),
            ),
            Input(name="text", label=tx._("Message"), kind="multiline", max_length=3000),
        ],
        values={"programme": ALL, "audience": "everyone"},
        submit_label=tx._("Preview"),
    )


@command("announce", role=HR)
def announce(turn: Turn, _rest: str) -> None:
    forms.offer(turn, announce_form(turn))


@form("hr.announce", role=HR)
def preview(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    v = forms.Validator(turn.tx, fields)
    ids = [str(i) for i in turn.session.scalars(select(Programme.id))]
    channels = {f"{CHANNEL_PREFIX}{c.id}": c for c in known_channels(turn.session)}
    programme = v.choice("programme", [ALL, *ids])
    kind = v.choice("audience", [*AUDIENCES, *channels])
    text = v.text("text", 3000)
    if not v.ok:
        forms.reoffer(turn, announce_form(turn), v)
        return
    assert programme and kind and text
    forms.close(turn.session, turn.person)
    if kind in channels:
        _preview_channel(turn, channels[kind], text)
        return
    programme_id = None if programme == ALL else int(programme)
    people = audience(turn.session, programme_id, kind)
    if not people:
        turn.say(turn.tx.t("outreach.nobody"))
        return
    item = Announcement(
        author_id=turn.person.id,
        programme_id=programme_id,
        audience=kind,
        text=text,
        created_at=turn.now,
    )
    turn.session.add(item)
    turn.session.flush()
    name = turn.session.get(Programme, programme_id).name if programme_id else None  # type: ignore[union-attr]
    turn.reply(
        Message()
        .text(
            turn.tx.t(
                "outreach.preview", audience=_audience_label(turn.tx, kind, name), n=len(people)
            )
        )
        .text(turn.tx.t("outreach.announcement", text=user_text(text)))
        .buttons(*_send_or_discard(turn.tx, item))
    )


def _preview_channel(turn: Turn, channel: Channel, text: str) -> None:
    """A channel announcement is not tied to a programme: everyone in the channel reads it."""
    item = Announcement(
        author_id=turn.person.id,
        programme_id=None,
        audience=CHANNEL,
        channel_id=channel.id,
        text=text,
        created_at=turn.now,
    )
    turn.session.add(item)
    turn.session.flush()
    turn.reply(
        Message()
        .text(turn.tx.t("outreach.preview_channel", channel=user_text(channel.name)))
        .text(turn.tx.t("outreach.announcement", text=user_text(text)))
        .buttons(*_send_or_discard(turn.tx, item))
    )


def _send_or_discard(tx: Texts, item: Announcement) -> list[Button]:
    return [
        Button(
            action_id="hr.announce.send", label=tx._("Send"), value=str(item.id), style="primary"
        ),
        Button(action_id="hr.announce.discard", label=tx._("Discard"), value=str(item.id)),
    ]


def _draft(turn: Turn, value: str) -> Announcement:
    item = turn.session.get(Announcement, int(value)) if value.isdigit() else None
    if item is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert item is not None
    if item.sent_at is not None:
        turn.refuse(turn.tx.t("outreach.already_sent"))
    return item


@action("hr.announce.send", role=HR)
def send(turn: Turn, value: str) -> None:
    item = _draft(turn, value)
    if item.audience == CHANNEL:
        _send_to_channel(turn, item)
        return
    people = audience(turn.session, item.programme_id, item.audience)
    country = holiday_country(turn.session, item.programme_id)
    rows = []
    for person in people:
        tx = texts_for(person)
        rows.append(
            outbox_row(
                person_id=person.id,
                kind="announcement",
                message=Message().text(tx.t("outreach.announcement", text=user_text(item.text))),
                dedupe_key=f"announcement:{item.id}:{person.id}",
                due_at=next_working_moment(turn.now, zone(person.timezone), country),
                now=turn.now,
            )
        )
    _queue(turn, item, rows)
    turn.say(turn.tx.t("outreach.queued", n=item.recipients))


def _queue(turn: Turn, item: Announcement, rows: list[dict[str, Any]], **detail: Any) -> None:
    """Write the announcement's outbox rows once, mark it sent and audit who sent it where."""
    item.recipients = insert_ignoring_duplicates(turn.session, rows)
    item.sent_at = turn.now
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "announcement.send",
        None,
        announcement_id=item.id,
        audience=item.audience,
        recipients=item.recipients,
        **detail,
    )


def _send_to_channel(turn: Turn, item: Announcement) -> None:
    """One outbox row for the channel, in the author's language and working hours."""
    channel = turn.session.get(Channel, item.channel_id) if item.channel_id else None
    if channel is None or channel.removed_at is not None:
        turn.refuse(turn.tx.t("outreach.channel_gone"))
    assert channel is not None
    channel.locale = turn.person.locale  # the frame around HR's text, in HR's language
    row = outbox_row(
        person_id=None,
        channel_id=channel.id,
        kind="announcement",
        message=Message().text(turn.tx.t("outreach.announcement", text=user_text(item.text))),
        dedupe_key=f"announcement:{item.id}:channel:{channel.id}",
        due_at=next_working_moment(
            turn.now, zone(turn.person.timezone), holiday_country(turn.session)
        ),
        now=turn.now,
    )
    _queue(turn, item, [row], channel=channel.name)
    turn.say(turn.tx.t("outreach.queued_channel", channel=user_text(channel.name)))


@action("hr.announce.discard", role=HR)
def discard(turn: Turn, value: str) -> None:
    item = _draft(turn, value)
    turn.session.delete(item)
    turn.say(turn.tx.t("outreach.discarded"))


def delivery_counts(session: Session, announcement_id: int) -> dict[str, int]:
    """How the announcement's outbox rows stand: sent, failed (dead), waiting."""
    counts = dict(
        session.execute(
            select(Outbox.status, func.count(Outbox.id))
            .where(Outbox.dedupe_key.like(f"announcement:{announcement_id}:%"))
            .group_by(Outbox.status)
        ).all()
    )
    return {
        "sent": int(counts.get(OutboxStatus.SENT.value, 0)),
        "failed": int(counts.get(OutboxStatus.DEAD.value, 0)),
        "waiting": int(
            counts.get(OutboxStatus.PENDING.value, 0)
            + counts.get(OutboxStatus.SENDING.value, 0)
            + counts.get(OutboxStatus.WAITING.value, 0)
        ),
    }


@command("announcements", role=HR)
def announcements(turn: Turn, _rest: str) -> None:
    items = list(
        turn.session.scalars(
            select(Announcement)
            .where(Announcement.sent_at.is_not(None))
            .order_by(Announcement.sent_at.desc())
            .limit(RECENT)
        )
    )
    if not items:
        turn.say(turn.tx.t("outreach.no_announcements"))
        return
    lines = []
    for item in items:
        programme = turn.session.get(Programme, item.programme_id) if item.programme_id else None
        channel = turn.session.get(Channel, item.channel_id) if item.channel_id else None
        assert item.sent_at is not None
        lines.append(
            turn.tx.t(
                "outreach.status_line",
                when=turn.tx.datetime(item.sent_at),
                audience=_audience_label(
                    turn.tx, item.audience, programme.name if programme else None, channel
                ),
                **delivery_counts(turn.session, item.id),
            )
        )
    turn.say("\n".join(lines))
