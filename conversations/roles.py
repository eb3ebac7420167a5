"""Who a person is in the programme: mentor, actor, supervisor, HR."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from storage.models import Mentorship, Person
from storage.queries import active_mentorships


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
    supervises = bool(session.scalar(select(exists().where(Person.supervisor_id == person.id))))
    return Roles(
        mentor_of=tuple(m for m in active if m.mentor_id == person.id),
        actor_in=tuple(m for m in active if m.actor_id == person.id),
        supervisor=supervises,
        hr=person.is_hr,
    )
