"""Is a database already at the newest migration? Answered without importing alembic.

Every ``mentorbot`` command brings the schema up to date first. Loading alembic and every
migration script to learn that nothing needs doing costs more than the rest of a small
command, so the head revision is read from the scripts' ``revision``/``down_revision``
lines and compared with the database's ``alembic_version``. Only when they differ, or a
script cannot be read that way, does alembic run (and alembic stays the authority).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_ASSIGNMENT = r"^{name}\s*(?::[^=]+)?=\s*(?:['\"]([^'\"]+)['\"]|None)\s*$"
_REVISION = re.compile(_ASSIGNMENT.format(name="revision"), re.M)
_DOWN = re.compile(_ASSIGNMENT.format(name="down_revision"), re.M)


@cache
def script_head(versions: Path = VERSIONS) -> str | None:
    """The single head revision of the migration scripts, or None if unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        source = script.read_text("utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or revision.group(1) is None or down is None:
            return None  # a script written some other way: let alembic decide
        revisions.add(revision.group(1))
        if down.group(1) is not None:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revisions(engine: Engine) -> list[str]:
    """The revisions in ``alembic_version`` (none for a new database).

    A database that cannot be reached raises, as any use of it would.
    """
    with engine.connect() as conn:
        try:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return sorted(found)
        except DBAPIError:  # no alembic_version table yet
            return []


def is_current(engine: Engine) -> bool:
    """True when the database's schema revision is the scripts' head."""
    head = script_head()
    return head is not None and database_revisions(engine) == [head]
