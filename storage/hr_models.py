"""HR's tables: early-warning alerts, announcements, mentor workshops and their places, the
invitations to join mentoring and HR's follow-up queue (see design.md, "Data"). Imported by
``storage.models``; the queue's queries live in ``storage.hr_queue``, so loading the tables
builds none of them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.model_base import Base, str_enum


class AlertSeverity(enum.StrEnum):
    SEVERE = "severe"  # told to HR at once
    DIGEST = "digest"  # listed in the weekly HR digest


class Alert(Base):
    """An early-warning signal about a pair or a mentor, for HR: the signal, never content."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    signal: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(str_enum())
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(254))


class Announcement(Base):
    """A message HR wrote to an audience; delivered through the outbox (one row per person)."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class Workshop(Base):
    """A mentor workshop HR organises: time, place or link, capacity."""

    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class WorkshopSignup(Base):
    __tablename__ = "workshop_signup"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    signed_up_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class Invitation(Base):
    """The one invitation to join mentoring sent to an eligible person (new or returning)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    invited_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None]


class QueueKind(enum.StrEnum):
    CONTINUATION = "continuation"  # detail: new_goals, new_mentor or differ
    MEETING_DISPUTE = "meeting_dispute"
    SILENT = "silent"
    SUPPORT = "support"  # detail: workshop or buddy
    UNPAIRED = "unpaired"


class HrQueueItem(Base):
    """One follow-up for HR. ``key`` makes opening idempotent (a second sweep opens nothing)."""

    __tablename__ = "hr_queue_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(30))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by: Mapped[str | None] = mapped_column(String(254))
    close_note: Mapped[str | None] = mapped_column(String(300))
