"""HR announcements to a channel: known channels; an outbox row is for a person or a channel

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("platform_channel_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
        sa.UniqueConstraint(
            "platform", "platform_channel_id", name=op.f("uq_channel_platform")
        ),
    )
    # SQLite cannot alter a column or add a constraint in place: batch mode copies the table.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_channel_id"), ["channel_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_channel_id_channel"),
            "channel",
            ["channel_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint(
            "one_recipient", "(person_id IS NULL) <> (channel_id IS NULL)"
        )
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_announcement_channel_id_channel"),
            "channel",
            ["channel_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_announcement_channel_id_channel"), type_="foreignkey"
        )
        batch_op.drop_column("channel_id")
    op.execute("DELETE FROM outbox WHERE person_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_one_recipient"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_outbox_channel_id_channel"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_channel_id"))
        batch_op.drop_column("channel_id")
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("channel")
