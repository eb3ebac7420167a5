"""A pair's score in parts, each between 0 and 1, weighted by the programme."""

from __future__ import annotations

from conversations.matching.model import PARTS, Participant, Weights

WORKDAY_HOURS = 8.0
MODE_FIT = {("in_person", "remote"): 0.0, ("remote", "in_person"): 0.0}


def mode_fit(a: str, b: str) -> float:
    """1 for the same mode, 0 for in person against remote, 0.75 when one says either."""
    if a == b:
        return 1.0
    return MODE_FIT.get((a, b), 0.75)


def days_fit(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared working days over the days either named; 0.5 when one named none."""
    if not a or not b:
        return 0.5
    return len(a & b) / len(a | b)


def hours_fit(a: float, b: float) -> float:
    """How much of a 9–17 working day the two timezones share."""
    return max(0.0, WORKDAY_HOURS - abs(a - b)) / WORKDAY_HOURS


def parts(actor: Participant, mentor: Participant) -> dict[str, float]:
    """The parts of a pair's score, each in [0, 1]."""
    topics = len(actor.wants & mentor.offers) / len(actor.wants) if actor.wants else 0.0
    meeting = 0.5 * mode_fit(actor.meeting_mode, mentor.meeting_mode) + 0.5 * days_fit(
        actor.working_days, mentor.working_days
    )
    cross = actor.supervisor_id is None or actor.supervisor_id != mentor.supervisor_id
    return {
        "topics": topics,
        "meeting": meeting,
        "hours": hours_fit(actor.utc_offset, mentor.utc_offset),
        "cross_team": 1.0 if cross else 0.0,
    }


def total(found: dict[str, float], weights: Weights) -> float:
    return weights["base"] + sum(weights[name] * found[name] for name in PARTS)


def score(actor: Participant, mentor: Participant, weights: Weights) -> float:
    return total(parts(actor, mentor), weights)
