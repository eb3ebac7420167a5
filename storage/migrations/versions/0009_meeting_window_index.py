"""The meetings' time index carries the pair: the sweep reads its window a chunk of pairs at a time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 04:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_scheduled_at_mentorship_id", ["scheduled_at", "mentorship_id"], unique=False
        )
        batch_op.drop_index("ix_meeting_scheduled_at")


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_scheduled_at", ["scheduled_at"], unique=False)
        batch_op.drop_index("ix_meeting_scheduled_at_mentorship_id")
