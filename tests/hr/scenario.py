"""The HR scenario (``bot/scenarios/hr_en.txt``) and what it leaves in the database, shared by
the console, Slack and Teams replays so that all three can be compared."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session
from storage.db import make_engine, make_session_factory
from storage.models import (
    Alert,
    Announcement,
    AuditLog,
    Channel,
    HrQueueItem,
    Invitation,
    Mentorship,
    Outbox,
    Person,
    Programme,
    Workshop,
    WorkshopSignup,
)
from tests.databases import migrated_sqlite
from tests.once import once_per_run

KEY_REPLIES = [
    "Programme *Mentoring 2027* created: 6 months, a meeting every 14 days.",
    "Paired: Mikko Laine mentors Aino Virtanen in *Mentoring 2027*.",
    "*Preview* — to mentors (Mentoring 2027) (2 people):",
    "Sent to the outbox for the channel #mentoring.",
    "to mentors (Mentoring 2027): 2 sent, 0 failed, 0 waiting",
    "to the channel #mentoring: 1 sent, 0 failed, 0 waiting",
    "Workshop *Good questions* announced to 2 mentors.",
    "Sorry, *Good questions* is full.",
    "1 of 1 place taken",
    "*The mentor's guide*",
    "No meetings booked three weeks after pairing.",
    "Marked handled.",
    "The mentoring of Leo Järvinen by Ville Heikkinen has ended.",
    "Emma Lehtonen, a new employee, would like a mentor.",
    "Paired: Ville Heikkinen mentors Emma Lehtonen in *Mentoring 2027*.",
    "Goals (shared with you by the actor): Lead our team's weekly planning.",
    "*Results of Mentoring 2027*",
    "Early-warning alerts: 4 raised, 2 handled",
    "recorded their meeting of Tue 19 Jan 2027, 14:00 differently",
    "*Pairs* — 1 pair, what needs attention first (1–1 shown):",
    "Aino Virtanen would like a new round with new goals",
    "Your wish for a new round with new goals is now with HR",
    "Done: the follow-up is closed and recorded in the audit log.",
]


def steps() -> list[str]:
    return demo.hr_scenario()


def hr_summary(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Everything HR's and the supervisor's work left in the database, platform-independent."""
    with factory() as s:
        email = {p.id: p.email for p in s.scalars(select(Person))}
        return {
            "programmes": [
                (p.name, p.duration_months, p.meeting_interval_days, p.max_actors_per_mentor)
                for p in s.scalars(select(Programme))
            ],
            "pairs": sorted(
                (email[m.mentor_id], email[m.actor_id], m.phase, m.end_reason)
                for m in s.scalars(select(Mentorship))
            ),
            "channels": [(c.name, c.removed_at is None) for c in s.scalars(select(Channel))],
            "announcements": [
                (a.audience, a.recipients, a.sent_at is not None, a.text)
                for a in s.scalars(select(Announcement).order_by(Announcement.id))
            ],
            "delivered": Counter(
                (o.kind, o.status, email.get(o.person_id or 0, "channel"))
                for o in s.scalars(
                    select(Outbox).where(
                        Outbox.kind.in_(("announcement", "workshop", "supervisor.monthly"))
                    )
                )
            ),
            "workshops": [(w.title, w.capacity, w.place) for w in s.scalars(select(Workshop))],
            "signups": sorted(
                (email[x.person_id], x.cancelled_at is None)
                for x in s.scalars(select(WorkshopSignup))
            ),
            "alerts": sorted(
                (a.signal, a.handled_at is not None, a.handled_by) for a in s.scalars(select(Alert))
            ),
            "invitations": [
                (email[i.person_id], i.reason, i.answer) for i in s.scalars(select(Invitation))
            ],
            "audit": Counter(a.action for a in s.scalars(select(AuditLog))),
            "queue": sorted(
                (i.kind, i.detail, i.close_note)
                for i in s.scalars(select(HrQueueItem))
                if i.closed_by != "mentorbot"  # the sweep's own closes depend on timing only
            ),
        }


def play_console() -> dict[str, Any]:
    """What the console leaves after the HR scenario: played once per test run, then shared
    by the Slack and Teams replays."""
    return once_per_run("hr-console", _play_console)


def _play_console(folder: Path) -> dict[str, Any]:
    engine = make_engine(migrated_sqlite(folder / "console.db"))
    factory = make_session_factory(engine)
    demo.seed_people(factory, demo.DEMO_START, "en")
    console = console_session(factory, demo.DEMO_START, out=lambda _line: None)
    run(console, parse(steps(), "Europe/Helsinki"), echo=False)
    result = hr_summary(factory)
    engine.dispose()
    return result
