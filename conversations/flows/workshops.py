"""Mentor workshops in chat: HR creates one and every mentor is invited; mentors take and
cancel places; HR lists them. And the mentor guide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import forms
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Form, Input, Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.programmes import holiday_country
from conversations.registry import action, command, form
from conversations.roles import ANYONE, HR, MENTOR
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from conversations.worktime import next_working_moment, zone
from storage.models import (
    Mentorship,
    Person,
    Phase,
    Workshop,
    WorkshopSignup,
)

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


@command("mentor_guide", role=ANYONE)
def mentor_guide(turn: Turn, _rest: str) -> None:
    turn.say(turn.tx.t("outreach.guide"))
