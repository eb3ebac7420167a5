"""HR: early-warning alerts, announcements, mentor workshops, invitations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=True),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["person.id"],
            name=op.f("fk_alert_mentor_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorship.id"],
            name=op.f("fk_alert_mentorship_id_mentorship"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_alert_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("key", name=op.f("uq_alert_key")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_mentorship_id"), ["mentorship_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_programme_id"), ["programme_id"], unique=False)


    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_announcement_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_announcement_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
    )
    op.create_table(
        "workshop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_workshop_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop")),
    )
    op.create_table(
        "workshop_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("signed_up_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_workshop_signup_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_workshop_signup_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_signup")),
        sa.UniqueConstraint("workshop_id", "person_id", name=op.f("uq_workshop_signup_workshop_id")),
    )
    with op.batch_alter_table("workshop_signup", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_signup_workshop_id"), ["workshop_id"], unique=False
        )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("invited_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_invitation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("person_id", name=op.f("uq_invitation_person_id")),
    )


def downgrade() -> None:
    op.drop_table("invitation")
    with op.batch_alter_table("workshop_signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_signup_workshop_id"))
    op.drop_table("workshop_signup")
    op.drop_table("workshop")
    op.drop_table("announcement")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_programme_id"))
        batch_op.drop_index(batch_op.f("ix_alert_mentorship_id"))
    op.drop_table("alert")
