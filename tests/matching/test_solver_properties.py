"""Property tests of the matching solver on random organisations."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.match_bench import random_organisation
from conversations.matching.model import Blocked, Participant, Rule, Weights
from conversations.matching.rules import pair_rule
from conversations.matching.score import score
from conversations.matching.solver import matrices, solve

orgs = st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.integers(0, 25))
weights = st.fixed_dictionaries(
    {
        "topics": st.floats(0, 10),
        "meeting": st.floats(0, 10),
        "hours": st.floats(0, 10),
        "cross_team": st.floats(0, 10),
    }
)


def _greedy(
    actors: list[Participant], mentors: list[Participant], blocked: Blocked, w: Weights
) -> float:
    """The first-found baseline: best pairs first, taken while both are still free."""
    allowed = [
        (score(a, m, w), i, j)
        for i, a in enumerate(actors)
        for j, m in enumerate(mentors)
        if pair_rule(a, m, blocked) == Rule.ALLOWED
    ]
    taken: set[int] = set()
    places = Counter({j: m.free_places for j, m in enumerate(mentors)})
    total = 0.0
    for value, i, j in sorted(allowed, reverse=True):
        if i not in taken and places[j] > 0:
            taken.add(i)
            places[j] -= 1
            total += value
    return total


@settings(max_examples=60, deadline=None)
@given(orgs, weights)
def test_no_suggestion_breaks_a_hard_rule_or_a_mentors_capacity(
    org: tuple[int, int, int], w: dict[str, float]
) -> None:
    actors, mentors, blocked = random_organisation(random.Random(org[0]), org[1], org[2])
    result = solve(actors, mentors, blocked, Weights.of(w))
    for pair in result.pairs:
        assert pair_rule(pair.actor, pair.mentor, blocked) == Rule.ALLOWED
    per_mentor = Counter(p.mentor.person_id for p in result.pairs)
    for mentor in mentors:
        assert per_mentor[mentor.person_id] <= mentor.free_places
    assert len({p.actor.person_id for p in result.pairs}) == len(result.pairs)
    assert len(result.pairs) + len(result.unmatched) == len(actors)


@settings(max_examples=60, deadline=None)
@given(orgs, weights)
def test_the_total_score_is_never_below_a_greedy_baseline(
    org: tuple[int, int, int], w: dict[str, float]
) -> None:
    actors, mentors, blocked = random_organisation(random.Random(org[0]), org[1], org[2])
    chosen = Weights.of(w)
    assert (
        solve(actors, mentors, blocked, chosen).total
        >= _greedy(actors, mentors, blocked, chosen) - 1e-6
    )


@settings(max_examples=40, deadline=None)
@given(orgs)
def test_the_matrices_agree_with_the_rules_and_scores_pair_by_pair(
    org: tuple[int, int, int],
) -> None:
    actors, mentors, blocked = random_organisation(random.Random(org[0]), org[1], org[2])
    w = Weights()
    rule, _parts, total = matrices(actors, mentors, blocked, w)
    for i, a in enumerate(actors):
        for j, m in enumerate(mentors):
            assert Rule(int(rule[i, j])) == pair_rule(a, m, blocked)
            assert abs(float(total[i, j]) - score(a, m, w)) < 1e-4


def _person(pid: int, languages: str, **extra: Any) -> Participant:
    return Participant(
        person_id=pid, name=f"P{pid}", languages=frozenset(languages.split()), **extra
    )


def test_an_actor_no_mentor_shares_a_language_with_is_left_out_for_the_language() -> None:
    actor = _person(1, "sv")
    mentors = [_person(2, "fi", free_places=2), _person(3, "en", free_places=1)]
    result = solve([actor], mentors, Blocked(), Weights())
    assert result.pairs == []
    assert result.unmatched[0].rule == Rule.LANGUAGE
    assert result.unmatched[0].languages == frozenset({"sv"})


def test_the_actors_supervisor_and_their_manager_are_never_suggested() -> None:
    actor = _person(1, "fi", supervisor_id=2, chain=frozenset({2, 3}))
    mentors = [_person(2, "fi", free_places=1), _person(3, "fi", free_places=1)]
    result = solve([actor], mentors, Blocked(), Weights())
    assert result.pairs == []
    assert result.unmatched[0].rule == Rule.SUPERVISOR_CHAIN


def test_the_best_set_beats_the_first_come_choice() -> None:
    """Greedy gives the one mentor Aino wants to Ben too; the solver gives everyone a fit."""
    a1 = _person(1, "fi", wants=frozenset({"x", "y"}))
    a2 = _person(2, "fi en", wants=frozenset({"x"}))
    m1 = _person(3, "fi", offers=frozenset({"x", "y"}), free_places=1)
    m2 = _person(4, "en", offers=frozenset({"x"}), free_places=1)
    result = solve([a1, a2], [m1, m2], Blocked(), Weights())
    assert {(p.actor.person_id, p.mentor.person_id) for p in result.pairs} == {(1, 3), (2, 4)}


def _best_by_brute_force(
    actors: list[Participant], mentors: list[Participant], blocked: Blocked, w: Weights
) -> float:
    """The highest total over every way of giving each actor a place or none (tiny cases)."""
    places = [j for j, m in enumerate(mentors) for _ in range(m.free_places)]

    def best(i: int, free: tuple[int, ...]) -> float:
        if i == len(actors):
            return 0.0
        top = best(i + 1, free)  # actor i stays unmatched
        for k, j in enumerate(free):
            if j in free[:k]:
                continue  # the mentor's other places give the same
            if pair_rule(actors[i], mentors[j], blocked) == Rule.ALLOWED:
                rest = free[:k] + free[k + 1 :]
                top = max(top, score(actors[i], mentors[j], w) + best(i + 1, rest))
        return top

    return best(0, tuple(places))


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 10**6), st.integers(0, 6), st.integers(0, 3)), weights)
def test_the_total_score_is_the_best_possible_on_small_organisations(
    org: tuple[int, int, int], w: dict[str, float]
) -> None:
    actors, mentors, blocked = random_organisation(random.Random(org[0]), org[1], org[2])
    chosen = Weights.of(w)
    found = solve(actors, mentors, blocked, chosen).total
    assert abs(found - _best_by_brute_force(actors, mentors, blocked, chosen)) < 1e-6
