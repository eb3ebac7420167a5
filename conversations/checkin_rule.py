"""Who decides whether a meeting happened, when the two check-ins disagree.

The rule (``docs/nudges.md``, "Check-ins that disagree"): one "held" from either party counts,
so the meeting is held as soon as one of them says so. When the other says it did not happen,
the meeting is *disputed*: both are told what each recorded and asked to check, and each may
correct their own check-in for ``CORRECTION_WINDOW`` after the disagreement arose. The dispute
is settled as soon as the two answers agree; one still open when the window has run out is
*unresolved* — ``unresolved_disputes`` lists those, for HR's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from storage.models import CheckIn, Meeting, MeetingStatus, Mentorship, Phase
from storage.rows import read_rows

CORRECTION_WINDOW = timedelta(days=7)
"""How long an author may correct a check-in: a week after it was written, or after the
partner's check-in disagreed with it, whichever is later."""


def status_from(answers: list[bool], current: str) -> str:
    """The meeting's status from the check-ins' answers: one "held" counts; missed only when
    every answer so far says it did not happen."""
    if any(answers):
        return MeetingStatus.HELD.value
    if answers and current in (MeetingStatus.PLANNED.value, MeetingStatus.HELD.value):
        return MeetingStatus.MISSED.value
    return current


def apply(session: Session, meeting: Meeting) -> None:
    """Set the meeting's status from all its check-ins (after one was written or corrected)."""
    answers = list(session.scalars(select(CheckIn.held).where(CheckIn.meeting_id == meeting.id)))
    meeting.status = status_from(answers, str(meeting.status))


def conflict_since(session: Session, meeting_id: int) -> datetime | None:
    """When the two check-ins of a meeting started to disagree (the later one's time), or
    None when they agree or only one exists."""
    rows = session.execute(
        select(CheckIn.held, CheckIn.created_at).where(CheckIn.meeting_id == meeting_id)
    ).all()
    if len(rows) < 2 or len({held for held, _ in rows}) < 2:
        return None
    return max(created for _, created in rows)


def correctable_until(session: Session, checkin: CheckIn) -> datetime:
    """The end of the author's correction window for ``checkin``."""
    since = conflict_since(session, checkin.meeting_id) or checkin.created_at
    return max(checkin.created_at, since) + CORRECTION_WINDOW


@dataclass(frozen=True, slots=True)
class Dispute:
    """A meeting whose two check-ins disagree: operational facts only, never the answers'
    ratings or notes (who said what stays between the two)."""

    meeting_id: int
    mentorship_id: int
    programme_id: int
    seq: int
    asked_at: datetime  # when both were told and asked to check
    correctable_until: datetime  # after this nobody can correct: still open means unresolved


_mine, _theirs = aliased(CheckIn), aliased(CheckIn)
_DISPUTES = (
    select(
        Meeting.id,
        Meeting.mentorship_id,
        Mentorship.programme_id,
        Meeting.seq,
        _mine.created_at,
        _theirs.created_at,
    )
    .join(_mine, _mine.meeting_id == Meeting.id)
    .join(
        _theirs,
        and_(
            _theirs.meeting_id == Meeting.id,
            _theirs.person_id != _mine.person_id,
            _theirs.held.is_(False),
        ),
    )
    .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
    .where(
        _mine.held.is_(True),
        Mentorship.phase.in_((Phase.DEVELOPMENT.value, Phase.CLOSING.value)),
    )
    .order_by(Meeting.mentorship_id, Meeting.seq)
)


def open_disputes(session: Session) -> list[Dispute]:
    """Every meeting of a relationship in progress whose check-ins disagree now."""
    out = []
    for mid, mentorship_id, programme_id, seq, held_at, not_held_at in read_rows(
        session, _DISPUTES
    ):
        asked = max(_aware(held_at), _aware(not_held_at))
        out.append(Dispute(mid, mentorship_id, programme_id, seq, asked, asked + CORRECTION_WINDOW))
    return out


def unresolved_disputes(session: Session, now: datetime) -> list[Dispute]:
    """Disputes still open after both were asked and the correction week ran out: the ones a
    person (HR) has to look at."""
    return [d for d in open_disputes(session) if d.correctable_until <= now]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
