"""Opening matching for a programme and saving profiles: the chat and the CLI do it alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from conversations.matching.model import DEFAULT_WEIGHTS, WEIGHT_MAX
from conversations.matching.profile import ProfileValues, split_words
from storage.audit import audit
from storage.matching import MatchingRound, MatchMode, MatchProfile, matching_round, profile_of
from storage.models import Person, Programme


class MatchingError(ValueError):
    """A request matching refuses; the message says why (English, for the CLI)."""


def parse_weights(items: list[str]) -> dict[str, float]:
    """``topics=3`` items → weights; names and ranges are checked."""
    out: dict[str, float] = {}
    for item in items:
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise MatchingError(f"unknown weight '{name}' (known: {known})")
        try:
            number = float(value)
        except ValueError:
            raise MatchingError(f"weight {name} needs a number, like {name}=2") from None
        if not 0 <= number <= WEIGHT_MAX:
            raise MatchingError(f"weight {name} must be between 0 and {WEIGHT_MAX:g}")
        out[name] = number
    return out


def open_matching(
    session: Session,
    now: datetime,
    by: str,
    programme: Programme,
    *,
    mode: str | None = None,
    topics: str | None = None,
    weights: dict[str, float] | None = None,
    opened_by: Person | None = None,
) -> MatchingRound:
    """Open (or change) matching of a programme; what is not given stays as it was."""
    if mode is not None and mode not in tuple(MatchMode):
        raise MatchingError(f"mode '{mode}' is not one of {', '.join(MatchMode)}")
    found = matching_round(session, programme.id)
    if found is None:
        found = MatchingRound(
            programme_id=programme.id,
            mode=MatchMode.HR,
            topics=[],
            weights={},
            opened_at=now,
            opened_by_id=opened_by.id if opened_by else None,
        )
        session.add(found)
    found.closed_at = None
    if mode is not None:
        found.mode = mode
    if topics is not None:
        found.topics = split_words(topics)
    if weights:
        found.weights = {**found.weights, **weights}
    session.flush()
    audit(
        session,
        now,
        by,
        "matching.open",
        programme=programme.name,
        mode=found.mode,
        weights=found.weights,
    )
    return found


def save_profile(
    session: Session, now: datetime, programme: Programme, person: Person, values: ProfileValues
) -> tuple[MatchProfile, bool]:
    """Create or replace a person's profile in a programme; (profile, created)."""
    profile = profile_of(session, programme.id, person.id)
    created = profile is None
    if profile is None:
        profile = MatchProfile(programme_id=programme.id, person_id=person.id, updated_at=now)
        session.add(profile)
    profile.role = values.role
    profile.wants = values.wants
    profile.offers = values.offers
    profile.languages = values.languages
    profile.meeting_mode = values.meeting_mode
    profile.working_days = values.working_days
    profile.capacity = values.capacity
    profile.avoid_own_team = values.avoid_own_team
    profile.avoid_own_line = values.avoid_own_line
    profile.updated_at = now
    session.flush()
    return profile, created
