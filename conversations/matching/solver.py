"""The best set of pairs: an assignment problem over every actor and every free place at once.

Each mentor is repeated once per free place; a forbidden pair costs nothing, like leaving
both unmatched, and an allowed one costs minus its score. The solver
(``scipy.optimize.linear_sum_assignment``, the Jonker–Volgenant shortest augmenting path)
assigns every row of the smaller side; a forbidden assignment is read as "unmatched" (the
place stays free), so the minimum cost is exactly the highest total score of allowed pairs.
No "unmatched" columns are needed, which keeps the matrix actors × places. No order of
people decides anything. numpy and scipy are imported only when a set is solved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conversations.matching.model import (
    PARTS,
    Blocked,
    Pair,
    Participant,
    Rule,
    Suggestion,
    Unmatched,
    Weights,
)
from conversations.matching.score import WORKDAY_HOURS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

TOP_CHOICES = 3


def _membership(
    people: Sequence[Participant], sets: list[frozenset[Any]], index: dict[Any, int]
) -> NDArray[np.float32]:
    import numpy as np

    out = np.zeros((len(people), max(1, len(index))), dtype=np.float32)
    for row, values in enumerate(sets):
        for value in values:
            col = index.get(value)
            if col is not None:
                out[row, col] = 1.0
    return out


def _overlap(
    actors: Sequence[Participant],
    mentors: Sequence[Participant],
    actor_sets: list[frozenset[Any]],
    mentor_sets: list[frozenset[Any]],
) -> NDArray[np.float32]:
    """|actor set ∩ mentor set| for every pair, as one matrix product."""
    index = {v: i for i, v in enumerate(sorted({v for s in actor_sets for v in s}, key=str))}
    return _membership(actors, actor_sets, index) @ _membership(mentors, mentor_sets, index).T


def matrices(
    actors: Sequence[Participant],
    mentors: Sequence[Participant],
    blocked: Blocked,
    weights: Weights,
) -> tuple[NDArray[np.int8], dict[str, NDArray[np.float64]], NDArray[np.float64]]:
    """(first rule broken, score parts, score) for every actor × mentor, computed as matrices;
    they agree with ``rules.pair_rule`` and ``score.parts`` pair by pair."""
    import numpy as np

    n, m = len(actors), len(mentors)
    rule = np.zeros((n, m), dtype=np.int8)

    def mark(mask: NDArray[np.bool_], code: Rule) -> None:
        rule[(rule == 0) & mask] = code

    a_ids = np.array([a.person_id for a in actors], dtype=np.int64)
    m_ids = np.array([x.person_id for x in mentors], dtype=np.int64)
    mark(a_ids[:, None] == m_ids[None, :], Rule.SELF)
    chain = _overlap(
        actors, mentors, [a.chain for a in actors], [frozenset([x.person_id]) for x in mentors]
    )
    mark(chain > 0, Rule.SUPERVISOR_CHAIN)
    languages = _overlap(
        actors, mentors, [a.languages for a in actors], [x.languages for x in mentors]
    )
    mark(languages == 0, Rule.LANGUAGE)
    column = {x.person_id: j for j, x in enumerate(mentors)}
    for code, pairs in ((Rule.DECLINED, blocked.declined), (Rule.ENDED_EARLY, blocked.ended_early)):
        mask = np.zeros((n, m), dtype=bool)
        rows = {a.person_id: i for i, a in enumerate(actors)}
        for actor_id, mentor_id in pairs:
            if actor_id in rows and mentor_id in column:
                mask[rows[actor_id], column[mentor_id]] = True
        mark(mask, code)
    a_sup = np.array(
        [a.supervisor_id if a.supervisor_id is not None else -1 for a in actors], dtype=np.int64
    )
    m_sup = np.array(
        [x.supervisor_id if x.supervisor_id is not None else -2 for x in mentors], dtype=np.int64
    )
    same_team = a_sup[:, None] == m_sup[None, :]
    a_team = np.array([a.avoid_own_team for a in actors], dtype=bool)
    m_team = np.array([x.avoid_own_team for x in mentors], dtype=bool)
    mark(same_team & (a_team[:, None] | m_team[None, :]), Rule.AVOID_TEAM)
    a_line = np.array([a.avoid_own_line for a in actors], dtype=bool)
    m_line = np.array([x.avoid_own_line for x in mentors], dtype=bool)
    line = _overlap(actors, mentors, [a.line for a in actors], [x.line for x in mentors])
    mark((line > 0) & (a_line[:, None] | m_line[None, :]), Rule.AVOID_LINE)
    free = np.array([x.free_places for x in mentors], dtype=np.int64)
    mark(np.broadcast_to(free[None, :] <= 0, (n, m)), Rule.CAPACITY)

    wants = np.array([len(a.wants) for a in actors], dtype=np.float64)
    topic_hits = _overlap(actors, mentors, [a.wants for a in actors], [x.offers for x in mentors])
    topics = np.where(wants[:, None] > 0, topic_hits / np.maximum(wants, 1)[:, None], 0.0)
    modes = ["in_person", "remote", "either"]
    a_mode = np.array(
        [modes.index(a.meeting_mode) if a.meeting_mode in modes else 2 for a in actors]
    )
    m_mode = np.array(
        [modes.index(x.meeting_mode) if x.meeting_mode in modes else 2 for x in mentors]
    )
    same = a_mode[:, None] == m_mode[None, :]
    opposite = (a_mode[:, None] + m_mode[None, :] == 1) & ~same
    mode = np.where(same, 1.0, np.where(opposite, 0.0, 0.75))
    days_a = [a.working_days for a in actors]
    days_m = [x.working_days for x in mentors]
    inter = _overlap(actors, mentors, days_a, days_m).astype(np.float64)
    na = np.array([len(d) for d in days_a], dtype=np.float64)
    nm = np.array([len(d) for d in days_m], dtype=np.float64)
    union = na[:, None] + nm[None, :] - inter
    either_empty = (na[:, None] == 0) | (nm[None, :] == 0)
    days = np.where(either_empty, 0.5, inter / np.maximum(union, 1))
    a_off = np.array([a.utc_offset for a in actors], dtype=np.float64)
    m_off = np.array([x.utc_offset for x in mentors], dtype=np.float64)
    hours = np.maximum(0.0, WORKDAY_HOURS - np.abs(a_off[:, None] - m_off[None, :])) / WORKDAY_HOURS
    cross = ~same_team
    parts = {
        "topics": topics.astype(np.float64),
        "meeting": 0.5 * mode + 0.5 * days,
        "hours": hours,
        "cross_team": cross.astype(np.float64),
    }
    total = np.full((n, m), weights["base"], dtype=np.float64)
    for name in PARTS:
        total += weights[name] * parts[name]
    return rule, parts, total


def solve(
    actors: Sequence[Participant],
    mentors: Sequence[Participant],
    blocked: Blocked,
    weights: Weights,
) -> Suggestion:
    """The set of allowed pairs with the highest total score, within every mentor's places,
    and why each actor left out is left out."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if not actors:
        return Suggestion(pairs=[], unmatched=[])
    if not mentors:
        return Suggestion([], [Unmatched(a, Rule.NO_MENTORS) for a in actors])
    rule, parts, total = matrices(actors, mentors, blocked, weights)
    slots = np.repeat(np.arange(len(mentors)), [max(0, x.free_places) for x in mentors])
    allowed = rule[:, slots] == Rule.ALLOWED
    cost = np.where(allowed, -total[:, slots], 0.0)
    rows, cols = linear_sum_assignment(cost) if len(slots) else ([], [])
    pairs: list[Pair] = []
    matched: set[int] = set()
    for i, c in zip(list(rows), list(cols), strict=True):
        if not allowed[i, c]:
            continue  # a forbidden place taken only to fill the matrix: both stay unmatched
        j = int(slots[c])
        matched.add(i)
        found = {name: float(parts[name][i, j]) for name in PARTS}
        pairs.append(Pair(actors[i], mentors[j], float(total[i, j]), found))
    unmatched = [_why(actors[i], rule[i], mentors) for i in range(len(actors)) if i not in matched]
    pairs.sort(key=lambda p: (-p.score, p.actor.name, p.actor.person_id))
    return Suggestion(pairs=pairs, unmatched=unmatched)


