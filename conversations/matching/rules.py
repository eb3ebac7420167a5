"""The hard rules, one pair at a time: what the solver's matrices must agree with."""

from __future__ import annotations

from conversations.matching.model import Blocked, Participant, Rule


def pair_rule(actor: Participant, mentor: Participant, blocked: Blocked) -> Rule:
    """The first hard rule that keeps ``mentor`` from mentoring ``actor`` (ALLOWED if none).

    Capacity is the mentor's own matter (``free_places``) and is checked last.
    """
    if actor.person_id == mentor.person_id:
        return Rule.SELF
    if mentor.person_id in actor.chain:
        return Rule.SUPERVISOR_CHAIN
    if not actor.languages & mentor.languages:
        return Rule.LANGUAGE
    key = (actor.person_id, mentor.person_id)
    if key in blocked.declined:
        return Rule.DECLINED
    if key in blocked.ended_early:
        return Rule.ENDED_EARLY
    avoid_team = actor.avoid_own_team or mentor.avoid_own_team
    same_team = actor.supervisor_id is not None and actor.supervisor_id == mentor.supervisor_id
    if avoid_team and same_team:
        return Rule.AVOID_TEAM
    if (actor.avoid_own_line or mentor.avoid_own_line) and actor.line & mentor.line:
        return Rule.AVOID_LINE
    if mentor.free_places <= 0:
        return Rule.CAPACITY
    return Rule.ALLOWED
