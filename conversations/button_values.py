"""Typed button and form values: what a button carries, encoded in one place and decoded with
validation.

A value comes back from the platform as a string the person's client could have changed, or
from a message sent before things moved on. ``decode`` turns it into a typed value or raises
``BadValue``; ``Turn``-side code turns that into the friendly "that button is no longer valid"
refusal (``read``). The wire formats are the ones buttons already sent carry, so a button in
an old message still decodes.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_type_hints
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from conversations.turn import Turn

T = TypeVar("T")

_ID = re.compile(r"[1-9][0-9]{0,17}")
_WORD = re.compile(r"[a-z][a-z0-9_.]{0,63}")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


class BadValue(ValueError):
    """A value that is not one this bot made: forged, truncated or of an older format."""


def _parse(kind: Any, raw: str) -> object:
    if kind is int:
        if not _ID.fullmatch(raw):
            raise BadValue(f"not an id: {raw!r}")
        return int(raw)
    if kind is str:
        if not _WORD.fullmatch(raw):
            raise BadValue(f"not a word: {raw!r}")
        return raw
    if kind is datetime:
        try:
            when = datetime.fromisoformat(raw)
        except ValueError as e:
            raise BadValue(f"not a moment: {raw!r}") from e
        if when.tzinfo is None:
            raise BadValue(f"a moment without its offset: {raw!r}")
        return when
    if kind is ZoneInfo:
        if not _ZONE.fullmatch(raw) or len(raw) > 64:
            raise BadValue(f"not a time zone: {raw!r}")
        try:
            return ZoneInfo(raw)
        except (ValueError, KeyError) as e:  # ZoneInfoNotFoundError is a KeyError
            raise BadValue(f"not a time zone: {raw!r}") from e
    raise TypeError(f"no codec for {kind!r}")


def _dump(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ZoneInfo):
        return value.key
    return str(value)


class Codec(Generic[T]):
    """Encodes a frozen dataclass of ``int`` ids, ``str`` words, aware ``datetime`` and
    ``ZoneInfo`` fields as ``sep``-joined text, and decodes it back with validation."""

    def __init__(self, cls: type[T], sep: str = ":") -> None:
        self.cls = cls
        self.sep = sep
        hints = get_type_hints(cls)
        self.fields = [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

    def encode(self, value: T) -> str:
        return self.sep.join(_dump(getattr(value, name)) for name, _ in self.fields)

    def decode(self, raw: str) -> T:
        parts = raw.split(self.sep)
        if len(parts) != len(self.fields) or len(raw) > 200:
            raise BadValue(f"{len(parts)} parts where {len(self.fields)} were expected")
        values = {
            name: _parse(kind, part) for (name, kind), part in zip(self.fields, parts, strict=True)
        }
        return self.cls(**values)

    def read(self, turn: Turn, raw: str) -> T:
        """The decoded value, or the "no longer valid" refusal (nothing changed)."""
        try:
            return self.decode(raw)
        except BadValue:
            turn.refuse(turn.tx.t("common.stale_button"))
            raise  # unreachable: refuse raises


@dataclasses.dataclass(frozen=True)
class CommandFor:
    """A "which mentorship?" button: run ``command`` about the given mentorship."""

    command: str
    mentorship_id: int


@dataclasses.dataclass(frozen=True)
class AgreementRevision:
    """Accept the agreement as it read at ``revision`` (a later edit makes it stale)."""

    mentorship_id: int
    revision: int


@dataclasses.dataclass(frozen=True)
class BuddyIntroduction:
    newbie_id: int
    buddy_id: int


@dataclasses.dataclass(frozen=True)
class ReflectionPrompt:
    """The reflection form: which mentorship, and which prompt the person answers."""

    mentorship_id: int
    prompt_key: str


@dataclasses.dataclass(frozen=True)
class SeriesProposal:
    """Book the proposed series: its first meeting, in the zone it was proposed in."""

    mentorship_id: int
    first: datetime
    zone: ZoneInfo


@dataclasses.dataclass(frozen=True)
class ProposalAnswer:
    """A proposed person's private answer to a matching proposal: ``yes`` or ``no``."""

    proposal_id: int
    answer: str


@dataclasses.dataclass(frozen=True)
class MentorChoice:
    """Self-matching: the actor asks this mentor of their top three in the programme."""

    programme_id: int
    mentor_id: int


COMMAND_FOR = Codec(CommandFor)
AGREEMENT_REVISION = Codec(AgreementRevision)
BUDDY_INTRODUCTION = Codec(BuddyIntroduction)
REFLECTION_PROMPT = Codec(ReflectionPrompt)
PROPOSAL_ANSWER = Codec(ProposalAnswer)
MENTOR_CHOICE = Codec(MentorChoice)
# "|": an ISO moment has colons of its own
SERIES_PROPOSAL = Codec(SeriesProposal, sep="|")
