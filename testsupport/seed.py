"""Seed many active mentoring pairs fast (bulk inserts), for benchmarks and load tests.

Every pair is in development, 6 months long, meetings every 14 days at 10:00 Helsinki time,
the first meetings staggered over two weeks so every day has its share. ``booked_weeks``
meetings ahead are booked (the sweep books the next block when they run out). Every person
has a Slack identity with a DM channel, so the Slack sender can reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from conversations import rules
from storage.models import (
    Agreement,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    PlatformIdentity,
    Programme,
    Task,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
CHUNK = 5000


@dataclass(frozen=True)
class Seeded:
    pairs: int
    people: int
    meetings: int
    first_meeting: datetime


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def seed_pairs(
    engine: Engine,
    pairs: int,
    start: datetime,
    *,
    booked_weeks: int = 12,
    with_supervisors: bool = True,
    name_prefix: str = "",
    slack_identities: bool = True,
) -> Seeded:
    """Insert ``pairs`` active pairs whose meetings begin on the working days after ``start``."""
    now = start.astimezone(UTC)
    start_day = start.astimezone(HELSINKI).date()
    with Session(engine) as session, session.begin():
        programme_id = session.scalar(
            insert(Programme)
            .values(
                name=f"{name_prefix}Load {pairs} pairs",
                goals="",
                duration_months=6,
                meeting_interval_days=14,
                booking_horizon_months=3,
                max_actors_per_mentor=2,
                holiday_country="FI",
                created_at=now,
            )
            .returning(Programme.id)
        )
        first_person = (session.scalar(select(Person.id).order_by(Person.id.desc())) or 0) + 1
        people: list[dict[str, object]] = []
        supervisors = max(1, pairs // 10) if with_supervisors else 0
        pid = first_person
        people.append(
            dict(
                id=pid,
                email=f"{name_prefix}hr{pid}@load.example",
                name="HR Coordinator",
                is_hr=True,
            )
        )
        pid += 1
        sup_ids = []
        for i in range(supervisors):
            people.append(
                dict(
                    id=pid,
                    email=f"{name_prefix}sup{pid}@load.example",
                    name=f"Supervisor {i}",
                    is_hr=False,
                )
            )
            sup_ids.append(pid)
            pid += 1
        mentor_ids, actor_ids = [], []
        for i in range(pairs):
            people.append(
                dict(
                    id=pid,
                    email=f"{name_prefix}m{pid}@load.example",
                    name=f"Mentor {i}",
                    is_hr=False,
                )
            )
            mentor_ids.append(pid)
            pid += 1
            people.append(
                dict(
                    id=pid,
                    email=f"{name_prefix}a{pid}@load.example",
                    name=f"Actor {i}",
                    is_hr=False,
                    supervisor_id=sup_ids[i % supervisors] if supervisors else None,
                )
            )
            actor_ids.append(pid)
            pid += 1
        full = [
            {
                "supervisor_id": None,
                **p,
                "locale": "fi" if int(str(p["id"])) % 3 == 0 else "en",
                "timezone": "Europe/Helsinki",
                "created_at": now,
                "onboarded_at": now,
            }
            for p in people
        ]
        for chunk in _chunks(full):
            session.execute(insert(Person), chunk)
        idents = [
            {
                "person_id": p["id"],
                "platform": "slack",
                "platform_user_id": f"U{p['id']}",
                "address": {"channel": f"D{p['id']}"},
                "last_seen_at": now,
            }
            for p in people
        ]
        for chunk in _chunks(idents if slack_identities else []):
            session.execute(insert(PlatformIdentity), chunk)
        first_ms = (session.scalar(select(Mentorship.id).order_by(Mentorship.id.desc())) or 0) + 1
        end = rules.planned_end(start_day, 6)
        ms_rows = [
            {
                "id": first_ms + i,
                "programme_id": programme_id,
                "mentor_id": mentor_ids[i],
                "actor_id": actor_ids[i],
                "phase": Phase.DEVELOPMENT.value,
                "created_at": now,
                "started_at": now,
                "planned_end": end,
            }
            for i in range(pairs)
        ]
        for chunk in _chunks(ms_rows):
            session.execute(insert(Mentorship), chunk)
        ag_rows = [
            {
                "mentorship_id": first_ms + i,
                "duration_months": 6,
                "meeting_interval_days": 14,
                "cancellation_notice_days": 14,
                "share_goals_with_supervisor": False,
                "terms_set": True,
                "revision": 1,
                "actor_accepted_at": now,
                "mentor_accepted_at": now,
            }
            for i in range(pairs)
        ]
        for chunk in _chunks(ag_rows):
            session.execute(insert(Agreement), chunk)
        meetings: list[dict[str, object]] = []
        per_pair = max(1, booked_weeks // 2)
        first_meeting = None
        for i in range(pairs):
            first_day = rules.next_weekday(start_day + timedelta(days=1 + i % 14))
            first_local = datetime.combine(first_day, time(10, 0), tzinfo=HELSINKI)
            dates = rules.series(first_local, 14, end, limit=per_pair)
            first_meeting = min(first_meeting or dates[0], dates[0])
            for seq, when in enumerate(dates, 1):
                meetings.append(
                    {
                        "mentorship_id": first_ms + i,
                        "seq": seq,
                        "uid": f"load-{first_ms + i}-{seq}@mentorbot",
                        "scheduled_at": when,
                        "duration_minutes": 60,
                        "status": MeetingStatus.PLANNED.value,
                        "ics_sequence": 0,
                    }
                )
        for chunk in _chunks(meetings):
            session.execute(insert(Meeting), chunk)
        tasks = [
            {
                "mentorship_id": first_ms + i,
                "text": "Draft the team's planning agenda",
                "status": "open",
                "created_at": now,
            }
            for i in range(0, pairs, 2)
        ]
        for chunk in _chunks(tasks):
            session.execute(insert(Task), chunk)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("person", "mentorship"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    assert first_meeting is not None
    return Seeded(
        pairs=pairs, people=len(people), meetings=len(meetings), first_meeting=first_meeting
    )


TIMEZONES = ("Europe/Helsinki", "America/New_York", "Asia/Kolkata", "Europe/London")


def make_realistic(engine: Engine, at: datetime) -> None:
    """Turn seeded pairs into a programme a few weeks in, as a sweep at ``at`` finds it.

    People live in four timezones; meetings before ``at`` are held, checked in by both with
    usefulness and rapport 4, except every 20th pair, which missed its first two meetings,
    and every 25th, whose check-ins rate rapport 2 (both: severe early warnings for HR);
    every 7th pair started five weeks ago with no supervisor discussion (a digest warning);
    every other pair shares a goal title with the supervisor. Set-based, a few statements;
    a second call adds only what is missing.
    """
    moment = at.astimezone(UTC)
    started = moment - timedelta(weeks=5)
    zones = " ".join(f"WHEN {i} THEN '{tz}'" for i, tz in enumerate(TIMEZONES))
    statements = [
        f"UPDATE person SET timezone = CASE id % {len(TIMEZONES)} {zones} END",
        "UPDATE meeting SET status = 'held' WHERE scheduled_at < :at",
        "UPDATE meeting SET status = 'missed' WHERE scheduled_at < :at AND seq <= 2"
        " AND mentorship_id % 20 = 0",
        "INSERT INTO check_in (meeting_id, person_id, held, usefulness, rapport, created_at)"
        " SELECT m.id, p.person_id, :true, 4,"
        " CASE WHEN ms.id % 25 = 0 THEN 2 ELSE 4 END, :at"
        " FROM meeting m JOIN mentorship ms ON ms.id = m.mentorship_id"
        " JOIN (SELECT id AS mid, actor_id AS person_id FROM mentorship"
        "       UNION ALL SELECT id, mentor_id FROM mentorship) p ON p.mid = ms.id"
        " WHERE m.status = 'held' AND NOT EXISTS"
        " (SELECT 1 FROM check_in c WHERE c.meeting_id = m.id)",
        "UPDATE mentorship SET started_at = :started WHERE id % 7 = 0",
        "UPDATE agreement SET share_goals_with_supervisor = :true WHERE mentorship_id % 2 = 0",
        "INSERT INTO goal (mentorship_id, position, title, success, status, created_at)"
        " SELECT id, 0, 'Lead the planning meeting', 'I run it alone', 'agreed', :at"
        " FROM mentorship WHERE id % 2 = 0 AND NOT EXISTS"
        " (SELECT 1 FROM goal g WHERE g.mentorship_id = mentorship.id)",
    ]
    params: dict[str, object] = {"at": moment, "started": started, "true": True}
    if engine.dialect.name == "sqlite":  # naive UTC, as storage.types.UTCDateTime writes it
        params["at"] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        params["started"] = started.strftime("%Y-%m-%d %H:%M:%S.%f")
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql), params)
