"""Results cannot be traced to one person: two reports taken before and after one known
person's answer reveal nothing about that answer (ratings, goal attainment, plans)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.clock import SettableClock
from conversations.results import MIN_GROUP, Results, chat_summary, programme_results
from conversations.texts import Texts
from storage.db import transaction
from storage.models import (
    CheckIn,
    Evaluation,
    Goal,
    GoalStatus,
    Meeting,
    Mentorship,
    Person,
    Phase,
    Programme,
)
from tests.hr.seed_results import seed_programme


def _private_figures(r: Results) -> tuple[object, ...]:
    """Every figure derived from private answers."""
    attainment = {k: v for k, v in r.goals.items() if k in ("achieved", "partly", "not_achieved")}
    return (
        r.interim_relationship,
        r.final_usefulness,
        r.checkin_usefulness,
        r.checkin_rapport,
        attainment,
        r.continuation,
    )


def _report(factory: sessionmaker[Session], name: str, now: datetime) -> tuple[Results, str]:
    with factory() as session:
        programme = session.scalars(select(Programme).where(Programme.name == name)).one()
        results = programme_results(session, programme, now)
    return results, chat_summary(Texts("en"), results)


def _answer(session: Session, name: str, who: int, at: datetime, rating: int) -> None:
    """A new, known actor of the programme checks in, evaluates and judges the goal."""
    programme = session.scalars(select(Programme).where(Programme.name == name)).one()
    mentor = Person(email=f"known-mentor{who}@{name}.fi", name=f"Known mentor {who}", created_at=at)
    actor = Person(email=f"known{who}@{name}.fi", name=f"Known {who}", created_at=at)
    m = Mentorship(
        programme=programme, mentor=mentor, actor=actor, phase=Phase.CLOSED, created_at=at
    )
    meeting = Meeting(mentorship=m, seq=1, uid=f"known-{who}", scheduled_at=at)
    session.add_all([m, meeting])
    session.flush()
    session.add(Goal(mentorship_id=m.id, title="g", status=GoalStatus.NOT_ACHIEVED, created_at=at))
    session.add(
        CheckIn(
            meeting_id=meeting.id,
            person_id=actor.id,
            held=True,
            usefulness=rating,
            rapport=rating,
            created_at=at,
        )
    )
    for kind in ("interim", "final"):
        session.add(
            Evaluation(
                mentorship_id=m.id,
                person_id=actor.id,
                kind=kind,
                relationship_rating=rating,
                continuation="new_goals",
                created_at=at,
            )
        )


def test_two_reports_around_one_known_persons_answers_reveal_nothing(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    now = clock.now()
    with transaction(factory) as session:
        seed_programme(session, now - timedelta(days=1), "Big", 10)
    before, chat_before = _report(factory, "Big", now)
    assert before.final_usefulness.average is not None, "the report shows released figures"

    with transaction(factory) as session:
        _answer(session, "Big", 0, now, rating=1)
    after, chat_after = _report(factory, "Big", now + timedelta(minutes=1))

    # the evaluations' batches were full before: the new answer waits, nothing moves
    assert _private_figures(after)[:2] == _private_figures(before)[:2]
    assert _private_figures(after)[4:] == _private_figures(before)[4:]
    rated = [line for line in chat_before.splitlines() if "/ 5" in line]
    assert rated and rated == [line for line in chat_after.splitlines() if "/ 5" in line]
    # check-ins: a report moves only by a whole batch, never by the one new answer
    for old, new in (
        (before.checkin_usefulness, after.checkin_usefulness),
        (before.checkin_rapport, after.checkin_rapport),
    ):
        assert new == old or new.answers - old.answers >= MIN_GROUP


def test_answers_are_released_in_batches_of_five_people(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    now = clock.now()
    with transaction(factory) as session:
        seed_programme(session, now - timedelta(days=1), "Big", 10)
    before, _ = _report(factory, "Big", now)
    for who in range(4):
        with transaction(factory) as session:
            _answer(session, "Big", who, now + timedelta(minutes=who), rating=1)
        between = _report(factory, "Big", now)[0]
        assert (between.interim_relationship, between.final_usefulness, between.continuation) == (
            before.interim_relationship,
            before.final_usefulness,
            before.continuation,
        )

    with transaction(factory) as session:
        _answer(session, "Big", 4, now + timedelta(minutes=5), rating=1)
    after, _ = _report(factory, "Big", now)

    assert after.final_usefulness.answers >= before.final_usefulness.answers + 5
    assert after.final_usefulness.average != before.final_usefulness.average


def test_one_pairs_goal_attainment_and_plan_are_not_shown(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    now = clock.now()
    with transaction(factory) as session:
        seed_programme(session, now, "Small", 1)
    results, _ = _report(factory, "Small", now)

    assert results.goals["achieved"] == results.goals["partly"] == 0
    assert results.goals["not_achieved"] == 0
    assert results.goals["evaluated_pending"] == 1
    assert results.continuation is None
    with factory() as session:
        assert session.scalars(select(Goal.status)).one() == GoalStatus.PARTLY
