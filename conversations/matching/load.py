"""A programme's participants as the solver sees them, read from the database in a few reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from conversations.matching.model import Blocked, Participant, Suggestion, Weights
from conversations.worktime import zone
from storage.matching import (
    MatchProfile,
    MatchRole,
    ProposalStatus,
    active_counts,
    declined_pairs,
    ended_early_pairs,
    matching_round,
    profiles,
    proposals,
    supervisors,
)
from storage.models import Person, Programme


@dataclass
class Pool:
    """Who can be matched now in one programme, and the people behind the ids."""

    actors: list[Participant]
    mentors: list[Participant]
    blocked: Blocked
    weights: Weights
    people: dict[int, Person]
    topics: list[str]

    def solve(self) -> Suggestion:
        from conversations.matching.solver import solve

        return solve(self.actors, self.mentors, self.blocked, self.weights)


def chains(bosses: dict[int, int | None]) -> dict[int, tuple[int, ...]]:
    """Everyone's supervisor chain, nearest first; a loop in the data ends the chain."""
    out: dict[int, tuple[int, ...]] = {}
    for pid in bosses:
        chain: list[int] = []
        seen = {pid}
        up = bosses.get(pid)
        while up is not None and up not in seen:
            chain.append(up)
            seen.add(up)
            up = bosses.get(up)
        out[pid] = tuple(chain)
    return out


def _offset(person: Person, now: datetime) -> float:
    delta = now.astimezone(zone(person.timezone)).utcoffset()
    return delta.total_seconds() / 3600 if delta else 0.0


Builder = Callable[[MatchProfile], Participant]


def _builder(
    session: Session,
    programme: Programme,
    now: datetime,
    mentor_pairs: dict[int, int],
    waiting_mentors: dict[int, int],
) -> Builder:
    bosses = supervisors(session)
    chain_of = chains(bosses)
    roots = {pid for pid, up in bosses.items() if up is None}

    def participant(profile: MatchProfile) -> Participant:
        person = profile.person
        chain = chain_of.get(person.id, ())
        free = 0
        if profile.role == MatchRole.MENTOR:
            limit = min(profile.capacity or 1, programme.max_actors_per_mentor)
            used = mentor_pairs.get(person.id, 0) + waiting_mentors.get(person.id, 0)
            free = max(0, limit - used)
        return Participant(
            person_id=person.id,
            name=person.name,
            supervisor_id=person.supervisor_id,
            chain=frozenset(chain),
            line=frozenset({person.id, *chain} - roots),
            utc_offset=_offset(person, now),
            languages=frozenset(profile.languages),
            wants=frozenset(profile.wants),
            offers=frozenset(profile.offers),
            meeting_mode=profile.meeting_mode,
            working_days=frozenset(profile.working_days),
            avoid_own_team=profile.avoid_own_team,
            avoid_own_line=profile.avoid_own_line,
            free_places=free,
        )

    return participant


def participants(
    session: Session, programme: Programme, now: datetime, person_ids: list[int]
) -> dict[int, Participant]:
    """These people's participants in the programme, whatever their state (for reasons)."""
    build = _builder(session, programme, now, {}, {})
    return {
        p.person_id: build(p) for p in profiles(session, programme.id) if p.person_id in person_ids
    }


def pool(session: Session, programme: Programme, now: datetime) -> Pool:
    """Profiles of the programme's people who are free to be matched, within capacities.

    Out: actors in an active pair of the programme or in a proposal waiting for answers.
    A mentor's free places: what they gave, never over the programme's limit, minus their
    active pairs and proposals waiting for answers.
    """
    found = profiles(session, programme.id)
    active_actors, mentor_pairs = active_counts(session, programme.id)
    waiting = proposals(session, programme.id, (ProposalStatus.PENDING,))
    waiting_actors = {p.actor_id for p in waiting}
    waiting_mentors: dict[int, int] = {}
    for p in waiting:
        waiting_mentors[p.mentor_id] = waiting_mentors.get(p.mentor_id, 0) + 1
    participant = _builder(session, programme, now, mentor_pairs, waiting_mentors)

    actors = [
        participant(p)
        for p in found
        if p.role == MatchRole.ACTOR
        and p.person_id not in active_actors
        and p.person_id not in waiting_actors
    ]
    mentors = [participant(p) for p in found if p.role == MatchRole.MENTOR]
    settings = matching_round(session, programme.id)
    return Pool(
        actors=actors,
        mentors=mentors,
        blocked=Blocked(
            declined=frozenset(declined_pairs(session, programme.id)),
            ended_early=frozenset(ended_early_pairs(session)),
        ),
        weights=Weights.of(settings.weights if settings else None),
        people={p.person_id: p.person for p in found},
        topics=list(settings.topics) if settings else [],
    )
