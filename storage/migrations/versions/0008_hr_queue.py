"""HR's follow-up queue: items HR acts on or dismisses with a reason

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hr_queue_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=30), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("mentorship_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=254), nullable=True),
        sa.Column("close_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_hr_queue_item_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorship.id"],
            name=op.f("fk_hr_queue_item_mentorship_id_mentorship"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_hr_queue_item_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_hr_queue_item_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hr_queue_item")),
        sa.UniqueConstraint("key", name=op.f("uq_hr_queue_item_key")),
    )
    with op.batch_alter_table("hr_queue_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hr_queue_item_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hr_queue_item_mentorship_id"), ["mentorship_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hr_queue_item_programme_id"), ["programme_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("hr_queue_item")
