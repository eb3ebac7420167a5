"""The data model of Mentorbot (see design.md, "Data")."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.model_base import NAMING, Base, str_enum

GOAL_TITLE_MAX = 200
GOAL_SUCCESS_MAX = 1000
LONG_TEXT_MAX = 4000


class Phase(enum.StrEnum):
    START = "start"
    DEVELOPMENT = "development"
    CLOSING = "closing"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ACTIVE_PHASES = (Phase.START, Phase.DEVELOPMENT, Phase.CLOSING)
"""A pair under way, from its start to its close; the sweep's ``MEETING_PHASES`` (development
and closing) are the pairs that meet, a narrower set with its own name."""
DEFAULT_HOLIDAY_COUNTRY = "FI"
"""Whose public holidays count when a programme does not say (``holidays`` country code)."""
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
    holiday_country: Mapped[str] = mapped_column(String(8), default=DEFAULT_HOLIDAY_COUNTRY)
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
    phase: Mapped[str] = mapped_column(str_enum(), default=Phase.START)
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
    status: Mapped[str] = mapped_column(str_enum(), default=GoalStatus.PROPOSED)
    created_at: Mapped[datetime]

    mentorship: Mapped[Mentorship] = relationship(back_populates="goals")


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("mentorship_id", "seq"),
        # The sweep reads the meetings in its window a chunk of pairs at a time: with the pair
        # in the index, each chunk's read of the window needs no lookup of the rows outside it.
        Index("ix_meeting_scheduled_at_mentorship_id", "scheduled_at", "mentorship_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    scheduled_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(str_enum(), default=MeetingStatus.PLANNED)
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
    status: Mapped[str] = mapped_column(str_enum(), default=TaskStatus.OPEN)
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
    kind: Mapped[str] = mapped_column(str_enum())
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
    status: Mapped[str] = mapped_column(str_enum(), default=OutboxStatus.PENDING)
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


# HR's tables live in their own module; imported here so that every table is in
# ``Base.metadata`` and ``from storage.models import Alert`` keeps working.
# The matching tables live in their own module on the same Base; importing it registers them
# wherever the model is loaded (migrations, create_all, the schema comparison).
from storage import matching as _matching  # noqa: E402, F401
from storage.hr_models import (  # noqa: E402
    Alert,
    AlertSeverity,
    Announcement,
    HrQueueItem,
    Invitation,
    QueueKind,
    Workshop,
    WorkshopSignup,
)

__all__ = [
    "ACTIVE_PHASES",
    "DEFAULT_HOLIDAY_COUNTRY",
    "GOAL_SUCCESS_MAX",
    "GOAL_TITLE_MAX",
    "LONG_TEXT_MAX",
    "NAMING",
    "PHASE_ORDER",
    "Agreement",
    "Alert",
    "AlertSeverity",
    "Announcement",
    "AuditLog",
    "Base",
    "CalendarFeed",
    "Channel",
    "CheckIn",
    "Continuation",
    "DialogueState",
    "Evaluation",
    "EvaluationKind",
    "Goal",
    "GoalStatus",
    "HrQueueItem",
    "Invitation",
    "Meeting",
    "MeetingStatus",
    "Mentorship",
    "Outbox",
    "OutboxStatus",
    "Person",
    "Phase",
    "PlatformIdentity",
    "ProcessedEvent",
    "Programme",
    "QueueKind",
    "Reflection",
    "SendBudget",
    "Task",
    "TaskStatus",
    "Workshop",
    "WorkshopSignup",
]
