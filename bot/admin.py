"""Admin operations behind the CLI: programmes, people and pairs. Every change is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import AdminError
from bot.listing import Cell, Listing
from conversations import rules
from conversations.hr_admin import ProgrammeFrame, add_programme, audit
from conversations.pairing import PairingError, create_mentorship
from conversations.texts import LOCALES
from storage.models import Mentorship, Person, Programme
from storage.queries import person_by_email, programme_by_name

__all__ = [
    "AdminError",
    "ProgrammeFrame",
    "add_pair",
    "add_person",
    "create_programme",
    "list_programmes",
    "programmes_listing",
]


def create_programme(
    session: Session,
    now: datetime,
    name: str,
    goals: str,
    frame: ProgrammeFrame,
    actor: str = "cli",
) -> Programme:
    """Validate the frame and create the programme (audited)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise AdminError("a programme needs a name of 1–200 characters")
    if programme_by_name(session, name):
        raise AdminError(f"a programme called '{name}' already exists")
    if not rules.MIN_DURATION_MONTHS <= frame.duration_months <= rules.MAX_DURATION_MONTHS:
        raise AdminError("the duration must be 3–12 months")
    if not rules.MIN_INTERVAL_DAYS <= frame.meeting_interval_days <= rules.MAX_INTERVAL_DAYS:
        raise AdminError("meetings should be 7–31 days apart (the model says 14)")
    horizon = frame.booking_horizon_months
    if horizon is not None and not (
        rules.MIN_HORIZON_MONTHS <= horizon <= rules.MAX_HORIZON_MONTHS
    ):
        raise AdminError("the booking horizon must be 3–12 months")
    return add_programme(session, now, actor, name, goals, frame)


def programmes_listing(session: Session) -> Listing:
    rows: list[list[Cell]] = [
        [
            p.name,
            p.duration_months,
            p.meeting_interval_days,
            p.booking_horizon_months,
            p.max_actors_per_mentor,
            pairs,
        ]
        for p, pairs in list_programmes(session)
    ]
    columns = ("name", "months", "meeting_interval_days", "horizon_months", "max_actors", "pairs")
    return Listing(columns, rows, empty="(no programmes yet: mentorbot programme create NAME)")


def list_programmes(session: Session) -> list[tuple[Programme, int]]:
    out = []
    for programme in session.scalars(select(Programme).order_by(Programme.name)):
        pairs = len(
            list(
                session.scalars(
                    select(Mentorship.id).where(Mentorship.programme_id == programme.id)
                )
            )
        )
        out.append((programme, pairs))
    return out


def add_person(
    session: Session,
    now: datetime,
    email: str,
    name: str,
    locale: str = "en",
    timezone: str = "Europe/Helsinki",
    supervisor_email: str | None = None,
    hr: bool = False,
    actor: str = "cli",
) -> Person:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        raise AdminError(f"'{email}' is not an email address")
    if person_by_email(session, email):
        raise AdminError(f"{email} is already added")
    if not name.strip() or len(name) > 200:
        raise AdminError("a name of 1–200 characters is needed")
    if locale not in LOCALES:
        raise AdminError(f"locale must be one of {', '.join(LOCALES)}")
    if not rules.is_timezone(timezone):
        raise AdminError(f"unknown timezone '{timezone}'")
    supervisor = None
    if supervisor_email:
        supervisor = person_by_email(session, supervisor_email)
        if supervisor is None:
            raise AdminError(f"unknown supervisor {supervisor_email}: add them first")
    person = Person(
        email=email,
        name=name.strip(),
        locale=locale,
        timezone=timezone,
        supervisor=supervisor,
        is_hr=hr,
        created_at=now,
    )
    session.add(person)
    session.flush()
    audit(session, now, actor, "person.add", person)
    return person


def add_pair(
    session: Session,
    now: datetime,
    programme_name: str,
    mentor_email: str,
    actor_email: str,
    actor: str = "cli",
) -> Mentorship:
    programme = programme_by_name(session, programme_name)
    if programme is None:
        raise AdminError(f"unknown programme '{programme_name}'")
    mentor = person_by_email(session, mentor_email)
    if mentor is None:
        raise AdminError(f"unknown person {mentor_email}")
    mentee = person_by_email(session, actor_email)
    if mentee is None:
        raise AdminError(f"unknown person {actor_email}")
    try:
        mentorship = create_mentorship(session, now, programme, mentor, mentee)
    except PairingError as err:
        raise AdminError(str(err)) from None
    audit(session, now, actor, "pair.add", mentee, mentor=mentor.email, programme=programme.name)
    return mentorship
