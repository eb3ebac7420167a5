"""Which private answers a report may count: whole batches of at least ``MIN_GROUP`` people.

Two reports must never differ by one person's answer (privacy rule 3, no differencing). Answers
are taken oldest first into a batch that closes once it holds answers of ``MIN_GROUP`` different
people; only closed batches are released. A report taken before and after one known person's
answer is therefore the same, or differs by a whole batch that mixes at least five people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import GoalStatus

MIN_GROUP = 5


@dataclass(frozen=True, order=True)
class Answer:
    """One private answer: when it was given (and a tie-breaker), by whom, its value."""

    at: datetime
    key: int
    person: int
    value: Any


def released(answers: Iterable[Answer]) -> list[Answer]:
    """The answers in closed batches, oldest first: each batch closes once it holds answers
    of ``MIN_GROUP`` different people. Answers without a value are not answers."""
    out: list[Answer] = []
    batch: list[Answer] = []
    people: set[int] = set()
    for answer in sorted(a for a in answers if a.value is not None):
        batch.append(answer)
        people.add(answer.person)
        if len(people) >= MIN_GROUP:
            out += batch
            batch, people = [], set()
    return out


EVALUATED = (GoalStatus.ACHIEVED, GoalStatus.PARTLY, GoalStatus.NOT_ACHIEVED)


def goal_counts(goals: list[tuple[int, str]], released_pairs: set[int]) -> dict[str, int]:
    """Goal statuses; the attainment the actor judged (achieved, partly, not achieved) only
    for pairs whose final evaluation is released, the rest counted as ``evaluated_pending``."""
    counts = Counter(
        status if status not in EVALUATED or pair in released_pairs else "evaluated_pending"
        for pair, status in goals
    )
    out = {
        s.value: counts.get(s.value, 0)
        for s in GoalStatus
        if s != GoalStatus.DROPPED or counts.get(s.value)
    }
    if counts.get("evaluated_pending"):
        out["evaluated_pending"] = counts["evaluated_pending"]
    return out
