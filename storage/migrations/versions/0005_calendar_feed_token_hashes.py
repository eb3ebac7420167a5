"""Calendar feed tokens are stored as their SHA-256, like passwords

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:10:00

Existing links keep working: each stored token is replaced by its hash, which is what the feed
now looks up. The downgrade cannot recover a token from its hash, so it revokes every link.
Sent and cancelled outbox rows of earlier versions lose their rendered content here.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

feed = sa.table(
    "calendar_feed",
    sa.column("id", sa.Integer),
    sa.column("token", sa.String(64)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    # delivered and cancelled outbox rows keep no copy of the content from now on; the rows
    # of earlier versions are emptied once here
    outbox = sa.table("outbox", sa.column("status", sa.String), sa.column("payload", sa.JSON))
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.status.in_(["sent", "cancelled"]))
        .values(payload=sa.literal_column("'{}'"))
    )
    for row_id, token in conn.execute(sa.select(feed.c.id, feed.c.token)).all():
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        conn.execute(sa.update(feed).where(feed.c.id == row_id).values(token=digest))


def downgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.execute(sa.update(feed).where(feed.c.revoked_at.is_(None)).values(revoked_at=now))
