"""HR's outreach: announcement audiences, and the sweep's invitations and workshop reminders.

``sweep_rows(session, now)`` is set-based: a few queries, then the outbox rows that are due —

- ``invitation`` ``invitation:<person>`` — once, to a person whose employment started within the
  last 3 months, or who returns (or returned) from a long absence within 3 months back or 2
  weeks ahead, and who is not an actor yet. An ``Invitation`` row records it and the answer.
- ``workshop.reminder`` ``workshop.reminder:<workshop>:<person>`` — from 09:00 on the working
  day before a workshop, to everyone holding a place; never after it starts.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from conversations.messages import Button, Message
from conversations.outbox import outbox_row
from conversations.programmes import holiday_country
from conversations.texts import Texts, first_name, user_text
from conversations.worktime import next_working_moment, previous_working_day, zone
from storage.models import (
    ACTIVE_PHASES,
    Invitation,
    Mentorship,
    Person,
    Workshop,
    WorkshopSignup,
)

NEW_EMPLOYEE_WINDOW = timedelta(days=92)
RETURN_AHEAD = timedelta(days=14)
AUDIENCES = ("everyone", "mentors", "actors", "supervisors")
ACTIVE = [p.value for p in ACTIVE_PHASES]

# built once: the sweep runs these every few minutes
_INVITATION_CANDIDATES = select(Person).where(
    Person.erased_at.is_(None),
    ~select(Mentorship.id).where(Mentorship.actor_id == Person.id).exists(),
    ~select(Invitation.id).where(Invitation.person_id == Person.id).exists(),
    or_(
        Person.employment_start.between(bindparam("new_since"), bindparam("today")),
        Person.returning_from_leave.between(bindparam("new_since"), bindparam("return_until")),
    ),
)
_WORKSHOP_SIGNUPS = (
    select(Workshop, Person)
    .join(WorkshopSignup, WorkshopSignup.workshop_id == Workshop.id)
    .join(Person, Person.id == WorkshopSignup.person_id)
    .where(
        Workshop.starts_at > bindparam("now"),
        Workshop.starts_at <= bindparam("until"),
        WorkshopSignup.cancelled_at.is_(None),
        Person.erased_at.is_(None),
    )
)


def audience(session: Session, programme_id: int | None, kind: str) -> list[Person]:
    """The people an announcement reaches: participants of active pairs (of one programme)."""
    pairs = select(Mentorship.mentor_id, Mentorship.actor_id).where(Mentorship.phase.in_(ACTIVE))
    if programme_id is not None:
        pairs = pairs.where(Mentorship.programme_id == programme_id)
    ids: set[int] = set()
    actor_ids: set[int] = set()
    for mentor_id, actor_id in session.execute(pairs):
        actor_ids.add(actor_id)
        if kind in ("everyone", "mentors"):
            ids.add(mentor_id)
        if kind in ("everyone", "actors"):
            ids.add(actor_id)
    if kind == "supervisors" and actor_ids:
        ids = {
            s
            for s in session.scalars(
                select(Person.supervisor_id).where(
                    Person.id.in_(actor_ids), Person.supervisor_id.is_not(None)
                )
            )
            if s is not None
        }
    if not ids:
        return []
    return list(
        session.scalars(
            select(Person).where(Person.id.in_(ids), Person.erased_at.is_(None)).order_by(Person.id)
        )
    )


def sweep_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Invitations and workshop reminders due at ``now`` (see the module docstring)."""
    return _invitations(session, now) + _workshop_reminders(session, now)


def _invitations(session: Session, now: datetime) -> list[dict[str, Any]]:
    today = now.date()
    candidates = session.scalars(
        _INVITATION_CANDIDATES,
        {
            "new_since": today - NEW_EMPLOYEE_WINDOW,
            "today": today,
            "return_until": today + RETURN_AHEAD,
        },
    ).all()
    country = holiday_country(session) if candidates else ""  # a read only when someone is due
    rows = []
    for person in candidates:
        returning = person.returning_from_leave is not None and (
            person.employment_start is None
            or person.returning_from_leave >= person.employment_start
        )
        reason = "returning" if returning else "new_employee"
        session.add(Invitation(person_id=person.id, reason=reason, invited_at=now))
        tx = Texts(person.locale, person.timezone)
        message = (
            Message()
            .text(
                tx.t(
                    "outreach.invitation",
                    name=user_text(first_name(person.name)),
                    reason=reason,
                )
            )
            .buttons(
                Button(
                    action_id="invite.yes",
                    label=tx._("Yes, I'd like a mentor"),
                    value=str(person.id),
                    style="primary",
                ),
                Button(action_id="invite.no", label=tx._("No, thank you"), value=str(person.id)),
            )
        )
        rows.append(
            outbox_row(
                person_id=person.id,
                kind="invitation",
                message=message,
                dedupe_key=f"invitation:{person.id}",
                due_at=next_working_moment(now, zone(person.timezone), country),
                now=now,
            )
        )
    session.flush()
    return rows


def _workshop_reminders(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows = []
    country = ""  # read with the first place held, not on every sweep
    for workshop, person in session.execute(
        _WORKSHOP_SIGNUPS, {"now": now, "until": now + timedelta(days=5)}
    ):
        tz = zone(person.timezone)
        country = country or holiday_country(session)
        day_before = previous_working_day(workshop.starts_at.astimezone(tz).date(), country)
        nominal = datetime.combine(day_before, time(9), tzinfo=tz)
        if now < nominal:
            continue
        tx = Texts(person.locale, person.timezone)
        rows.append(
            outbox_row(
                person_id=person.id,
                kind="workshop.reminder",
                message=Message().text(
                    tx.t(
                        "outreach.workshop_reminder",
                        title=user_text(workshop.title),
                        when=tx.datetime(workshop.starts_at),
                        place=user_text(workshop.place),
                    )
                ),
                dedupe_key=f"workshop.reminder:{workshop.id}:{person.id}",
                due_at=next_working_moment(now, tz, country),
                now=now,
                expires_at=workshop.starts_at,
            )
        )
    return rows
