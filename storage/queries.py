"""Reads the engine needs, with the privacy rules of design.md applied where data is read.

Content of a relationship (check-in notes, ratings, reflections, evaluations) is only ever
read through functions that take the viewer and return what that viewer may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, inspect, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from storage.dialect import insert_ignore
from storage.models import (
    ACTIVE_PHASES,
    CheckIn,
    Evaluation,
    Goal,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    PlatformIdentity,
    Programme,
    Reflection,
    Task,
    TaskStatus,
)

# The statements of every turn, built once (the compiled cache then only binds values)
_PERSON_BY_EMAIL = select(Person).where(func.lower(Person.email) == bindparam("email"))
_IDENTITY = (  # with the person in the same statement: every turn reads both
    select(PlatformIdentity)
    .options(joinedload(PlatformIdentity.person))
    .where(
        PlatformIdentity.platform == bindparam("platform"),
        PlatformIdentity.platform_user_id == bindparam("user"),
    )
)
_ACTIVE_MENTORSHIPS = (  # with what every view of a pair shows, in the same statement
    select(Mentorship)
    .options(
        joinedload(Mentorship.programme),
        joinedload(Mentorship.mentor),
        joinedload(Mentorship.actor),
        joinedload(Mentorship.agreement),
    )
    .where(
        or_(
            Mentorship.mentor_id == bindparam("person"), Mentorship.actor_id == bindparam("person")
        ),
        Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]),
    )
    .order_by(Mentorship.id)
)
_MENTORSHIPS_OF = (
    select(Mentorship)
    .where(
        or_(Mentorship.mentor_id == bindparam("person"), Mentorship.actor_id == bindparam("person"))
    )
    .order_by(Mentorship.id)
)
_REPORTS_OF = (
    select(Person).where(Person.supervisor_id == bindparam("person")).order_by(Person.name)
)
# A pair's goals and meetings as its relationships order them. Prebuilt: a lazy load builds
# its statement anew and computes its cache key on every load.
_GOALS = select(Goal).where(Goal.mentorship_id == bindparam("mentorship")).order_by(Goal.position)
_MEETINGS = (
    select(Meeting).where(Meeting.mentorship_id == bindparam("mentorship")).order_by(Meeting.seq)
)
_TASKS = select(Task).where(Task.mentorship_id == bindparam("mentorship")).order_by(Task.id)
_OWN_CHECKIN = select(CheckIn).where(
    CheckIn.meeting_id == bindparam("meeting"), CheckIn.person_id == bindparam("person")
)
_OWN_EVALUATION = select(Evaluation).where(
    Evaluation.mentorship_id == bindparam("mentorship"),
    Evaluation.person_id == bindparam("person"),
    Evaluation.kind == bindparam("kind"),
)
_EVALUATION_COUNT = select(func.count(Evaluation.id)).where(
    Evaluation.mentorship_id == bindparam("mentorship"), Evaluation.kind == bindparam("kind")
)


def person_by_email(session: Session, email: str) -> Person | None:
    return session.scalars(_PERSON_BY_EMAIL, {"email": email.strip().lower()}).first()


def identity(session: Session, platform: str, platform_user_id: str) -> PlatformIdentity | None:
    params = {"platform": platform, "user": platform_user_id}
    return session.scalars(_IDENTITY, params).first()


def link_identity(
    session: Session,
    *,
    person_id: int,
    platform: str,
    platform_user_id: str,
    address: dict[str, Any],
    now: datetime,
) -> None:
    """Link a platform user to a person once; a link made concurrently elsewhere wins."""
    values = {
        "person_id": person_id,
        "platform": platform,
        "platform_user_id": platform_user_id,
        "address": address,
        "last_seen_at": now,
    }
    insert_ignore(session, PlatformIdentity, [values], conflict=["platform", "platform_user_id"])


def programme_by_name(session: Session, name: str) -> Programme | None:
    return session.scalars(select(Programme).where(Programme.name == name)).first()


def active_mentorships(session: Session, person: Person) -> list[Mentorship]:
    """Mentorships in which ``person`` is mentor or actor and which are not over."""
    return list(session.scalars(_ACTIVE_MENTORSHIPS, {"person": person.id}))


def mentorships_of(session: Session, person: Person) -> list[Mentorship]:
    return list(session.scalars(_MENTORSHIPS_OF, {"person": person.id}))


def reports_of(session: Session, supervisor: Person) -> list[Person]:
    return list(session.scalars(_REPORTS_OF, {"person": supervisor.id}))


def is_party(mentorship: Mentorship, person: Person) -> bool:
    return person.id in (mentorship.mentor_id, mentorship.actor_id)


def partner(mentorship: Mentorship, person: Person) -> Person:
    return mentorship.actor if person.id == mentorship.mentor_id else mentorship.mentor


def load_goals_and_meetings(session: Session, mentorship: Mentorship) -> None:
    """Load the pair's ``goals`` and ``meetings`` unless they are: the statements a lazy load
    would issue, prebuilt, which costs less CPU than the lazy loads (and than eager loading
    them with the pair: selectinload more, and joining both multiplies the rows)."""
    unloaded = inspect(mentorship).unloaded
    params = {"mentorship": mentorship.id}
    if "goals" in unloaded:
        set_committed_value(mentorship, "goals", list(session.scalars(_GOALS, params)))
    if "meetings" in unloaded:
        set_committed_value(mentorship, "meetings", list(session.scalars(_MEETINGS, params)))


def top_goals(mentorship: Mentorship) -> list[Goal]:
    return [g for g in mentorship.goals if g.parent_id is None and g.status != "dropped"]


def sub_goals(mentorship: Mentorship, goal: Goal) -> list[Goal]:
    return [g for g in mentorship.goals if g.parent_id == goal.id]


def upcoming_meetings(mentorship: Mentorship, now: datetime) -> list[Meeting]:
    return [
        m
        for m in mentorship.meetings
        if m.status == MeetingStatus.PLANNED and m.scheduled_at >= now
    ]


def next_meeting(mentorship: Mentorship, now: datetime) -> Meeting | None:
    upcoming = upcoming_meetings(mentorship, now)
    return upcoming[0] if upcoming else None


def tasks(session: Session, mentorship: Mentorship) -> list[Task]:
    return list(session.scalars(_TASKS, {"mentorship": mentorship.id}))


def open_tasks(session: Session, mentorship: Mentorship) -> list[Task]:
    return [t for t in tasks(session, mentorship) if t.status == TaskStatus.OPEN]


# --- content: always through the viewer -------------------------------------------------


def own_checkin(session: Session, viewer: Person, meeting: Meeting) -> CheckIn | None:
    return session.scalars(_OWN_CHECKIN, {"meeting": meeting.id, "person": viewer.id}).first()


def checkin_by_id_for_author(session: Session, viewer: Person, checkin_id: int) -> CheckIn | None:
    """A check-in, only if ``viewer`` wrote it (privacy rule 1)."""
    return session.scalars(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.person_id == viewer.id)
    ).first()


def reflections_visible_to(
    session: Session, viewer: Person, mentorship: Mentorship
) -> list[Reflection]:
    """The viewer's own reflections, plus those their partner chose to share (rule 1)."""
    return list(
        session.scalars(
            select(Reflection)
            .where(
                Reflection.mentorship_id == mentorship.id,
                or_(Reflection.person_id == viewer.id, Reflection.shared_at.is_not(None)),
            )
            .order_by(Reflection.id)
        )
    )


def reflection_for_author(
    session: Session, viewer: Person, reflection_id: int
) -> Reflection | None:
    return session.scalars(
        select(Reflection).where(Reflection.id == reflection_id, Reflection.person_id == viewer.id)
    ).first()


def own_evaluation(
    session: Session, viewer: Person, mentorship: Mentorship, kind: str
) -> Evaluation | None:
    params = {"mentorship": mentorship.id, "person": viewer.id, "kind": kind}
    return session.scalars(_OWN_EVALUATION, params).first()


def evaluation_count(session: Session, mentorship: Mentorship, kind: str) -> int:
    """How many parties have evaluated: a count, never whose or what."""
    return int(session.scalar(_EVALUATION_COUNT, {"mentorship": mentorship.id, "kind": kind}) or 0)


def phase_counts(session: Session) -> dict[str, int]:
    """How many pairs are in each phase (HR's status: operational figures only)."""
    rows = session.execute(
        select(Mentorship.phase, func.count(Mentorship.id)).group_by(Mentorship.phase)
    )
    return {str(phase): int(n) for phase, n in rows}
