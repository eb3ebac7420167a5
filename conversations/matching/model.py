"""The plain data of matching: participants, weights and the rules' names."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Rule(enum.IntEnum):
    """A hard rule that keeps a pair out, in the order they are checked and reported."""

    ALLOWED = 0
    SELF = 1
    SUPERVISOR_CHAIN = 2
    LANGUAGE = 3
    DECLINED = 4
    ENDED_EARLY = 5
    AVOID_TEAM = 6
    AVOID_LINE = 7
    CAPACITY = 8
    NO_MENTORS = 9


PARTS = ("topics", "meeting", "hours", "cross_team")
DEFAULT_WEIGHTS: dict[str, float] = {
    "base": 1.0,  # every allowed pair is worth more than leaving both unmatched
    "topics": 3.0,
    "meeting": 1.0,
    "hours": 1.0,
    "cross_team": 0.5,
}
WEIGHT_MAX = 10.0


@dataclass(frozen=True)
class Participant:
    """One person in matching, with what the rules and the score need and nothing more."""

    person_id: int
    name: str
    supervisor_id: int | None = None
    chain: frozenset[int] = frozenset()  # everyone above them in the supervisor chain
    line: frozenset[int] = frozenset()  # themselves and their managers below the top
    utc_offset: float = 0.0  # hours, now
    languages: frozenset[str] = frozenset()
    wants: frozenset[str] = frozenset()
    offers: frozenset[str] = frozenset()
    meeting_mode: str = "either"
    working_days: frozenset[int] = frozenset()
    avoid_own_team: bool = False
    avoid_own_line: bool = False
    free_places: int = 0  # mentors: what they gave, within the programme's limit, minus pairs


@dataclass(frozen=True)
class Blocked:
    """Pairs that may never be suggested again: (actor id, mentor id)."""

    declined: frozenset[tuple[int, int]] = frozenset()
    ended_early: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Weights:
    values: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @classmethod
    def of(cls, stored: Mapping[str, object] | None) -> Weights:
        """The programme's weights over the defaults; unknown names and bad values ignored."""
        values = dict(DEFAULT_WEIGHTS)
        for name, value in (stored or {}).items():
            if name in values and isinstance(value, int | float) and 0 <= value <= WEIGHT_MAX:
                values[name] = float(value)
        return cls(values)

    def __getitem__(self, name: str) -> float:
        return self.values[name]


@dataclass(frozen=True)
class Pair:
    actor: Participant
    mentor: Participant
    score: float
    parts: dict[str, float]


@dataclass(frozen=True)
class Unmatched:
    actor: Participant
    rule: Rule
    languages: frozenset[str] = frozenset()  # for "no mentor shares Swedish"


@dataclass(frozen=True)
class Suggestion:
    pairs: list[Pair]
    unmatched: list[Unmatched]

    @property
    def total(self) -> float:
        return sum(p.score for p in self.pairs)
