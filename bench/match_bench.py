"""Matching benchmark: seconds to solve one programme's best set of pairs.

    .venv/bin/python -m bench.match_bench                     # 1,000 actors × 400 mentors
    .venv/bin/python -m bench.match_bench --actors 200 --mentors 80 --runs 5

A random but realistic organisation (``random_organisation``: teams under managers under
directors, five languages, three timezones, twelve topics, every avoidance and a few declined
and ended pairs) is matched by ``conversations.matching.solver.solve``: the rule and score
matrices, then the assignment. The time includes both (not the database read) and is the
median of ``--runs`` runs after one warm-up; wall clock, on a shared machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence

from conversations.matching.model import Blocked, Participant, Weights

LANGUAGES = ("fi", "en", "sv", "de", "et")
TOPICS = tuple(
    [
        "leadership",
        "planning",
        "sales",
        "coding",
        "design",
        "finance",
        "negotiation",
        "writing",
        "speaking",
        "hiring",
        "product",
        "research",
    ]
)
MODES = ("in_person", "remote", "either")


def random_organisation(
    rng: random.Random, actors: int, mentors: int
) -> tuple[list[Participant], list[Participant], Blocked]:
    """Actors and mentors under a three-level supervisor tree, with random profiles."""
    total = actors + mentors
    directors = list(range(1, 1 + max(1, total // 200)))
    managers = list(range(directors[-1] + 1, directors[-1] + 1 + max(1, total // 10)))
    boss = {m: rng.choice(directors) for m in managers}
    first = managers[-1] + 1

    def person(pid: int, role: str) -> Participant:
        if role == "mentor" and rng.random() < 0.2:
            supervisor = rng.choice(directors)  # some mentors are managers' peers
            chain = frozenset([supervisor])
        else:
            supervisor = rng.choice(managers)
            chain = frozenset([supervisor, boss[supervisor]])
        if role == "actor" and mentors and rng.random() < 0.05:
            # a few actors are supervised by someone who is also a mentor
            supervisor = first + actors + rng.randrange(mentors)
            chain = frozenset([supervisor])
        line = frozenset({pid, *chain} - set(directors))
        k = rng.choice((1, 1, 2, 3))
        return Participant(
            person_id=pid,
            name=f"{role.title()} {pid}",
            supervisor_id=supervisor,
            chain=chain,
            line=line,
            utc_offset=float(rng.choice((0, 2, 2, 2, -5))),
            languages=frozenset(rng.sample(LANGUAGES, rng.choice((1, 1, 2)))),
            wants=frozenset(rng.sample(TOPICS, rng.randint(1, 3)))
            if role == "actor"
            else frozenset(),
            offers=frozenset(rng.sample(TOPICS, rng.randint(1, 4)))
            if role == "mentor"
            else frozenset(),
            meeting_mode=rng.choice(MODES),
            working_days=frozenset(rng.sample(range(5), rng.randint(0, 5))),
            avoid_own_team=rng.random() < 0.3,
            avoid_own_line=rng.random() < 0.1,
            free_places=k if role == "mentor" else 0,
        )

    actor_list = [person(first + i, "actor") for i in range(actors)]
    mentor_list = [person(first + actors + i, "mentor") for i in range(mentors)]
    declined: set[tuple[int, int]] = set()
    ended: set[tuple[int, int]] = set()
    for _ in range(actors // 20 if mentor_list else 0):
        a, m = rng.choice(actor_list), rng.choice(mentor_list)
        (declined if rng.random() < 0.5 else ended).add((a.person_id, m.person_id))
    return actor_list, mentor_list, Blocked(frozenset(declined), frozenset(ended))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=1000)
    parser.add_argument("--mentors", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from conversations.matching.solver import solve

    actors, mentors, blocked = random_organisation(
        random.Random(args.seed), args.actors, args.mentors
    )
    weights = Weights()
    solve(actors, mentors, blocked, weights)  # warm-up: imports and caches
    times = []
    result = None
    for _ in range(args.runs):
        start = time.perf_counter()
        result = solve(actors, mentors, blocked, weights)
        times.append(time.perf_counter() - start)
    assert result is not None
    places = sum(m.free_places for m in mentors)
    print(
        f"matching {args.actors} actors × {args.mentors} mentors ({places} places): "
        f"median {statistics.median(times):.3f} s over {args.runs} runs "
        f"(min {min(times):.3f} s, max {max(times):.3f} s); "
        f"{len(result.pairs)} pairs, {len(result.unmatched)} unmatched, "
        f"total score {result.total:.1f}"
    )
    print(
        "command: .venv/bin/python -m bench.match_bench "
        f"--actors {args.actors} --mentors {args.mentors} --runs {args.runs} --seed {args.seed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
