"""Programmes, people and pairs for operators: list, show, update, end — on the rules chat applies.

Ending a pair is the engine's ``end_mentorship`` (what HR's *End the pair* button does); the
HR role goes through ``set_hr``; languages, timezones and supervisors are checked as the
chat and the import check them. Every read of others' data and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from bot.errors import AdminError
from bot.listing import Cell, Listing
from conversations import progress
from storage.audit import audit
from storage.models import (
    ACTIVE_PHASES,
    Mentorship,
    Person,
    PlatformIdentity,
    Programme,
)
from storage.queries import person_by_email, programme_by_name

CLEAR = "none"
# The engine's rules (conversations.hr_admin, rules, texts) are imported where a change
# needs them, so listing people or pairs loads only the storage layer.


def programmes_listing(session: Session) -> Listing:
    """Every programme with its frame and how many pairs it has (one query)."""
    pairs = (
        select(Mentorship.programme_id, func.count().label("pairs"))
        .group_by(Mentorship.programme_id)
        .subquery()
    )
    rows: list[list[Cell]] = [
        [
            p.name,
            p.duration_months,
            p.meeting_interval_days,
            p.booking_horizon_months,
            p.max_actors_per_mentor,
            count or 0,
        ]
        for p, count in session.execute(
            select(Programme, pairs.c.pairs)
            .outerjoin(pairs, pairs.c.programme_id == Programme.id)
            .order_by(Programme.name)
        )
    ]
    columns = ("name", "months", "meeting_interval_days", "horizon_months", "max_actors", "pairs")
    return Listing(columns, rows, empty="(no programmes yet: mentorbot programme create NAME)")


def known_person(session: Session, email: str) -> Person:
    person = person_by_email(session, email.strip().lower())
    if person is None or person.erased_at is not None:
        raise AdminError(f"unknown person {email}")
    return person


def _platforms(session: Session) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for person_id, platform in session.execute(
        select(PlatformIdentity.person_id, PlatformIdentity.platform).order_by(
            PlatformIdentity.platform
        )
    ):
        out.setdefault(person_id, []).append(platform)
    return out


def people_listing(session: Session, now: datetime, by: str) -> Listing:
    """Everyone not erased: who they are, never what they wrote."""
    supervisor = aliased(Person)
    platforms = _platforms(session)
    rows: list[list[Cell]] = []
    for person, supervisor_email in session.execute(
        select(Person, supervisor.email)
        .outerjoin(supervisor, Person.supervisor_id == supervisor.id)
        .where(Person.erased_at.is_(None), Person.email.is_not(None))
        .order_by(Person.email)
    ):
        rows.append(
            [
                person.email,
                person.name,
                person.locale,
                person.timezone,
                supervisor_email,
                person.is_hr,
                person.employment_start,
                person.returning_from_leave,
                " ".join(platforms.get(person.id, [])),
            ]
        )
    audit(session, now, by, "people.list", None, count=len(rows))
    columns = (
        "email",
        "name",
        "locale",
        "timezone",
        "supervisor",
        "hr",
        "employment_start",
        "returning_from_leave",
        "chat",
    )
    return Listing(columns, rows, empty="(no people yet: mentorbot people add EMAIL --name …)")


def person_record(session: Session, now: datetime, by: str, email: str) -> dict[str, Any]:
    """One person's details, chat accounts and relationships; the content stays private."""
    person = known_person(session, email)
    relationships = []
    for m in session.scalars(
        select(Mentorship)
        .where((Mentorship.mentor_id == person.id) | (Mentorship.actor_id == person.id))
        .order_by(Mentorship.id)
    ):
        mentor = m.mentor_id == person.id
        partner = m.actor if mentor else m.mentor
        relationships.append(
            {
                "pair": m.id,
                "programme": m.programme.name,
                "role": "mentor" if mentor else "actor",
                "partner": partner.email,
                "phase": m.phase,
            }
        )
    reports = session.scalars(
        select(Person.email).where(Person.supervisor_id == person.id).order_by(Person.email)
    ).all()
    audit(session, now, by, "person.show", person)
    return {
        "email": person.email,
        "name": person.name,
        "locale": person.locale,
        "timezone": person.timezone,
        "supervisor": person.supervisor.email if person.supervisor else None,
        "hr": person.is_hr,
        "employment_start": _iso(person.employment_start),
        "returning_from_leave": _iso(person.returning_from_leave),
        "onboarded": _iso(person.onboarded_at),
        "chat": sorted(i.platform for i in person.identities),
        "reports": list(reports),
        "relationships": relationships,
    }


def record_listing(record: dict[str, Any]) -> Listing:
    """A person's record as ``field, value`` rows for the table and CSV formats."""
    rows: list[list[Cell]] = []
    for key, value in record.items():
        if key == "relationships":
            for r in value:
                rows.append(
                    [
                        f"pair {r['pair']}",
                        f"{r['role']} with {r['partner']} in '{r['programme']}' ({r['phase']})",
                    ]
                )
        elif isinstance(value, list):
            rows.append([key, " ".join(str(v) for v in value)])
        else:
            rows.append([key, value])
    return Listing(("field", "value"), rows)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class PersonChanges:
    """What ``people update`` was asked to change; ``None`` leaves a field as it is."""

    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    supervisor: str | None = None
    employment_start: str | None = None
    returning_from_leave: str | None = None
    hr: bool | None = None


