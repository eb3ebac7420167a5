"""The lifecycle scenario (``bot/scenarios/lifecycle_en.txt``) and the state it leaves, shared by
the console, Slack and Teams replays so that all three can be compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session
from storage.db import make_engine, make_session_factory
from storage.models import (
    Agreement,
    CheckIn,
    Evaluation,
    Goal,
    Meeting,
    Mentorship,
    Outbox,
    Person,
    Reflection,
    Task,
)
from tests.databases import migrated_sqlite
from tests.once import once_per_run

SCENARIO = Path(demo.__file__).parent / "scenarios" / "lifecycle_en.txt"


def summary(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Everything the relationship left in the database, independent of the platform."""
    with factory() as s:
        names = {p.id: p.email for p in s.scalars(select(Person))}
        m = s.scalars(select(Mentorship)).one()
        agreement = s.scalars(select(Agreement)).one()
        return {
            "phase": m.phase,
            "planned_end": m.planned_end,
            "agreement": (
                agreement.revision,
                agreement.actor_accepted_at is not None,
                agreement.mentor_accepted_at is not None,
                agreement.share_goals_with_supervisor,
                agreement.supervisor_goals_discussed_at is not None,
                agreement.supervisor_time_arranged_at is not None,
            ),
            "goals": sorted((g.title, g.status) for g in s.scalars(select(Goal))),
            "meetings": [
                (x.seq, x.status, x.scheduled_at)
                for x in s.scalars(select(Meeting).order_by(Meeting.seq))
            ],
            "tasks": sorted((t.text, t.status) for t in s.scalars(select(Task))),
            "checkins": sorted(
                (names[c.person_id], c.held, c.usefulness, c.rapport, c.note_shared_at is not None)
                for c in s.scalars(select(CheckIn))
            ),
            "reflections": sorted(
                (names[r.person_id], r.text) for r in s.scalars(select(Reflection))
            ),
            "evaluations": sorted(
                (names[e.person_id], e.kind, e.continuation) for e in s.scalars(select(Evaluation))
            ),
            "outbox": sorted(
                (names[o.person_id], o.kind, o.status) for o in s.scalars(select(Outbox))
            ),
        }


def play_console() -> dict[str, Any]:
    """What the console leaves after the scenario: played once per test run, then shared."""
    return once_per_run("lifecycle-console", _play_console)


def _play_console(folder: Path) -> dict[str, Any]:
    engine = make_engine(migrated_sqlite(folder / "console.db"))
    factory = make_session_factory(engine)
    demo.seed(factory, demo.DEMO_START, "en")
    console = console_session(factory, demo.DEMO_START, out=lambda _line: None)
    run(console, parse(SCENARIO.read_text("utf-8").splitlines(), "Europe/Helsinki"), echo=False)
    result = summary(factory)
    engine.dispose()
    return result
