"""The demo programme: four people, one pair, and a whole six-month relationship."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from storage.db import transaction
from storage.models import Outbox, PlatformIdentity

DEMO_START = datetime(2027, 1, 11, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
PROGRAMME = "Mentoring 2027"
SCENARIOS = Path(__file__).parent / "scenarios"

PEOPLE = (
    # email, name, role
    ("helena@demo.example", "Helena Niemi", "hr"),
    ("sanna@demo.example", "Sanna Koskinen", "supervisor"),
    ("mikko@demo.example", "Mikko Laine", "mentor"),
    ("aino@demo.example", "Aino Virtanen", "actor"),
)

PROGRAMME_GOALS = {
    "en": "Faster orientation for new employees and shared know-how across teams.",
    "fi": "Uusien työntekijöiden nopeampi perehtyminen ja osaamisen jakaminen tiimien välillä.",
}


def seed(factory: sessionmaker[Session], now: datetime, locale: str) -> None:
    """Create the demo programme, its people and the pair (idempotent per fresh database)."""
    with transaction(factory) as session:
        admin.create_programme(
            session,
            now,
            PROGRAMME,
            PROGRAMME_GOALS[locale],
            admin.ProgrammeFrame(duration_months=6),
            actor="demo",
        )
        people = {}
        for email, name, role in PEOPLE:
            people[role] = admin.add_person(
                session,
                now,
                email,
                name,
                locale=locale,
                supervisor_email="sanna@demo.example" if role == "actor" else None,
                hr=role == "hr",
                actor="demo",
            )
        admin.add_pair(
            session, now, PROGRAMME, "mikko@demo.example", "aino@demo.example", actor="demo"
        )


HR_PEOPLE = (
    # email, name, supervisor: the HR scenario starts with people only; HR does the rest in chat
    ("helena@demo.example", "Helena Niemi", None),
    ("sanna@demo.example", "Sanna Koskinen", None),
    ("mikko@demo.example", "Mikko Laine", None),
    ("ville@demo.example", "Ville Heikkinen", None),
    ("aino@demo.example", "Aino Virtanen", "sanna@demo.example"),
    ("leo@demo.example", "Leo Järvinen", "sanna@demo.example"),
    ("emma@demo.example", "Emma Lehtonen", "sanna@demo.example"),  # started a month ago
)
NEW_EMPLOYEE = "emma@demo.example"


def seed_people(factory: sessionmaker[Session], now: datetime, locale: str) -> None:
    """The HR scenario's people: Helena (HR), Sanna supervising Aino, Leo and Emma (a new
    employee the sweep invites), two mentors."""
    with transaction(factory) as session:
        for email, name, supervisor in HR_PEOPLE:
            person = admin.add_person(
                session,
                now,
                email,
                name,
                locale=locale,
                supervisor_email=supervisor,
                hr=email.startswith("helena@"),
                actor="demo",
            )
            if email == NEW_EMPLOYEE:
                person.employment_start = now.date() - timedelta(days=30)


def scenario(locale: str) -> list[str]:
    """The demo's transcript, in the language of the demo."""
    name = f"lifecycle_{locale}.txt"
    return (SCENARIOS / name).read_text("utf-8").splitlines()


def hr_scenario() -> list[str]:
    """The HR coordinator's and supervisor's transcript (English)."""
    return (SCENARIOS / "hr_en.txt").read_text("utf-8").splitlines()


def resume_time(factory: sessionmaker[Session], earliest: datetime) -> datetime:
    """Where a played demo's simulated clock left off: the latest moment someone talked to
    Mentorbot or it delivered something, and never before ``earliest``."""
    with factory() as session:
        moments = [
            session.scalar(select(func.max(PlatformIdentity.last_seen_at))),
            session.scalar(select(func.max(Outbox.sent_at))),
            session.scalar(select(func.max(Outbox.created_at))),
        ]
    latest = earliest
    for moment in moments:
        if moment is None:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        latest = max(latest, moment)
    return latest
