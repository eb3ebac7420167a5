"""A matching profile's values, read the same way from the chat form and from a CSV file.

Problems come back as (field, text key, parameters), so chat says them in the person's
language and the CSV import in English, from the same templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from storage.matching import CAPACITY_MAX, CAPACITY_MIN, MatchRole, MeetingMode

DAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "ma": 0, "ti": 1, "ke": 2, "to": 3, "pe": 4, "la": 5, "su": 6,
}  # fmt: skip
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEPARATORS = re.compile(r"[|,;/]+|\s+and\s+|\s+ja\s+")
TOPIC_MAX = 60
TOPICS_MAX = 12
MODE_WORDS = {
    "in_person": MeetingMode.IN_PERSON,
    "in person": MeetingMode.IN_PERSON,
    "kasvokkain": MeetingMode.IN_PERSON,
    "remote": MeetingMode.REMOTE,
    "etänä": MeetingMode.REMOTE,
    "either": MeetingMode.EITHER,
    "any": MeetingMode.EITHER,
    "kumpi vain": MeetingMode.EITHER,
    "": MeetingMode.EITHER,
}
AVOID_WORDS = {"team": "team", "tiimi": "team", "line": "line", "linja": "line"}

Problem = tuple[str, str, dict[str, Any]]


@cache
def language_codes() -> frozenset[str]:
    """Two-letter language codes Babel can name (``fi``, ``sv``, ``en`` …)."""
    from babel import Locale

    return frozenset(str(code) for code in Locale("en").languages if len(str(code)) == 2)


def split_words(value: str) -> list[str]:
    """``leadership, planning | sales`` → the words, lower case, in order, once each."""
    seen: list[str] = []
    for word in SEPARATORS.split(value.strip().lower()):
        word = " ".join(word.split())
        if word and word not in seen:
            seen.append(word)
    return seen


@dataclass
class ProfileValues:
    role: str = MatchRole.ACTOR
    wants: list[str] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    meeting_mode: str = MeetingMode.EITHER
    working_days: list[int] = field(default_factory=list)
    capacity: int | None = None
    avoid_own_team: bool = False
    avoid_own_line: bool = False


def _topics(value: str, name: str, problems: list[Problem]) -> list[str]:
    words = split_words(value)
    long = [w for w in words if len(w) > TOPIC_MAX]
    if long:
        problems.append((name, "err_topic_long", {"n": TOPIC_MAX}))
    if len(words) > TOPICS_MAX:
        problems.append((name, "err_topics_many", {"n": TOPICS_MAX}))
    return words[:TOPICS_MAX]


def read_profile(fields: dict[str, str]) -> tuple[ProfileValues, list[Problem]]:
    """Profile values from text fields: role, wants, offers, languages, meeting_mode,
    working_days, capacity, avoid. Nothing is guessed: every bad value is a problem."""
    problems: list[Problem] = []
    values = ProfileValues()
    role = (fields.get("role") or "").strip().lower()
    if role in ("actor", "mentee", "aktori"):
        values.role = MatchRole.ACTOR
    elif role in ("mentor", "mentori"):
        values.role = MatchRole.MENTOR
    else:
        problems.append(("role", "err_role", {"value": role}))
    values.wants = _topics(fields.get("wants") or "", "wants", problems)
    values.offers = _topics(fields.get("offers") or "", "offers", problems)
    if values.role == MatchRole.ACTOR and not values.wants:
        problems.append(("wants", "err_wants_missing", {}))
    if values.role == MatchRole.MENTOR and not values.offers:
        problems.append(("offers", "err_offers_missing", {}))
    languages = split_words(fields.get("languages") or "")
    unknown = [code for code in languages if code not in language_codes()]
    if not languages:
        problems.append(("languages", "err_languages_missing", {}))
    elif unknown:
        problems.append(("languages", "err_languages", {"value": ", ".join(unknown)}))
    values.languages = [code for code in languages if code in language_codes()]
    mode = " ".join((fields.get("meeting_mode") or "").strip().lower().replace("-", " ").split())
    if mode in MODE_WORDS:
        values.meeting_mode = MODE_WORDS[mode]
    else:
        problems.append(("meeting_mode", "err_mode", {"value": mode}))
    days = split_words(fields.get("working_days") or "")
    bad_days = [d for d in days if d[:3] not in DAYS and d[:2] not in DAYS]
    if bad_days:
        problems.append(("working_days", "err_days", {"value": ", ".join(bad_days)}))
    values.working_days = sorted(
        {DAYS[d[:3]] if d[:3] in DAYS else DAYS[d[:2]] for d in days if d not in bad_days}
    )
    capacity = (fields.get("capacity") or "").strip()
    if values.role == MatchRole.MENTOR:
        if not capacity:
            values.capacity = CAPACITY_MIN
        elif capacity.isdigit() and CAPACITY_MIN <= int(capacity) <= CAPACITY_MAX:
            values.capacity = int(capacity)
        else:
            problems.append(
                ("capacity", "err_capacity", {"low": CAPACITY_MIN, "high": CAPACITY_MAX})
            )
    avoid = split_words(fields.get("avoid") or "")
    bad_avoid = [a for a in avoid if a not in AVOID_WORDS and a not in ("no", "ei", "none")]
    if bad_avoid:
        problems.append(("avoid", "err_avoid", {"value": ", ".join(bad_avoid)}))
    chosen = {AVOID_WORDS[a] for a in avoid if a in AVOID_WORDS}
    values.avoid_own_team = "team" in chosen
    values.avoid_own_line = "line" in chosen
    return values, problems
