"""The rules for people, programmes and pairs, written once.

The chat, the CLI (``bot.admin``) and the CSV import (``bot.hr_import``) each read input their
own way and word their own answers, but they ask these models and ``check_pair`` whether it
is allowed: each gets back ``Problem``s (a field and a ``Reason``) and maps the reasons to its
own messages. A rule changed here changes for every door at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from conversations import rules

DEFAULT_TIMEZONE = "Europe/Helsinki"
NAME_MAX = 200
GOALS_MAX = 4000
MAX_ACTORS_LIMIT = 10


class Reason(StrEnum):
    """Why input is refused; each door has its own words for each."""

    BAD_EMAIL = "bad_email"
    BAD_NAME = "bad_name"
    BAD_LOCALE = "bad_locale"
    BAD_TIMEZONE = "bad_timezone"
    BAD_DATE = "bad_date"
    OWN_SUPERVISOR = "own_supervisor"
    BAD_GOALS = "bad_goals"
    BAD_DURATION = "bad_duration"
    BAD_INTERVAL = "bad_interval"
    BAD_HORIZON = "bad_horizon"
    BAD_MAX_ACTORS = "bad_max_actors"
    SELF_PAIR = "self_pair"
    SAME_MENTOR = "same_mentor"
    MENTOR_SUPERVISES_ACTOR = "mentor_supervises_actor"
    ALREADY_PAIRED = "already_paired"
    BAD_PROGRAMME = "bad_programme"


# The programme's numeric limits, for the models and for the words that quote them.
LIMITS: dict[str, tuple[int, int]] = {
    "duration_months": (rules.MIN_DURATION_MONTHS, rules.MAX_DURATION_MONTHS),
    "meeting_interval_days": (rules.MIN_INTERVAL_DAYS, rules.MAX_INTERVAL_DAYS),
    "booking_horizon_months": (rules.MIN_HORIZON_MONTHS, rules.MAX_HORIZON_MONTHS),
    "max_actors_per_mentor": (1, MAX_ACTORS_LIMIT),
}

_FIELD_REASONS = {
    "email": Reason.BAD_EMAIL,
    "supervisor_email": Reason.BAD_EMAIL,
    "mentor_email": Reason.BAD_EMAIL,
    "actor_email": Reason.BAD_EMAIL,
    "name": Reason.BAD_NAME,
    "locale": Reason.BAD_LOCALE,
    "timezone": Reason.BAD_TIMEZONE,
    "employment_start": Reason.BAD_DATE,
    "returning_from_leave": Reason.BAD_DATE,
    "goals": Reason.BAD_GOALS,
    "duration_months": Reason.BAD_DURATION,
    "meeting_interval_days": Reason.BAD_INTERVAL,
    "booking_horizon_months": Reason.BAD_HORIZON,
    "max_actors_per_mentor": Reason.BAD_MAX_ACTORS,
    "programme": Reason.BAD_PROGRAMME,
}
_REASON_TYPES = frozenset(r.value for r in Reason)


@dataclass(frozen=True)
class Problem:
    """One reason input was refused, and the field it is about ("" for the whole)."""

    field: str
    reason: Reason


class Invalid(ValueError):
    """Input that breaks the rules; ``problems`` lists every reason, in field order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems

    def reasons(self) -> list[Reason]:
        return [p.reason for p in self.problems]


# Built on first use, like the models below: building imports email_validator, which costs
# a command that validates nothing (a listing) a noticeable part of its start.
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr, config=ConfigDict(defer_build=True))


def is_email(value: str) -> bool:
    """The email check of ``PersonIn``, for a door that has an address but no person to add."""
    try:
        _EMAIL.validate_python(value)
    except ValidationError:
        return False
    return True


def _lower_email(value: str | None) -> str | None:
    return value.lower() if value else value


