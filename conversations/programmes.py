"""Programme-wide settings that messages outside any one pair need: the holiday country."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import DEFAULT_HOLIDAY_COUNTRY, Programme


def holiday_country(session: Session, programme_id: int | None = None) -> str:
    """Whose public holidays move a message to the next working day: the programme's own;
    for messages to the whole organisation (HR's digest and alerts, workshops, invitations,
    announcements to every programme) the country most programmes use."""
    if programme_id is not None:
        own = session.scalar(select(Programme.holiday_country).where(Programme.id == programme_id))
        if own:
            return own
    most = session.execute(
        select(Programme.holiday_country)
        .group_by(Programme.holiday_country)
        .order_by(func.count().desc(), Programme.holiday_country)
        .limit(1)
    ).scalar()
    return most or DEFAULT_HOLIDAY_COUNTRY
