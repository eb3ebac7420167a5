"""The data model of Mentorbot (see design.md, "Data")."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GOAL_TITLE_MAX = 200
GOAL_SUCCESS_MAX = 1000
LONG_TEXT_MAX = 4000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Phase(enum.StrEnum):
    START = "start"
    DEVELOPMENT = "development"
    CLOSING = "closing"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ACTIVE_PHASES = (Phase.START, Phase.DEVELOPMENT, Phase.CLOSING)
PHASE_ORDER = {p: i for i, p in enumerate(Phase)}


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    MISSED = "missed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class GoalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    ACHIEVED = "achieved"
    PARTLY = "partly"
    NOT_ACHIEVED = "not_achieved"
    DROPPED = "dropped"


class EvaluationKind(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class Continuation(enum.StrEnum):
    CONTINUE_INFORMALLY = "continue_informally"
    NEW_GOALS = "new_goals"
    NEW_MENTOR = "new_mentor"
    CLOSE = "close"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"
    WAITING = "waiting"
    """The recipient cannot be reached yet (see ``SendError.unreachable``): not retried until
    they install the app or write; then it goes first, in its original order."""


def _str_enum(length: int = 20) -> String:
    return String(length)


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    is_hr: Mapped[bool] = mapped_column(Boolean, default=False)
    employment_start: Mapped[date | None] = mapped_column(Date)
    returning_from_leave: Mapped[date | None] = mapped_column(Date)
    onboarded_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    supervisor: Mapped[Person | None] = relationship(remote_side=[id])
    identities: Mapped[list[PlatformIdentity]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PlatformIdentity(Base):
    __tablename__ = "platform_identity"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(254))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_seen_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="identities")


class Programme(Base):
    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    goals: Mapped[str] = mapped_column(Text, default="")
    duration_months: Mapped[int] = mapped_column(Integer, default=6)
    meeting_interval_days: Mapped[int] = mapped_column(Integer, default=14)
    booking_horizon_months: Mapped[int | None] = mapped_column(Integer)
    max_actors_per_mentor: Mapped[int] = mapped_column(Integer, default=2)
    holiday_country: Mapped[str] = mapped_column(String(8), default="FI")
    created_at: Mapped[datetime]


class Mentorship(Base):
    __tablename__ = "mentorship"
    __table_args__ = (
        Index(
            "uq_mentorship_active_actor",
            "programme_id",
            "actor_id",
            unique=True,
            sqlite_where=text("phase IN ('start', 'development', 'closing')"),
            postgresql_where=text("phase IN ('start', 'development', 'closing')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    phase: Mapped[str] = mapped_column(_str_enum(), default=Phase.START)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    planned_end: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))

    programme: Mapped[Programme] = relationship()
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    actor: Mapped[Person] = relationship(foreign_keys=[actor_id])
    agreement: Mapped[Agreement] = relationship(
        back_populates="mentorship", uselist=False, cascade="all, delete-orphan"
    )
    goals: Mapped[list[Goal]] = relationship(
        back_populates="mentorship", order_by="Goal.position", cascade="all, delete-orphan"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="mentorship", order_by="Meeting.seq", cascade="all, delete-orphan"
    )


class Agreement(Base):
    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), unique=True
    )
    duration_months: Mapped[int] = mapped_column(Integer)
    meeting_interval_days: Mapped[int] = mapped_column(Integer, default=14)
    cancellation_notice_days: Mapped[int] = mapped_column(Integer, default=14)
    share_goals_with_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    mentor_comment: Mapped[str | None] = mapped_column(Text)
    terms_set: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    actor_accepted_at: Mapped[datetime | None]
    mentor_accepted_at: Mapped[datetime | None]
    supervisor_goals_discussed_at: Mapped[datetime | None]
    supervisor_time_arranged_at: Mapped[datetime | None]

    mentorship: Mapped[Mentorship] = relationship(back_populates="agreement")


class Goal(Base):
    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(GOAL_TITLE_MAX))
    success: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(_str_enum(), default=GoalStatus.PROPOSED)
    created_at: Mapped[datetime]

    mentorship: Mapped[Mentorship] = relationship(back_populates="goals")


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("mentorship_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(_str_enum(), default=MeetingStatus.PLANNED)
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    rescheduled_at: Mapped[datetime | None]

    mentorship: Mapped[Mentorship] = relationship(back_populates="meetings")


class Task(Base):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(_str_enum(), default=TaskStatus.OPEN)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class CheckIn(Base):
    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    held: Mapped[bool] = mapped_column(Boolean)
    usefulness: Mapped[int | None] = mapped_column(Integer)
    rapport: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    note_shared_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Reflection(Base):
    __tablename__ = "reflection"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    prompt_key: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    shared_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Evaluation(Base):
    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("mentorship_id", "person_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(_str_enum())
    goal_ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    relationship_rating: Mapped[int | None] = mapped_column(Integer)
    cadence: Mapped[str | None] = mapped_column(String(20))
    goals_realistic: Mapped[str | None] = mapped_column(String(20))
    final_discussion_held: Mapped[bool | None] = mapped_column(Boolean)
    continuation: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class DialogueState(Base):
    """A person's open form or step, so a restart in the middle of a dialogue loses nothing."""

    __tablename__ = "dialogue_state"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class Channel(Base):
    """A shared channel the bot was added to (Slack channel, Teams team channel), where HR
    can post announcements. ``address`` is what the platform's sender needs to post there."""

    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("platform", "platform_channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_channel_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class Outbox(Base):
    """One proactive message, to a person or (announcements only) to a channel."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at"),
        CheckConstraint("(person_id IS NULL) <> (channel_id IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(_str_enum(), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(20))
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class SendBudget(Base):
    """A platform's send budget (per channel, or ``platform:*`` for the whole workspace/app),
    shared by every delivery worker: the theoretical moment of its next send, in seconds since
    the epoch on the database's clock (see ``bot.ratelimit``)."""

    __tablename__ = "send_budget"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)


class ProcessedEvent(Base):
    __tablename__ = "processed_event"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    subject_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CalendarFeed(Base):
    """A person's secret, revocable calendar feed URL (``GET /calendar/{token}.ics``)."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the secret
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AlertSeverity(enum.StrEnum):
    SEVERE = "severe"  # told to HR at once
    DIGEST = "digest"  # listed in the weekly HR digest


class Alert(Base):
    """An early-warning signal about a pair or a mentor, for HR: the signal, never content."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    signal: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(_str_enum())
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


# Tables kept in their own modules register on the same metadata (migrations, schema checks)
from storage import hr_queue as _hr_queue  # noqa: E402,F401
