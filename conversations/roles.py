"""Who a person is in the programme: mentor, actor, supervisor, HR; and the roles a handler
may require before it runs (see ``conversations.registry``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from storage.models import Mentorship, Person, Phase
from storage.queries import active_mentorships


class Role(StrEnum):
    """Who may run a handler. ``ANYONE`` is any known person: such a handler still checks
    that what it touches is theirs (``party_mentorship`` and the like)."""

    ANYONE = "anyone"
    MENTOR = "mentor"
    HR = "hr"
    HR_OR_SUPERVISOR = "hr_or_supervisor"  # progress views: HR for all, a supervisor their reports


ANYONE = Role.ANYONE
MENTOR = Role.MENTOR
HR = Role.HR
HR_OR_SUPERVISOR = Role.HR_OR_SUPERVISOR

_REFUSALS = {
    Role.MENTOR: "common.mentors_only",
    Role.HR: "common.hr_only",
    Role.HR_OR_SUPERVISOR: "common.hr_only",
}


@dataclass(frozen=True)
class Roles:
    mentor_of: tuple[Mentorship, ...]
    actor_in: tuple[Mentorship, ...]
    supervisor: bool
    hr: bool

    @property
    def in_pair(self) -> bool:
        return bool(self.mentor_of or self.actor_in)


def roles_of(session: Session, person: Person) -> Roles:
    active = active_mentorships(session, person)
    return Roles(
        mentor_of=tuple(m for m in active if m.mentor_id == person.id),
        actor_in=tuple(m for m in active if m.actor_id == person.id),
        supervisor=supervises_anyone(session, person),
        hr=person.is_hr,
    )


# Built once: a statement built per call computes its cache key on every execution.
_SUPERVISES = select(exists().where(Person.supervisor_id == bindparam("person")))
_MENTORS = select(
    exists().where(
        Mentorship.mentor_id == bindparam("person"), Mentorship.phase != Phase.CANCELLED.value
    )
)


def supervises_anyone(session: Session, person: Person) -> bool:
    """Someone's supervisor in the directory: they may follow their reports' progress."""
    return bool(session.scalar(_SUPERVISES, {"person": person.id}))


def is_programme_mentor(session: Session, person: Person) -> bool:
    """A mentor of any pairing not ended early: the people mentor workshops are for."""
    return bool(session.scalar(_MENTORS, {"person": person.id}))


def may(session: Session, person: Person, role: Role) -> str | None:
    """None when ``person`` holds ``role``; otherwise the text key of the refusal."""
    if role == Role.HR and not person.is_hr:
        return _REFUSALS[role]
    if role == Role.MENTOR and not is_programme_mentor(session, person):
        return _REFUSALS[role]
    if role == Role.HR_OR_SUPERVISOR and not (person.is_hr or supervises_anyone(session, person)):
        return _REFUSALS[role]
    return None