def update_person(
    session: Session, now: datetime, by: str, email: str, changes: PersonChanges
) -> list[str]:
    """Apply the changes after checking all of them; returns the names of changed fields."""
    from conversations import rules
    from conversations.hr_admin import set_hr
    from conversations.texts import LOCALES

    person = known_person(session, email)
    values: dict[str, Any] = {}
    if changes.name is not None:
        name = changes.name.strip()
        if not name or len(name) > 200:
            raise AdminError("a name of 1–200 characters is needed")
        values["name"] = name
    if changes.locale is not None:
        if changes.locale not in LOCALES:
            raise AdminError(f"locale must be one of {', '.join(LOCALES)}")
        values["locale"] = changes.locale
    if changes.timezone is not None:
        if not rules.is_timezone(changes.timezone):
            raise AdminError(f"unknown timezone '{changes.timezone}' (e.g. Europe/Helsinki)")
        values["timezone"] = changes.timezone
    if changes.supervisor is not None:
        values["supervisor_id"] = _supervisor_id(session, person, changes.supervisor)
    for field in ("employment_start", "returning_from_leave"):
        text = getattr(changes, field)
        if text is not None:
            values[field] = _date(text, field)
    changed = [k for k, v in values.items() if getattr(person, k) != v]
    for key in changed:
        setattr(person, key, values[key])
    if changed:
        audit(session, now, by, "person.update", person, fields=changed)
    if changes.hr is not None and set_hr(session, now, by, person, changes.hr):
        changed.append("hr")
    return [c.removesuffix("_id") for c in changed]


def _supervisor_id(session: Session, person: Person, email: str) -> int | None:
    if email.strip().lower() == CLEAR:
        return None
    from conversations.validation import PairFacts, Reason, check_pair
    from storage.queries import active_mentorships

    supervisor = known_person(session, email)
    if supervisor.id == person.id:
        raise AdminError("a person cannot be their own supervisor")
    for m in active_mentorships(session, person):
        facts = PairFacts(m.mentor_id, m.actor_id, supervisor.id)
        if m.actor_id == person.id and Reason.MENTOR_SUPERVISES_ACTOR in check_pair(facts):
            raise AdminError(
                f"{supervisor.email} mentors {person.email}: a supervisor cannot mentor their "
                "own report (end or re-pair that pair first)"
            )
    return supervisor.id


def _date(text: str, field: str) -> date | None:
    if text.strip().lower() == CLEAR:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AdminError(f"--{field.replace('_', '-')} takes YYYY-MM-DD or 'none'") from None


def pairs_listing(
    session: Session, now: datetime, by: str, programme: str | None, phase: str | None
) -> Listing:
    """Pairs with their phase and meetings: the operational status HR sees in chat."""
    mentor, actor = aliased(Person), aliased(Person)
    query = (
        select(Mentorship, Programme.name, mentor.email, actor.email)
        .join(Programme, Mentorship.programme_id == Programme.id)
        .join(mentor, Mentorship.mentor_id == mentor.id)
        .join(actor, Mentorship.actor_id == actor.id)
        .order_by(Programme.name, Mentorship.id)
        # the meeting figures read every pair's meetings and agreement: two queries in all
        .options(selectinload(Mentorship.meetings), selectinload(Mentorship.agreement))
    )
    if programme is not None:
        found = programme_by_name(session, programme)
        if found is None:
            raise AdminError(f"unknown programme '{programme}'")
        query = query.where(Mentorship.programme_id == found.id)
    if phase is not None:
        query = query.where(Mentorship.phase == phase)
    rows: list[list[Cell]] = []
    for m, programme_name, mentor_email, actor_email in session.execute(query):
        held, planned = progress.meetings_held(m), progress.total_meetings(m)
        rows.append(
            [
                m.id,
                programme_name,
                mentor_email,
                actor_email,
                m.phase,
                m.started_at,
                m.planned_end,
                held,
                planned,
            ]
        )
    audit(session, now, by, "pairs.list", None, count=len(rows))
    columns = (
        "pair",
        "programme",
        "mentor",
        "actor",
        "phase",
        "started",
        "planned_end",
        "meetings_held",
        "meetings_planned",
    )
    return Listing(columns, rows, empty="(no pairs)")


def end_pair(session: Session, now: datetime, by: str, pair_id: int, reason: str) -> Mentorship:
    """End an active pair early, exactly as HR's *End the pair* form does."""
    from conversations.hr_admin import END_REASON_MAX, end_mentorship

    mentorship = session.get(Mentorship, pair_id)
    if mentorship is None:
        raise AdminError(f"no pair {pair_id} (see mentorbot pairs list)")
    if mentorship.phase not in ACTIVE_PHASES:
        raise AdminError(f"pair {pair_id} is not active (phase {mentorship.phase})")
    reason = reason.strip()
    if not reason:
        raise AdminError("a reason is needed")
    if len(reason) > END_REASON_MAX:
        raise AdminError(f"keep the reason under {END_REASON_MAX} characters (now {len(reason)})")
    end_mentorship(session, now, by, mentorship, reason)
    return mentorship
