"""The development phase: the booked series, moving a meeting, check-ins, tasks, reflection,
the interim evaluation, and the clear end."""

from __future__ import annotations

import itertools
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    CheckIn,
    Evaluation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Reflection,
    Task,
)
from tests.chat import ACTOR, MENTOR, SUPERVISOR, Chat, agree, book, onboard


def _meetings(factory: sessionmaker[Session]) -> list[Meeting]:
    with factory() as session:
        return list(
            session.scalars(
                select(Meeting)
                .join(Mentorship)
                .join(Mentorship.actor)
                .where(Person.email == ACTOR)
                .order_by(Meeting.seq)
            )
        )


def _started(chat: Chat, duration: str = "6") -> None:
    onboard(chat, [ACTOR, MENTOR, SUPERVISOR])
    agree(chat, duration=duration)
    book(chat)


def _to_meeting(chat: Chat, factory: sessionmaker[Session], seq: int, hours: int = 2) -> None:
    meeting = _meetings(factory)[seq - 1]
    chat.console.advance(meeting.scheduled_at + timedelta(hours=hours) - chat.console.clock.now())


def test_the_whole_series_is_booked_at_once_every_14_days_never_on_a_weekend(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat, duration="6")
    meetings = _meetings(factory)
    assert 6 <= len(meetings) <= 13
    local = [m.scheduled_at.astimezone(chat.console.tz) for m in meetings]
    gaps = {(b.date() - a.date()).days for a, b in itertools.pairwise(local)}
    assert gaps == {14}
    assert all(t.weekday() < 5 for t in local)
    assert {t.hour for t in local} == {14}  # the wall-clock time survives daylight saving


def test_a_three_month_relationship_books_three_months_ahead(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat, duration="3")
    meetings = _meetings(factory)
    span = meetings[-1].scheduled_at - meetings[0].scheduled_at
    assert 6 <= len(meetings) <= 7
    assert timedelta(days=69) <= span <= timedelta(days=92)


def test_a_weekend_first_date_is_refused_with_a_clear_message(chat: Chat) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="2027-01-23", time="14:00")  # a Saturday
    assert "weekend" in chat.last(ACTOR)


