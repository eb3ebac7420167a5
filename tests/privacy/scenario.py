"""A relationship in which every field a person can write holds a unique marker, and a full
dump of the database to look for them (every column of every table)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.hr_admin import end_mentorship
from storage.db import transaction
from storage.models import Base, Meeting, Mentorship, Person
from tests.chat import ACTOR, HR, MENTOR, OTHER_ACTOR, OTHER_MENTOR, SUPERVISOR, Chat, onboard

EVERYONE = (ACTOR, MENTOR, SUPERVISOR, HR, OTHER_ACTOR, OTHER_MENTOR)
ACTOR_NAME = "Aino Virtanen"


@dataclass(frozen=True)
class Markers:
    """Unique strings, by who typed them; each can only appear where it was copied."""

    actor: tuple[str, ...] = (
        "mkA-goal-title-q7",
        "mkA-goal-success-w3",
        "mkA-task-e5",
        "mkA-note-r8",
        "mkA-reflection-t2",
        "mkA-shared-reflection-y6",
        "mkA-interim-comment-u4",
    )
    mentor: tuple[str, ...] = ("mkM-comment-i9", "mkM-note-o1", "mkM-reflection-p0")
    hr: tuple[str, ...] = ("mkH-end-reason-a5",)


MARK = Markers()


@dataclass(frozen=True)
class PrivateContent:
    """What the actor and the mentor write for themselves (and the one shared reflection)."""

    actor_note: str
    mentor_note: str
    actor_reflection: str
    shared_reflection: str
    mentor_reflection: str
    interim_comment: str


def meet_reflect_and_evaluate(
    chat: Chat,
    factory: sessionmaker[Session],
    content: PrivateContent,
    goals: dict[str, str],
    task: str | None = None,
) -> None:
    """After the pair has booked: both check in after the first meeting with a private note
    (the actor rating it low), both reflect, the actor shares one reflection with the mentor,
    and at half-time the actor rates ``goals`` in the interim evaluation with a comment."""
    with factory() as session:
        meetings = list(session.scalars(select(Meeting).order_by(Meeting.seq)))
    chat.console.advance(meetings[0].scheduled_at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    with_task = {"task": task} if task else {}
    chat.submit(
        ACTOR, held="yes", usefulness="2", rapport="1", **with_task, note=content.actor_note
    )
    chat.say(MENTOR, "check-in")
    chat.submit(MENTOR, held="yes", usefulness="5", rapport="2", note=content.mentor_note)
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text=content.actor_reflection)
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text=content.shared_reflection)
    chat.click(ACTOR, "Share with Mikko Laine")
    chat.say(MENTOR, "reflect")
    chat.submit(MENTOR, text=content.mentor_reflection)
    middle = meetings[(len(meetings) + 1) // 2]
    chat.console.advance(middle.scheduled_at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "evaluate")
    chat.submit(
        ACTOR,
        **goals,
        relationship="1",
        cadence="too_often",
        realistic="no",
        comment=content.interim_comment,
    )


def play(chat: Chat, factory: sessionmaker[Session]) -> None:
    """Agreement, booking, check-ins with a task, private and shared reflections, an interim
    evaluation, then HR ends the pair with a reason. The outbox is delivered as it goes."""
    actor, mentor = MARK.actor, MARK.mentor
    onboard(chat, EVERYONE)
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1=actor[0], success1=actor[1], duration="6", share_goals="yes")
    chat.click(MENTOR, "Suggest changes")
    chat.submit(MENTOR, comment=mentor[0])
    chat.click(ACTOR, "Accept")
    chat.click(MENTOR, "Accept")
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="2027-01-19", time="14:00")
    chat.click(ACTOR, "Book these meetings")
    meet_reflect_and_evaluate(
        chat,
        factory,
        PrivateContent(
            actor_note=actor[3],
            mentor_note=mentor[1],
            actor_reflection=actor[4],
            shared_reflection=actor[5],
            mentor_reflection=mentor[2],
            interim_comment=actor[6],
        ),
        goals={"goal1": "2"},
        task=actor[2],
    )
    with transaction(factory) as session:
        pair = session.scalars(
            select(Mentorship)
            .join(Person, Mentorship.actor_id == Person.id)
            .where(Person.email == ACTOR)
        ).one()
        end_mentorship(session, chat.console.clock.now(), HR, pair, MARK.hr[0])
    chat.console.advance(timedelta(hours=1))


def dump(factory: sessionmaker[Session]) -> dict[str, str]:
    """Every column of every table, as text: ``{"table.column#row": value}``."""
    out: dict[str, str] = {}
    with factory() as session:
        for table in Base.metadata.sorted_tables:
            for n, row in enumerate(session.execute(select(table)).mappings()):
                for column, value in row.items():
                    text = json.dumps(value, ensure_ascii=False, default=str)
                    out[f"{table.name}.{column}#{n}"] = text
    return out


def found(factory: sessionmaker[Session], *needles: str) -> dict[str, list[str]]:
    """Which of ``needles`` remain in the database, and where."""
    where: dict[str, list[str]] = {}
    for place, text in dump(factory).items():
        for needle in needles:
            if needle.casefold() in text.casefold():
                where.setdefault(needle, []).append(place)
    return where
