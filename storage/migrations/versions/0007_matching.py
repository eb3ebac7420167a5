"""Matching: rounds per programme, participants' profiles, proposals with private answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matching_round",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["person.id"],
            name=op.f("fk_matching_round_opened_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_matching_round_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_matching_round")),
    )
    op.create_table(
        "match_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("wants", sa.JSON(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("meeting_mode", sa.String(length=10), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("avoid_own_team", sa.Boolean(), nullable=False),
        sa.Column("avoid_own_line", sa.Boolean(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_match_profile_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_match_profile_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_profile")),
        sa.UniqueConstraint(
            "programme_id", "person_id", name=op.f("uq_match_profile_programme_id")
        ),
    )
    with op.batch_alter_table("match_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_profile_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_profile_programme_id"), ["programme_id"], unique=False
        )
    op.create_table(
        "match_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("mentor_answer", sa.String(length=10), nullable=True),
        sa.Column("actor_answer", sa.String(length=10), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mentorship_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
            name=op.f("fk_match_proposal_actor_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["person.id"],
            name=op.f("fk_match_proposal_mentor_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorship.id"],
            name=op.f("fk_match_proposal_mentorship_id_mentorship"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_match_proposal_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_proposal")),
    )
    with op.batch_alter_table("match_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_proposal_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_proposal_mentor_id"), ["mentor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_proposal_programme_id"), ["programme_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("match_proposal")
    op.drop_table("match_profile")
    op.drop_table("matching_round")