def test_the_ics_file_has_one_event_per_meeting_with_stable_uids(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    attachment = [b for m in chat.messages(ACTOR) for b in m.blocks if b.type == "attachment"][-1]
    calendar = Calendar.from_ical(attachment.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert [str(e["UID"]) for e in events] == [m.uid for m in _meetings(factory)]


def test_moving_one_meeting_keeps_the_rest_and_bumps_its_sequence(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    before = _meetings(factory)
    chat.say(MENTOR, "schedule")
    chat.click(MENTOR, "Move meeting 3")
    chat.submit(MENTOR, date="2027-02-17", time="10:00")
    after = _meetings(factory)
    assert after[2].scheduled_at != before[2].scheduled_at
    assert after[2].ics_sequence == 1 and after[2].uid == before[2].uid
    assert [m.scheduled_at for i, m in enumerate(after) if i != 2] == [
        m.scheduled_at for i, m in enumerate(before) if i != 2
    ]
    assert "moved meeting 3" in chat.text_seen_by(ACTOR)


def test_a_move_onto_another_meetings_day_is_refused(chat: Chat) -> None:
    _started(chat)
    chat.say(MENTOR, "schedule")
    chat.click(MENTOR, "Move meeting 3")
    chat.submit(MENTOR, date="2027-03-02", time="10:00")  # meeting 4's day
    assert "already on that day" in chat.last(MENTOR)


def test_check_in_records_held_ratings_and_the_next_task_for_both(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    _to_meeting(chat, factory, 1)
    chat.say(ACTOR, "check-in")
    chat.submit(
        ACTOR, held="yes", usefulness="4", rapport="5", task="Draft an agenda", note="I was nervous"
    )
    assert _meetings(factory)[0].status == MeetingStatus.HELD
    with factory() as session:
        task = session.scalars(select(Task)).one()
        assert task.text == "Draft an agenda"
        assert task.due_at == _meetings(factory)[1].scheduled_at
    assert "Draft an agenda" in chat.text_seen_by(MENTOR)
    assert "I was nervous" not in chat.text_seen_by(MENTOR)


def test_a_missed_meeting_is_recorded_as_missed(chat: Chat, factory: sessionmaker[Session]) -> None:
    _started(chat)
    _to_meeting(chat, factory, 1)
    chat.say(MENTOR, "check-in")
    chat.submit(MENTOR, held="no")
    assert _meetings(factory)[0].status == MeetingStatus.MISSED
    with factory() as session:
        checkin = session.scalars(select(CheckIn)).one()
        assert checkin.held is False and checkin.usefulness is None


def test_a_held_after_a_missed_counts_and_the_dispute_is_listed_until_settled(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from conversations import checkin_rule

    _started(chat)
    _to_meeting(chat, factory, 1)
    chat.say(MENTOR, "check-in")
    chat.submit(MENTOR, held="no")
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="4", rapport="4")
    assert _meetings(factory)[0].status == MeetingStatus.HELD  # one "held" counts
    assert "recorded it as not held" in chat.last(ACTOR)
    assert "Aino Virtanen recorded meeting 1 as held" in chat.text_seen_by(MENTOR)
    with factory() as session:
        assert [d.seq for d in checkin_rule.open_disputes(session)] == [1]
    chat.click(MENTOR, "Correct my check-in")
    chat.submit(MENTOR, held="yes", usefulness="3", rapport="4")
    with factory() as session:
        assert checkin_rule.open_disputes(session) == []
    assert _meetings(factory)[0].status == MeetingStatus.HELD


def test_check_in_before_the_meeting_is_not_offered(chat: Chat) -> None:
    _started(chat)
    chat.say(ACTOR, "check-in")
    assert "no meeting to check in on yet" in chat.last(ACTOR)


def test_tasks_are_listed_and_marked_done_once(chat: Chat, factory: sessionmaker[Session]) -> None:
    _started(chat)
    _to_meeting(chat, factory, 1)
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="4", rapport="4", task="Draft an agenda")
    chat.say(MENTOR, "tasks")
    assert "Draft an agenda" in chat.last(MENTOR)
    chat.click(MENTOR, "Done: Draft an agenda")
    chat.press(ACTOR, "task.done", str(_task_id(factory)))
    assert "already marked done" in chat.last(ACTOR)
    assert "marked the intermediate task done" in chat.text_seen_by(ACTOR)


def _task_id(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalars(select(Task.id)).one()


def test_reflection_is_private_until_shared_item_by_item(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text="First private thought")
    chat.say(ACTOR, "reflect")
    chat.submit(ACTOR, text="Second thought to share")
    assert "First private thought" not in chat.text_seen_by(MENTOR)
    chat.click(ACTOR, "Share with Mikko Laine")
    assert "Second thought to share" in chat.text_seen_by(MENTOR)
    assert "First private thought" not in chat.text_seen_by(MENTOR)
    chat.say(MENTOR, "reflections")
    assert "Second thought to share" in chat.last(MENTOR)
    assert "First private thought" not in chat.last(MENTOR)
    with factory() as session:
        shared = {r.text: r.shared_at is not None for r in session.scalars(select(Reflection))}
    assert shared == {"First private thought": False, "Second thought to share": True}


def test_reflection_prompts_follow_the_phase_of_the_relationship(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    chat.say(ACTOR, "reflect")
    early = chat.console.last_form(ACTOR).inputs[0].label
    chat.submit(ACTOR, text="x")
    chat.console.advance(timedelta(days=150))
    chat.say(ACTOR, "reflect")
    late = chat.console.last_form(ACTOR).inputs[0].label
    assert early != late
    assert "hope to get" in early
    assert "changed" in late or "carry on" in late


def test_interim_evaluation_opens_after_the_middle_meeting_and_goals_can_be_adjusted(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    chat.say(ACTOR, "evaluate")
    assert "after the middle meeting" in chat.last(ACTOR)
    meetings = _meetings(factory)
    _to_meeting(chat, factory, (len(meetings) + 1) // 2 + 1)
    chat.say(ACTOR, "evaluate")
    chat.submit(ACTOR, goal1="4", goal2="2", relationship="5", cadence="right", realistic="partly")
    chat.click(ACTOR, "Adjust goals")
    chat.submit(ACTOR, subgoals1="Use the template\nDelegate notes")
    with factory() as session:
        evaluation = session.scalars(select(Evaluation)).one()
        assert evaluation.kind == "interim" and evaluation.goals_realistic == "partly"
        m = session.scalars(select(Mentorship).where(Mentorship.actor.has(email=ACTOR))).one()
        assert [g.title for g in m.goals if g.parent_id] == ["Use the template", "Delegate notes"]
    assert "Use the template" in chat.text_seen_by(MENTOR)


def test_closing_needs_both_final_evaluations_and_tells_the_supervisor_without_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _started(chat)
    chat.say(ACTOR, "final evaluation")
    assert "opens two weeks before" in chat.last(ACTOR)
    with factory() as session:
        end = session.scalars(
            select(Mentorship.planned_end).where(Mentorship.actor.has(email=ACTOR))
        ).one()
    assert end is not None
    chat.console.advance(timedelta(days=(end - chat.console.clock.now().date()).days - 10))
    chat.say(ACTOR, "final evaluation")
    chat.submit(
        ACTOR,
        discussion="yes",
        goal1="achieved",
        goal2="partly",
        usefulness="5",
        changed="Confidence",
        continuation="continue_informally",
    )
    with factory() as session:
        assert (
            session.scalars(select(Mentorship.phase).where(Mentorship.actor.has(email=ACTOR))).one()
            == Phase.CLOSING
        )
    chat.click(MENTOR, "Final evaluation")
    chat.submit(
        MENTOR,
        discussion="yes",
        goal1="achieved",
        goal2="partly",
        usefulness="4",
        continuation="continue_informally",
    )
    with factory() as session:
        m = session.scalars(select(Mentorship).where(Mentorship.actor.has(email=ACTOR))).one()
        assert m.phase == Phase.CLOSED and m.closed_at is not None
        assert [g.status for g in m.goals] == ["achieved", "partly"]
        assert all(x.status != "planned" or x.scheduled_at < m.closed_at for x in m.meetings)
    supervisor_saw = chat.text_seen_by(SUPERVISOR)
    assert "planned end" in supervisor_saw
    assert "Confidence" not in supervisor_saw


def test_booking_offers_each_person_their_own_calendar_feed_link(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from conversations.calendar_feed import person_for_token

    chat.console.engine.public_url = "https://mentorbot.example.com"
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    book(chat)
    links = {}
    for email in (ACTOR, MENTOR):
        attachment = [b for m in chat.messages(email) for b in m.blocks if b.type == "attachment"][
            -1
        ]
        assert attachment.link and attachment.link.startswith(
            "https://mentorbot.example.com/calendar/"
        )
        links[email] = attachment.link
    assert links[ACTOR] != links[MENTOR]
    with factory() as session:
        for email, link in links.items():
            token = link.rsplit("/", 1)[1].removesuffix(".ics")
            owner = person_for_token(session, token)
            assert owner is not None and owner.email == email


def test_moving_a_meeting_cancels_a_reminder_still_waiting_for_the_old_time(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from conversations.messages import Message
    from conversations.outbox import insert_ignoring_duplicates, outbox_row
    from storage.db import transaction
    from storage.models import Outbox

    _started(chat)
    meeting = _meetings(factory)[2]
    with transaction(factory) as session:  # as the sweep leaves it outside working hours
        insert_ignoring_duplicates(
            session,
            [
                outbox_row(
                    person_id=1,
                    kind="reminder",
                    message=Message().text("old time"),
                    dedupe_key=f"reminder:{meeting.id}.0:1",
                    due_at=meeting.scheduled_at,
                    now=chat.console.clock.now(),
                )
            ],
        )
    chat.say(MENTOR, "schedule")
    chat.click(MENTOR, "Move meeting 3")
    chat.submit(MENTOR, date="2027-02-17", time="10:00")
    with factory() as session:
        row = session.scalars(
            select(Outbox).where(Outbox.dedupe_key == f"reminder:{meeting.id}.0:1")
        ).one()
    assert row.status == "cancelled" and row.last_error == "the meeting was moved"
