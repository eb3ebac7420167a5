"""Matching: each programme's matching settings, participants' profiles and proposals.

A profile holds only what matching needs: topics, languages, how and when a person likes to
meet, a mentor's capacity and the lines they would rather not cross. No protected attribute
(age, gender, health, family) has a column here, and none is ever derived.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Double,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.models import ACTIVE_PHASES, Base, Mentorship, Person, Phase, Programme


class MatchMode(enum.StrEnum):
    HR = "hr"  # HR sees the suggested set, accepts or skips pairs, then proposes them
    AUTO = "auto"  # the best set is proposed at once
    SELF = "self"  # each actor sees their top three mentors and asks one


class MatchRole(enum.StrEnum):
    ACTOR = "actor"
    MENTOR = "mentor"


class MeetingMode(enum.StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    EITHER = "either"


class ProposalStatus(enum.StrEnum):
    SUGGESTED = "suggested"  # HR matching: seen by HR, not yet sent to the two people
    PENDING = "pending"  # sent; waiting for both answers
    ACCEPTED = "accepted"  # both said yes; the mentorship exists
    DECLINED = "declined"  # one said no; the pair is never suggested again
    EXPIRED = "expired"  # nobody answered within the time
    SKIPPED = "skipped"  # HR skipped it or another proposal won (self-matching)


OPEN_STATUSES = (ProposalStatus.SUGGESTED, ProposalStatus.PENDING)
CAPACITY_MIN, CAPACITY_MAX = 1, 3


class MatchingRound(Base):
    """Matching opened for a programme: its mode, its list of topics and its score weights."""

    __tablename__ = "matching_round"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10), default=MatchMode.HR)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    programme: Mapped[Programme] = relationship()


class MatchProfile(Base):
    """One person's matching profile in one programme (as actor or as mentor)."""

    __tablename__ = "match_profile"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    wants: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_mode: Mapped[str] = mapped_column(String(10), default=MeetingMode.EITHER)
    working_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    capacity: Mapped[int | None] = mapped_column(Integer)
    avoid_own_team: Mapped[bool] = mapped_column(Boolean, default=False)
    avoid_own_line: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]

    person: Mapped[Person] = relationship()
    programme: Mapped[Programme] = relationship()


class MatchProposal(Base):
    """A suggested or proposed pair, and each person's private answer."""

    __tablename__ = "match_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ProposalStatus.SUGGESTED)
    score: Mapped[float] = mapped_column(Double, default=0.0)
    parts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mentor_answer: Mapped[str | None] = mapped_column(String(10))
    actor_answer: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    proposed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    actor: Mapped[Person] = relationship(foreign_keys=[actor_id])
    programme: Mapped[Programme] = relationship()


# --- queries -------------------------------------------------------------------------------


def matching_round(session: Session, programme_id: int) -> MatchingRound | None:
    return session.get(MatchingRound, programme_id)


def profile_of(session: Session, programme_id: int, person_id: int) -> MatchProfile | None:
    return session.scalars(
        select(MatchProfile).where(
            MatchProfile.programme_id == programme_id, MatchProfile.person_id == person_id
        )
    ).first()


def profiles(session: Session, programme_id: int) -> list[MatchProfile]:
    """The profiles of people not erased, in a stable order."""
    return list(
        session.scalars(
            select(MatchProfile)
            .join(Person, Person.id == MatchProfile.person_id)
            .where(MatchProfile.programme_id == programme_id, Person.erased_at.is_(None))
            .order_by(MatchProfile.id)
        )
    )


def open_rounds(session: Session) -> list[MatchingRound]:
    """The programmes whose matching is open, oldest first."""
    return list(
        session.scalars(
            select(MatchingRound)
            .where(MatchingRound.closed_at.is_(None))
            .order_by(MatchingRound.opened_at)
        )
    )


def proposals(
    session: Session, programme_id: int, statuses: tuple[str, ...] | None = None
) -> list[MatchProposal]:
    query = select(MatchProposal).where(MatchProposal.programme_id == programme_id)
    if statuses:
        query = query.where(MatchProposal.status.in_(statuses))
    return list(session.scalars(query.order_by(MatchProposal.id)))


