"""Admin operations behind the CLI: programmes, people and pairs. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.errors import AdminError
from conversations.hr_admin import ProgrammeFrame, add_programme, audit
from conversations.pairing import create_mentorship, pairing_problems
from conversations.texts import LOCALES
from conversations.validation import (
    LIMITS,
    Invalid,
    PairIn,
    PersonIn,
    Problem,
    ProgrammeIn,
    Reason,
    parse,
)
from storage.models import Mentorship, Person, Programme
from storage.queries import person_by_email, programme_by_name

M = TypeVar("M", PersonIn, PairIn, ProgrammeIn)

__all__ = [
    "AdminError",
    "ProgrammeFrame",
    "add_pair",
    "add_person",
    "create_programme",
    "explain",
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
    checked = _parsed(
        ProgrammeIn,
        {
            "name": name,
            "goals": goals,
            "duration_months": frame.duration_months,
            "meeting_interval_days": frame.meeting_interval_days,
            "booking_horizon_months": frame.booking_horizon_months,
            "max_actors_per_mentor": frame.max_actors_per_mentor,
        },
    )
    if programme_by_name(session, checked.name):
        raise AdminError(f"a programme called '{checked.name}' already exists")
    frame = ProgrammeFrame(
        duration_months=checked.duration_months,
        meeting_interval_days=checked.meeting_interval_days,
        booking_horizon_months=checked.booking_horizon_months,
        max_actors_per_mentor=checked.max_actors_per_mentor,
    )
    return add_programme(session, now, actor, checked.name, checked.goals, frame)


def _range(field: str) -> str:
    low, high = LIMITS[field]
    return f"{low}–{high}"


def explain(problem: Problem, values: Mapping[str, object]) -> str:
    """The operator's words for a refused field (the CLI and the CSV import share them)."""
    value = values.get(problem.field)
    words = {
        Reason.BAD_EMAIL: (
            f"{'' if problem.field == 'email' else problem.field + ' '}'{value}' is not an "
            "email address"
        ),
        Reason.BAD_NAME: "a name of 1–200 characters is needed",
        Reason.BAD_PROGRAMME: "a programme needs a name of 1–200 characters",
        Reason.BAD_LOCALE: f"locale '{value}' is not one of {', '.join(LOCALES)}",
        Reason.BAD_TIMEZONE: f"unknown timezone '{value}'",
        Reason.BAD_DATE: f"{problem.field} '{value}' is not a date like 2027-01-31",
        Reason.OWN_SUPERVISOR: "a person cannot be their own supervisor",
        Reason.BAD_GOALS: "the programme's goals must be under 4000 characters",
        Reason.BAD_DURATION: f"the duration must be {_range('duration_months')} months",
        Reason.BAD_INTERVAL: (
            f"meetings should be {_range('meeting_interval_days')} days apart (the model says 14)"
        ),
        Reason.BAD_HORIZON: (
            f"the booking horizon must be {_range('booking_horizon_months')} months"
        ),
        Reason.BAD_MAX_ACTORS: (
            f"a mentor may have {_range('max_actors_per_mentor')} actors at once"
        ),
        Reason.SELF_PAIR: "a person cannot mentor themselves",
        Reason.SAME_MENTOR: f"{values.get('mentor_email')} already mentors this actor",
        Reason.MENTOR_SUPERVISES_ACTOR: (
            f"{values.get('mentor_email')} is the supervisor of {values.get('actor_email')}: "
            "a supervisor cannot mentor their own report"
        ),
        Reason.ALREADY_PAIRED: (
            f"{values.get('actor_email')} already has an active mentorship in programme "
            f"'{values.get('programme')}'"
        ),
    }
    return words[problem.reason]


def _parsed(model: type[M], values: dict[str, object]) -> M:
    try:
        return parse(model, values)
    except Invalid as err:
        raise AdminError("; ".join(explain(p, values) for p in err.problems)) from None


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
    checked = _parsed(
        PersonIn,
        {
            "email": email.strip(),
            "name": name,
            "locale": locale,
            "timezone": timezone,
            "supervisor_email": supervisor_email,
            "is_hr": hr,
        },
    )
    email = str(checked.email)
    if person_by_email(session, email):
        raise AdminError(f"{email} is already added")
    supervisor = None
    if checked.supervisor_email:
        supervisor = person_by_email(session, checked.supervisor_email)
        if supervisor is None:
            raise AdminError(f"unknown supervisor {supervisor_email}: add them first")
    person = Person(
        email=email,
        name=checked.name,
        locale=checked.locale,
        timezone=checked.timezone,
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
    values: dict[str, object] = {
        "programme": programme_name,
        "mentor_email": mentor_email,
        "actor_email": actor_email,
    }
    checked = _parsed(PairIn, values)
    programme = programme_by_name(session, checked.programme)
    if programme is None:
        raise AdminError(f"unknown programme '{programme_name}'")
    mentor = person_by_email(session, checked.mentor_email)
    if mentor is None:
        raise AdminError(f"unknown person {mentor_email}")
    actor_person = person_by_email(session, checked.actor_email)
    if actor_person is None:
        raise AdminError(f"unknown person {actor_email}")
    values["programme"] = programme.name
    reasons = pairing_problems(session, programme, mentor, actor_person)
    if reasons:
        raise AdminError("; ".join(explain(Problem("", r), values) for r in reasons))
    mentorship = create_mentorship(session, now, programme, mentor, actor_person)
    audit(
        session, now, actor, "pair.add", actor_person, mentor=mentor.email, programme=programme.name
    )
    return mentorship
