"""HR outreach in chat: announcements with preview, mentor workshops with sign-up, buddies for
new mentors, the mentor guide, and the answers to eligibility invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import forms
from conversations.button_values import BUDDY_INTRODUCTION, BuddyIntroduction
from conversations.channels import known_channels
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Form, Input, Message, Option
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.outreach import AUDIENCES, audience
from conversations.programmes import holiday_country
from conversations.registry import action, command, form
from conversations.roles import ANYONE, HR, MENTOR
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from conversations.worktime import next_working_moment, zone
from storage.models import (
    ACTIVE_PHASES,
    Announcement,
    Channel,
    Invitation,
    Mentorship,
    Outbox,
    OutboxStatus,
    Person,
    Phase,
    Programme,
    Workshop,
    WorkshopSignup,
)

ALL = "all"
RECENT = 10
ACTIVE = [p.value for p in ACTIVE_PHASES]


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


# --- workshops -----------------------------------------------------------------------------


def workshop_form(turn: Turn) -> Form:
    tx = turn.tx
    return Form(
        form_id="hr.workshop",
        title=tx._("Mentor workshop"),
        inputs=[
            Input(name="title", label=tx._("Title"), max_length=200),
            Input(name="date", label=tx._("Date"), kind="date"),
            Input(name="time", label=tx._("Time"), kind="time"),
            Input(name="place", label=tx._("Place or link"), max_length=500),
            Input(name="capacity", label=tx._("Places")),
        ],
        submit_label=tx._("Announce to mentors"),
    )


@command("workshop", role=HR)
def workshop(turn: Turn, _rest: str) -> None:
    forms.offer(turn, workshop_form(turn))


def _mentors(session: Session) -> list[Person]:
    ids = select(Mentorship.mentor_id).where(Mentorship.phase != Phase.CANCELLED.value)
    return list(
        session.scalars(
            select(Person).where(Person.id.in_(ids), Person.erased_at.is_(None)).order_by(Person.id)
        )
    )


def _invite_message(person: Person, w: Workshop) -> Message:
    tx = texts_for(person)
    return (
        Message()
        .text(
            tx.t(
                "outreach.workshop_invite",
                title=user_text(w.title),
                when=tx.datetime(w.starts_at),
                place=user_text(w.place),
                capacity=w.capacity,
            )
        )
        .buttons(
            Button(
                action_id="workshop.signup", label=tx._("Sign up"), value=str(w.id), style="primary"
            ),
            Button(action_id="workshop.cancel", label=tx._("Cancel my place"), value=str(w.id)),
        )
    )


@form("hr.workshop", role=HR)
def save_workshop(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    tx = turn.tx
    v = forms.Validator(tx, fields)
    title = v.text("title", 200)
    day = v.date("date", turn.now.astimezone(tx.tz).date())
    at = v.time("time")
    place = v.text("place", 500)
    capacity = v.integer("capacity", 1, 1000)
    if not v.ok:
        forms.reoffer(turn, workshop_form(turn), v)
        return
    assert title and day and at and place and capacity
    forms.close(turn.session, turn.person)
    w = Workshop(
        title=title,
        starts_at=datetime.combine(day, at, tzinfo=tx.tz),
        place=place,
        capacity=capacity,
        created_by_id=turn.person.id,
        created_at=turn.now,
    )
    turn.session.add(w)
    turn.session.flush()
    country = holiday_country(turn.session)
    rows = [
        outbox_row(
            person_id=m.id,
            kind="workshop",
            message=_invite_message(m, w),
            dedupe_key=f"workshop:{w.id}:{m.id}",
            due_at=next_working_moment(turn.now, zone(m.timezone), country),
            now=turn.now,
        )
        for m in _mentors(turn.session)
    ]
    n = insert_ignoring_duplicates(turn.session, rows)
    audit(turn.session, turn.now, actor_label(turn.person), "workshop.create", None, workshop=title)
    turn.say(tx.t("outreach.workshop_created", title=user_text(title), n=n))


def _workshop(turn: Turn, value: str) -> Workshop:
    w = turn.session.get(Workshop, int(value)) if value.isdigit() else None
    if w is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert w is not None
    if w.starts_at <= turn.now:
        turn.refuse(turn.tx.t("outreach.workshop_past"))
    return w


def _taken(session: Session, workshop_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(WorkshopSignup.id)).where(
                WorkshopSignup.workshop_id == workshop_id, WorkshopSignup.cancelled_at.is_(None)
            )
        )
        or 0
    )


@action("workshop.signup", role=MENTOR)
def signup(turn: Turn, value: str) -> None:
    w = _workshop(turn, value)
    # one workshop row lock (PostgreSQL) so two last-place sign-ups cannot both win
    turn.session.execute(select(Workshop.id).where(Workshop.id == w.id).with_for_update())
    mine = turn.session.scalars(
        select(WorkshopSignup).where(
            WorkshopSignup.workshop_id == w.id, WorkshopSignup.person_id == turn.person.id
        )
    ).first()
    if mine is not None and mine.cancelled_at is None:
        turn.say(turn.tx.t("outreach.already_signed_up"))
        return
    if _taken(turn.session, w.id) >= w.capacity:
        turn.say(turn.tx.t("outreach.full", title=user_text(w.title)))
        return
    if mine is None:
        turn.session.add(
            WorkshopSignup(workshop_id=w.id, person_id=turn.person.id, signed_up_at=turn.now)
        )
    else:
        mine.cancelled_at, mine.signed_up_at = None, turn.now
    turn.say(
        turn.tx.t(
            "outreach.signed_up", title=user_text(w.title), when=turn.tx.datetime(w.starts_at)
        )
    )


@action("workshop.cancel", role=ANYONE)
def cancel_place(turn: Turn, value: str) -> None:
    w = _workshop(turn, value)
    mine = turn.session.scalars(
        select(WorkshopSignup).where(
            WorkshopSignup.workshop_id == w.id,
            WorkshopSignup.person_id == turn.person.id,
            WorkshopSignup.cancelled_at.is_(None),
        )
    ).first()
    if mine is None:
        turn.say(turn.tx.t("outreach.no_place"))
        return
    mine.cancelled_at = turn.now
    turn.say(turn.tx.t("outreach.cancelled_place", title=user_text(w.title)))


@command("workshops", role=HR)
def workshops(turn: Turn, _rest: str) -> None:
    upcoming = list(
        turn.session.scalars(
            select(Workshop).where(Workshop.starts_at > turn.now).order_by(Workshop.starts_at)
        )
    )
    if not upcoming:
        turn.say(turn.tx.t("outreach.no_workshops"))
        return
    audit(turn.session, turn.now, actor_label(turn.person), "workshops.list", None)
    for w in upcoming:
        names = turn.session.scalars(
            select(Person.name)
            .join(WorkshopSignup, WorkshopSignup.person_id == Person.id)
            .where(WorkshopSignup.workshop_id == w.id, WorkshopSignup.cancelled_at.is_(None))
            .order_by(WorkshopSignup.signed_up_at)
        ).all()
        text = turn.tx.t(
            "outreach.workshop_list",
            title=user_text(w.title),
            when=turn.tx.datetime(w.starts_at),
            taken=len(names),
            capacity=w.capacity,
        )
        if names:
            text += "\n" + "\n".join(f"• {user_text(n)}" for n in names)
        turn.say(text)


# --- buddies and the mentor guide ----------------------------------------------------------


def _completed(session: Session) -> set[int]:
    return set(
        session.scalars(select(Mentorship.mentor_id).where(Mentorship.phase == Phase.CLOSED.value))
    )


@command("buddies", role=HR)
def buddies(turn: Turn, _rest: str) -> None:
    experienced = _completed(turn.session)
    active = set(
        turn.session.scalars(select(Mentorship.mentor_id).where(Mentorship.phase.in_(ACTIVE)))
    )
    new = sorted(active - experienced)
    audit(turn.session, turn.now, actor_label(turn.person), "buddies.list", None, count=len(new))
    if not new:
        turn.say(turn.tx.t("outreach.no_new_mentors"))
        return
    if not experienced:
        turn.say(turn.tx.t("outreach.no_experienced"))
        return
    pool = sorted(experienced)
    for i, person_id in enumerate(new):
        newbie = turn.session.get(Person, person_id)
        buddy = turn.session.get(Person, pool[i % len(pool)])
        assert newbie is not None and buddy is not None
        turn.reply(
            Message()
            .text(
                turn.tx.t(
                    "outreach.buddy_line", new=user_text(newbie.name), buddy=user_text(buddy.name)
                )
            )
            .buttons(
                Button(
                    action_id="hr.buddy",
                    label=turn.tx._("Introduce them"),
                    value=BUDDY_INTRODUCTION.encode(BuddyIntroduction(newbie.id, buddy.id)),
                )
            )
        )


@action("hr.buddy", role=HR)
def introduce(turn: Turn, value: str) -> None:
    pair = BUDDY_INTRODUCTION.read(turn, value)
    newbie = turn.session.get(Person, pair.newbie_id)
    buddy = turn.session.get(Person, pair.buddy_id)
    if newbie is None or buddy is None or buddy.id not in _completed(turn.session):
        turn.refuse(turn.tx.t("common.stale_button"))
    assert newbie is not None and buddy is not None
    for person in (newbie, buddy):
        turn.send(
            person,
            Message().text(
                texts_for(person).t(
                    "outreach.buddy_intro", new=user_text(newbie.name), buddy=user_text(buddy.name)
                )
            ),
            kind="buddy",
            dedupe_key=f"buddy:{newbie.id}:{buddy.id}:{person.id}",
        )
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "buddy.introduce",
        newbie,
        buddy=buddy.email,
    )
    turn.say(
        turn.tx.t("outreach.buddy_sent", new=user_text(newbie.name), buddy=user_text(buddy.name))
    )


@command("mentor_guide", role=ANYONE)
def mentor_guide(turn: Turn, _rest: str) -> None:
    turn.say(turn.tx.t("outreach.guide"))


# --- answers to the eligibility invitation -------------------------------------------------


def _invitation(turn: Turn, value: str) -> Invitation:
    invitation = turn.session.scalars(
        select(Invitation).where(Invitation.person_id == turn.person.id)
    ).first()
    if invitation is None or value != str(turn.person.id):
        turn.refuse(turn.tx.t("common.not_yours"))
    assert invitation is not None
    if invitation.answer is not None:
        turn.refuse(turn.tx.t("outreach.invitation_answered"))
    return invitation


@action("invite.yes", role=ANYONE)
def invitation_yes(turn: Turn, value: str) -> None:
    invitation = _invitation(turn, value)
    invitation.answer, invitation.answered_at = "yes", turn.now
    for hr in turn.session.scalars(
        select(Person).where(Person.is_hr.is_(True), Person.erased_at.is_(None))
    ):
        tx = texts_for(hr)
        turn.send(
            hr,
            Message()
            .text(
                tx.t("outreach.opt_in", name=user_text(turn.person.name), reason=invitation.reason)
            )
            .buttons(
                Button(
                    action_id="hr.pair_person",
                    label=tx._("Find them a mentor"),
                    value=str(turn.person.id),
                    style="primary",
                )
            ),
            kind="hr.opt_in",
            dedupe_key=f"opt_in:{turn.person.id}:{hr.id}",
        )
    turn.say(turn.tx.t("outreach.invitation_yes"))


@action("invite.no", role=ANYONE)
def invitation_no(turn: Turn, value: str) -> None:
    invitation = _invitation(turn, value)
    invitation.answer, invitation.answered_at = "no", turn.now
    turn.say(turn.tx.t("outreach.invitation_no"))