def pending_for(session: Session, person_id: int) -> list[MatchProposal]:
    """Proposals sent to ``person_id`` that they have not answered yet."""
    query = select(MatchProposal).where(
        MatchProposal.status == ProposalStatus.PENDING,
        or_(
            (MatchProposal.mentor_id == person_id) & MatchProposal.mentor_answer.is_(None),
            (MatchProposal.actor_id == person_id) & MatchProposal.actor_answer.is_(None),
        ),
    )
    return list(session.scalars(query.order_by(MatchProposal.id)))


def declined_pairs(session: Session, programme_id: int) -> set[tuple[int, int]]:
    """(actor, mentor) pairs one of them declined, or nobody answered, in this programme:
    never suggested again (an expired pair proposed again would only expire again)."""
    rows = session.execute(
        select(MatchProposal.actor_id, MatchProposal.mentor_id).where(
            MatchProposal.programme_id == programme_id,
            MatchProposal.status.in_([ProposalStatus.DECLINED, ProposalStatus.EXPIRED]),
        )
    )
    return {(a, m) for a, m in rows}


def ended_early_pairs(session: Session) -> set[tuple[int, int]]:
    """(actor, mentor) pairs whose mentorship was ended early, in any programme."""
    rows = session.execute(
        select(Mentorship.actor_id, Mentorship.mentor_id).where(Mentorship.phase == Phase.CANCELLED)
    )
    return {(a, m) for a, m in rows}


def active_counts(session: Session, programme_id: int) -> tuple[set[int], dict[int, int]]:
    """Actors in an active mentorship of the programme, and each mentor's active actors."""
    actors: set[int] = set()
    mentors: dict[int, int] = {}
    rows = session.execute(
        select(Mentorship.actor_id, Mentorship.mentor_id).where(
            Mentorship.programme_id == programme_id,
            Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]),
        )
    )
    for actor_id, mentor_id in rows:
        actors.add(actor_id)
        mentors[mentor_id] = mentors.get(mentor_id, 0) + 1
    return actors, mentors


def supervisors(session: Session) -> dict[int, int | None]:
    """Everyone's supervisor id, for the supervisor chains and teams (one read)."""
    return {pid: sup for pid, sup in session.execute(select(Person.id, Person.supervisor_id))}


def erase_matching(session: Session, person_id: int) -> int:
    """Delete a person's profiles and every proposal they are in (erasure); rows deleted."""
    count = session.execute(delete(MatchProfile).where(MatchProfile.person_id == person_id))
    props = session.execute(
        delete(MatchProposal).where(
            or_(MatchProposal.mentor_id == person_id, MatchProposal.actor_id == person_id)
        )
    )
    return int(getattr(count, "rowcount", 0) or 0) + int(getattr(props, "rowcount", 0) or 0)


def export_matching(session: Session, person_id: int) -> dict[str, Any]:
    """A person's profiles and their own answers to proposals (the export right)."""
    own = session.scalars(select(MatchProfile).where(MatchProfile.person_id == person_id))
    props = session.scalars(
        select(MatchProposal)
        .where(or_(MatchProposal.mentor_id == person_id, MatchProposal.actor_id == person_id))
        .where(MatchProposal.status != ProposalStatus.SUGGESTED)
        .order_by(MatchProposal.id)
    )
    return {
        "matching_profiles": [
            {
                "programme": p.programme.name,
                "role": p.role,
                "wants": p.wants,
                "offers": p.offers,
                "languages": p.languages,
                "meeting_mode": p.meeting_mode,
                "working_days": p.working_days,
                "capacity": p.capacity,
                "avoid_own_team": p.avoid_own_team,
                "avoid_own_line": p.avoid_own_line,
                "updated_at": p.updated_at,
            }
            for p in own
        ],
        "matching_proposals": [
            {
                "programme": p.programme.name,
                "role": "mentor" if p.mentor_id == person_id else "actor",
                "status": p.status,
                "my_answer": p.mentor_answer if p.mentor_id == person_id else p.actor_answer,
                "proposed_at": p.proposed_at,
            }
            for p in props
        ],
    }
