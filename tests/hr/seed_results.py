"""A programme with enough finished pairs for the report's aggregates (≥ 5 people)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.models import (
    Agreement,
    CheckIn,
    Evaluation,
    Goal,
    GoalStatus,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Programme,
    Reflection,
    Task,
    TaskStatus,
)

SECRET_NOTE = "secret-note-7f3"
SECRET_REFLECTION = "secret-reflection-1a9"
SECRET_COMMENT = "secret-comment-4c2"


def seed_programme(session: Session, now: datetime, name: str, pairs: int) -> Programme:
    """``pairs`` closed pairs, each with meetings, check-ins, tasks, goals and evaluations."""
    programme = Programme(name=name, goals="Grow", created_at=now - timedelta(days=200))
    session.add(programme)
    for i in range(pairs):
        mentor = Person(email=f"m{i}@{name}.fi", name=f"Mentor {i}", created_at=now)
        actor = Person(email=f"a{i}@{name}.fi", name=f"Actor {i}", created_at=now)
        m = Mentorship(
            programme=programme,
            mentor=mentor,
            actor=actor,
            phase=Phase.CLOSED if i % 3 else Phase.DEVELOPMENT,
            created_at=now - timedelta(days=190),
            started_at=now - timedelta(days=180),
        )
        m.agreement = Agreement(duration_months=6)
        session.add(m)
        session.flush()
        for seq in range(1, 7):
            status = MeetingStatus.MISSED if seq == 3 and i == 0 else MeetingStatus.HELD
            meeting = Meeting(
                mentorship=m,
                seq=seq,
                uid=f"{name}-{i}-{seq}",
                scheduled_at=now - timedelta(days=170 - 14 * seq),
                status=status,
            )
            session.add(meeting)
            session.flush()
            for person, rapport in ((mentor, 4), (actor, 3 + i % 3)):
                session.add(
                    CheckIn(
                        meeting_id=meeting.id,
                        person_id=person.id,
                        held=True,
                        usefulness=3 + (seq + i) % 3,
                        rapport=rapport,
                        note=SECRET_NOTE,
                        created_at=now,
                    )
                )
        session.add(Task(mentorship_id=m.id, text="t", status=TaskStatus.DONE, created_at=now))
        session.add(Task(mentorship_id=m.id, text="t2", status=TaskStatus.OPEN, created_at=now))
        session.add(
            Goal(
                mentorship_id=m.id,
                title="g",
                status=GoalStatus.ACHIEVED if i % 2 else GoalStatus.PARTLY,
                created_at=now,
            )
        )
        session.add(
            Reflection(
                mentorship_id=m.id,
                person_id=actor.id,
                prompt_key="k",
                text=SECRET_REFLECTION,
                created_at=now,
            )
        )
        for person in (mentor, actor):
            session.add(
                Evaluation(
                    mentorship_id=m.id,
                    person_id=person.id,
                    kind="interim",
                    relationship_rating=4 + i % 2,
                    goals_realistic="yes",
                    text=SECRET_COMMENT,
                    created_at=now,
                )
            )
            session.add(
                Evaluation(
                    mentorship_id=m.id,
                    person_id=person.id,
                    kind="final",
                    relationship_rating=5 - i % 2,
                    continuation="close" if i % 2 else "continue_informally",
                    created_at=now,
                )
            )
    session.flush()
    return programme