class PersonIn(BaseModel):
    """A person as HR adds them: the CLI's ``person add`` and a people.csv row."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True, defer_build=True)

    email: EmailStr
    name: str = Field(min_length=1, max_length=NAME_MAX)
    locale: Literal["en", "fi"] = "en"
    timezone: str = DEFAULT_TIMEZONE
    supervisor_email: EmailStr | None = None
    employment_start: date | None = None
    returning_from_leave: date | None = None
    is_hr: bool = False

    @field_validator("email", "supervisor_email", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None

    @field_validator("email", "supervisor_email", mode="after")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return _lower_email(value)

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> Any:
        return (value or "en").lower() if isinstance(value, str) or value is None else value

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> Any:
        value = value or DEFAULT_TIMEZONE
        if not isinstance(value, str) or not rules.is_timezone(value):
            raise ValueError("unknown timezone")
        return value

    @field_validator("employment_start", "returning_from_leave", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return date.fromisoformat(value)  # a ValueError is a BAD_DATE
        return value

    @model_validator(mode="after")
    def _not_own_supervisor(self) -> PersonIn:
        if self.supervisor_email and self.supervisor_email == self.email:
            raise PydanticCustomError(Reason.OWN_SUPERVISOR.value, "own supervisor")
        return self


class ProgrammeIn(BaseModel):
    """A programme's frame as HR creates it, in chat or on the CLI."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True, defer_build=True)

    name: str = Field(min_length=1, max_length=NAME_MAX)
    goals: str = Field(default="", max_length=GOALS_MAX)
    duration_months: int = Field(
        default=rules.DEFAULT_DURATION_MONTHS,
        ge=LIMITS["duration_months"][0],
        le=LIMITS["duration_months"][1],
    )
    meeting_interval_days: int = Field(
        default=rules.DEFAULT_INTERVAL_DAYS,
        ge=LIMITS["meeting_interval_days"][0],
        le=LIMITS["meeting_interval_days"][1],
    )
    booking_horizon_months: int | None = Field(
        default=None,
        ge=LIMITS["booking_horizon_months"][0],
        le=LIMITS["booking_horizon_months"][1],
    )
    max_actors_per_mentor: int = Field(
        default=2, ge=LIMITS["max_actors_per_mentor"][0], le=LIMITS["max_actors_per_mentor"][1]
    )

    @field_validator(
        "duration_months",
        "meeting_interval_days",
        "booking_horizon_months",
        "max_actors_per_mentor",
        mode="before",
    )
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        """Typed text: digits only ("6", not "6.0" or "six"); empty is 'not given'."""
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
            if not value.isdigit():
                raise ValueError("not a whole number")
            return int(value)
        return value


class PairIn(BaseModel):
    """A pair as named at a door: the programme and two people's emails (pairs.csv, CLI)."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True, defer_build=True)

    programme: str = Field(min_length=1, max_length=NAME_MAX)
    mentor_email: EmailStr
    actor_email: EmailStr

    @field_validator("mentor_email", "actor_email", mode="after")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: dict[str, Any]) -> M:
    """``model`` from ``data``, or ``Invalid`` with every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid(_problems(err)) from None


def _problems(err: ValidationError) -> list[Problem]:
    found: list[Problem] = []
    for e in err.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        if e["type"] in _REASON_TYPES:
            reason = Reason(e["type"])
        elif field in _FIELD_REASONS:
            reason = _FIELD_REASONS[field]
        else:  # a field no door sends: a programming error, not a person's
            raise err
        problem = Problem(field, reason)
        if problem not in found:
            found.append(problem)
    return found


@dataclass(frozen=True)
class PairFacts:
    """What ``check_pair`` needs to know, however the door looked it up (one row at a time or
    a whole file at once)."""

    mentor_id: int
    actor_id: int
    actor_supervisor_id: int | None
    current_mentor_id: int | None = None
    """The mentor of the actor's active pair in the programme, if they have one."""
    replacing_mentor_id: int | None = None
    """When re-pairing: the mentor of the pair being replaced (it ends as this one starts)."""


def check_pair(facts: PairFacts) -> list[Reason]:
    """Why this pair may not be made; empty when it may. A supervisor as the mentor of their
    own report is refused: mentoring stays apart from line management."""
    reasons: list[Reason] = []
    if facts.mentor_id == facts.actor_id:
        reasons.append(Reason.SELF_PAIR)
    elif facts.replacing_mentor_id is not None and facts.mentor_id == facts.replacing_mentor_id:
        reasons.append(Reason.SAME_MENTOR)
    if facts.actor_supervisor_id is not None and facts.actor_supervisor_id == facts.mentor_id:
        reasons.append(Reason.MENTOR_SUPERVISES_ACTOR)
    if facts.current_mentor_id is not None and facts.replacing_mentor_id is None:
        reasons.append(Reason.ALREADY_PAIRED)
    return reasons