def _why(actor: Participant, rules: NDArray[np.int8], mentors: Sequence[Participant]) -> Unmatched:
    """The rule that kept an actor out: a language no mentor shares comes first (it holds
    whatever else rules a mentor out); when some mentor fits, their places are taken;
    otherwise the rule that rules out the most mentors."""
    if not any(actor.languages & m.languages for m in mentors):
        return Unmatched(actor, Rule.LANGUAGE, actor.languages)
    codes = Counter(int(c) for c in rules.tolist())
    if codes.get(Rule.ALLOWED) or codes.get(Rule.CAPACITY):
        return Unmatched(actor, Rule.CAPACITY)
    code = Rule(max(codes, key=lambda c: (codes[c], -c)))
    return Unmatched(actor, code)


def top_choices(
    actor: Participant,
    mentors: Sequence[Participant],
    blocked: Blocked,
    weights: Weights,
    count: int = TOP_CHOICES,
) -> list[Pair]:
    """An actor's best allowed mentors with free places (self-matching), best first."""
    if not mentors:
        return []
    rule, parts, total = matrices([actor], mentors, blocked, weights)
    allowed = [j for j in range(len(mentors)) if rule[0, j] == Rule.ALLOWED]
    allowed.sort(key=lambda j: (-float(total[0, j]), mentors[j].name, mentors[j].person_id))
    return [
        Pair(actor, mentors[j], float(total[0, j]), {n: float(parts[n][0, j]) for n in PARTS})
        for j in allowed[:count]
    ]
