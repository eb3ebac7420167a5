"""The sweep: which nudges are due when, each exactly once, with a constant number of queries."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import run_sweep
from conversations import rules
from conversations.messages import Message
from conversations.sweep import reads as sweep_reads_of_chunks
from conversations.sweep.orchestration import sweep
from conversations.sweep.plan import GRACE
from conversations.sweep.recheck import recheck
from conversations.worktime import next_working_moment, previous_working_day
from storage.db import transaction
from storage.models import Alert, CheckIn, Goal, Meeting, Mentorship, Outbox, Person, Programme
from tests.chat import Chat
from testsupport.clock_world import COLD, START
from testsupport.seed import make_realistic, seed_pairs

pytestmark = pytest.mark.postgres

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = datetime(2027, 1, 11, 9, 0, tzinfo=HELSINKI)  # pair 0 meets Tue 12 Jan 10:00


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=HELSINKI)


def rows(factory: sessionmaker[Session], kind: str | None = None) -> list[Outbox]:
    with factory() as s:
        stmt = select(Outbox).order_by(Outbox.id)
        if kind:
            stmt = stmt.where(Outbox.kind == kind)
        return list(s.scalars(stmt))


def text_of(row: Outbox) -> str:
    return Message.model_validate(row.payload).plain_text()


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2])[:60])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_reminder_is_queued_at_nine_on_the_working_day_before_and_expires_at_the_meeting(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))
    run_sweep(factory, at(11, 8, 59))
    assert rows(factory, "reminder") == []
    run_sweep(factory, at(11, 9, 0))
    reminders = rows(factory, "reminder")
    assert len(reminders) == 2  # mentor and actor
    meeting_at = at(12, 10)
    for row in reminders:
        assert row.due_at == at(11, 9)
        assert row.expires_at == meeting_at
        assert row.dedupe_key.startswith("reminder:")
    texts = sorted(text_of(r) for r in reminders)  # rendered in each recipient's language
    english = [t for t in texts if t.startswith("Reminder")]
    finnish = [t for t in texts if t.startswith("Muistutus")]
    assert len(english) == len(finnish) == 1
    assert "meeting 1 of 13" in english[0] and "Tue 12 Jan 2027, 10:00" in english[0]
    assert "Getting to know each other" in english[0]  # the first meeting's own course
    assert "Tutustuminen" in finnish[0]
    assert "12.1.2027 klo 10.00" in finnish[0]


def test_sweeping_twice_creates_nothing_twice(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 14, MONDAY - timedelta(minutes=1))
    first = run_sweep(factory, at(13, 12))
    assert first.inserted > 0
    second = run_sweep(factory, at(13, 12))
    assert second.inserted == 0
    keys = [r.dedupe_key for r in rows(factory)]
    assert len(keys) == len(set(keys)) == first.inserted


def test_the_number_of_statements_per_sweep_does_not_grow_with_the_number_of_pairs(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    counts = []
    for n in (3, 60):  # the second sweep sees 63 pairs, 60 of them with new nudges due
        seed_pairs(db_engine, n, MONDAY - timedelta(minutes=1), name_prefix=f"n{n}-")
        with counting(db_engine) as statements:
            report = run_sweep(factory, at(19, 12))
        assert report.inserted > 0
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # the span of pair ids, the reads of conversations.sweep, its alerts and HR's follow-up
    # queue, the inserts, the retention purge and the outbox pruning (PostgreSQL: one more,
    # the lock)
    assert counts[1] <= 27 + (db_engine.dialect.name == "postgresql"), counts


def test_a_sweep_in_chunks_of_pairs_queues_and_books_exactly_what_one_chunk_does(
    db_engine: Engine, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs are read and decided a chunk of ids at a time (bounded memory): a cold sweep on
    the first working day of a month (reminders, check-ins, bookings, early warnings,
    supervisors' summaries, HR's digest) and the next day's, in chunks of 7 pairs, queue and
    book the same as in one chunk. Every fourth pair is in an Irish programme, whose 1
    February 2027 is a holiday (St Brigid's Day), so a supervisor's summary is due a day
    later if their first report is Irish, whichever chunk that report is in; every eleventh
    pair is still agreeing. Each run is rolled back, so both start from the same data."""
    seed_pairs(db_engine, 60, START, booked_weeks=8)  # four meetings: the next block is due
    make_realistic(db_engine, COLD)
    with transaction(factory) as s:
        finnish = s.scalars(select(Programme).order_by(Programme.id)).one()
        columns = {c.key: getattr(finnish, c.key) for c in Programme.__table__.columns}
        irish = Programme(**{**columns, "id": None, "name": "Irish", "holiday_country": "IE"})
        s.add(irish)
        s.flush()
        s.execute(update(Mentorship).where(Mentorship.id % 4 == 1).values(programme_id=irish.id))
        s.execute(update(Mentorship).where(Mentorship.id % 11 == 0).values(phase="start"))

    def outcome(chunk: int) -> dict[str, Any]:
        monkeypatch.setattr(sweep_reads_of_chunks, "CHUNK_PAIRS", chunk)
        with factory() as s:
            for moment in (COLD, COLD + timedelta(days=1)):
                sweep(s, moment, retention_days=365, wait_for_lock=True)
            s.flush()
            queued = list(s.scalars(select(Outbox)))
            found = {
                # an alert's message names the alert's id, which a rolled-back run does not
                # give back on PostgreSQL: alerts are compared by their own keys
                "queued": {
                    (r.dedupe_key, r.kind, r.person_id, r.due_at, r.expires_at, repr(r.payload))
                    for r in queued
                    if r.kind != "hr.alert"
                },
                "alerts told": sorted(
                    (r.person_id, r.due_at) for r in queued if r.kind == "hr.alert"
                ),
                "alerts": {(a.key, a.severity, a.mentorship_id) for a in s.scalars(select(Alert))},
                "meetings": {
                    (m.mentorship_id, m.seq, m.scheduled_at, m.status)
                    for m in s.scalars(select(Meeting))
                },
            }
            s.rollback()
        return found

    with factory() as s:
        seeded = s.scalar(select(func.count(Meeting.id)))
    chunked, whole = outcome(7), outcome(100_000)
    assert chunked == whole
    kinds = {kind for _, kind, *_ in whole["queued"]}
    assert {"reminder", "checkin", "reflect", "supervisor.monthly", "hr.digest"} <= kinds
    assert whole["alerts told"] and whole["alerts"]
    assert len(whole["meetings"]) > seeded  # the next blocks were booked


def test_severe_alerts_cost_no_statement_each_and_a_later_sweep_inserts_none_again(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    counts, severe = [], []
    for n in (25, 100):  # a few, then more severe alerts (missed twice, low rapport); 1, 2 HR
        seed_pairs(db_engine, n, START, name_prefix=f"n{n}-")
        make_realistic(db_engine, COLD)
        with counting(db_engine) as statements:
            run_sweep(factory, COLD + timedelta(minutes=n))
        counts.append(len(statements))
        with factory() as s:
            severe.append(s.scalar(select(func.count(Alert.id)).where(Alert.severity == "severe")))
    with factory() as s:
        alerts = s.scalar(select(func.count(Alert.id)))
        told = s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "hr.alert"))
    assert 0 < severe[0] < severe[0] * 2 < severe[1]
    assert told == severe[0] * 1 + (severe[1] - severe[0]) * 2  # each new one to each HR person
    # the same reads and inserts whatever the number of alerts (the second sweep also reads
    # the goal titles for the monthly summaries and the open alerts for a digest now due, and
    # may open, settle and announce follow-ups in HR's queue: one statement each)
    assert counts[1] <= counts[0] + 5 <= 33, counts  # PostgreSQL: one more, the lock
    with counting(db_engine) as statements:
        report = run_sweep(factory, COLD + timedelta(hours=1))
    with factory() as s:
        assert s.scalar(select(func.count(Alert.id))) == alerts
    assert report.inserted == 0
    assert not any(sql.startswith("INSERT") for sql in statements), statements


def meeting_of(dedupe_key: str) -> int:
    """The meeting id in ``reminder:<meeting>.<sequence>:<person>`` or ``checkin:<meeting>:…``."""
    return int(dedupe_key.split(":")[1].split(".")[0])


def test_checkin_is_sent_late_after_downtime_but_a_reminder_never_after_its_meeting(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 14, MONDAY - timedelta(minutes=1))
    run_sweep(factory, at(11, 9))  # then the clock is down for three days
    back = at(14, 11)
    run_sweep(factory, back)
    with factory() as s:
        meetings = {m.id: m for m in s.scalars(select(Meeting))}
    for row in rows(factory, "reminder"):
        meeting = meetings[meeting_of(row.dedupe_key)]
        assert row.due_at < meeting.scheduled_at  # queued only while the meeting is ahead
        assert row.expires_at == meeting.scheduled_at
    checkins = rows(factory, "checkin")
    past = [m for m in meetings.values() if m.scheduled_at + timedelta(hours=3) <= back]
    assert past, "some meetings took place during the downtime"
    assert {int(r.dedupe_key.split(":")[1]) for r in checkins} == {m.id for m in past}
    assert len(checkins) == 2 * len(past)  # both parties, once each
    # nothing stale: no reminder for a meeting that was already over when the clock came back
    stale = [
        r
        for r in rows(factory, "reminder")
        if meetings[meeting_of(r.dedupe_key)].scheduled_at <= back and r.created_at == back
    ]
    assert stale == []


def test_a_checkin_expires_four_days_after_it_was_due_so_a_late_delivery_cancels_it(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))
    run_sweep(factory, at(12, 13))  # the first meeting (Tue 10:00) ended at 11:00
    checkins = rows(factory, "checkin")
    assert len(checkins) == 2
    for row in checkins:  # queued then; a delivery worker cancels it once this has passed
        assert row.expires_at == at(12, 11) + timedelta(hours=2) + GRACE


def test_a_checkin_already_made_is_not_asked_for(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))
    with factory() as s, s.begin():
        meeting = s.scalars(select(Meeting).where(Meeting.seq == 1)).one()
        m = s.get(Mentorship, meeting.mentorship_id)
        assert m is not None
        s.add(
            CheckIn(
                meeting_id=meeting.id,
                person_id=m.actor_id,
                held=True,
                usefulness=2,
                rapport=1,
                note="a private worry",
                created_at=at(12, 11, 30),
            )
        )
        actor_id, mentor_id = m.actor_id, m.mentor_id
    run_sweep(factory, at(13, 9))
    people = {r.person_id for r in rows(factory, "checkin")}
    assert people == {mentor_id}
    assert actor_id not in people


def test_mid_interval_task_reminder_and_reflection_prompt(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))  # pair 0 has an open task
    run_sweep(factory, at(19, 11))  # a week after meeting 1 (Tue 12 Jan 10:00)
    tasks = rows(factory, "task_reminder")
    reflects = rows(factory, "reflect")
    assert len(tasks) == 1 and "Draft the team's planning agenda" in text_of(tasks[0])
    assert len(reflects) == 2
    assert all(r.expires_at == at(26, 10) for r in tasks + reflects)  # the next meeting


def test_holidays_and_weekends_move_nudges_to_the_next_working_moment() -> None:
    # Epiphany (Wed 6 Jan 2027) is a public holiday in Finland, not in the United States
    assert previous_working_day(date(2027, 1, 7), "FI") == date(2027, 1, 5)
    assert previous_working_day(date(2027, 1, 7), "US") == date(2027, 1, 6)
    assert previous_working_day(date(2027, 1, 11), "FI") == date(2027, 1, 8)  # Monday → Friday
    saturday_noon = datetime(2027, 1, 9, 12, tzinfo=HELSINKI)
    assert next_working_moment(saturday_noon, HELSINKI, "FI") == at(11, 9)
    evening = at(12, 18)
    assert next_working_moment(evening, HELSINKI, "FI") == at(13, 9)
    new_york = ZoneInfo("America/New_York")
    assert next_working_moment(at(12, 12), new_york, "FI") == datetime(
        2027, 1, 12, 9, tzinfo=new_york
    )


def test_a_reminder_respects_the_recipients_timezone_and_the_programme_holidays(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))
    new_york = ZoneInfo("America/New_York")
    with factory() as s, s.begin():
        meeting = s.scalars(select(Meeting).where(Meeting.seq == 1)).one()
        meeting.scheduled_at = datetime(2027, 1, 7, 10, tzinfo=HELSINKI)  # after Epiphany
        m = s.get(Mentorship, meeting.mentorship_id)
        assert m is not None
        s.execute(update(Person).where(Person.id == m.mentor_id).values(timezone=new_york.key))
        mentor_id = m.mentor_id
    run_sweep(factory, datetime(2027, 1, 5, 9, tzinfo=HELSINKI))
    by_person = {r.person_id: r for r in rows(factory, "reminder")}
    assert len(by_person) == 1  # the actor's 09:00 in Helsinki; New York is still asleep
    run_sweep(factory, datetime(2027, 1, 5, 9, tzinfo=new_york))
    by_person = {r.person_id: r for r in rows(factory, "reminder")}
    assert by_person[mentor_id].due_at == datetime(2027, 1, 5, 9, tzinfo=new_york)


def test_the_next_block_of_meetings_is_booked_before_the_horizon_runs_out(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1), booked_weeks=4)  # two booked
    report = run_sweep(factory, at(11, 9))
    assert report.meetings_booked > 0
    with factory() as s:
        meetings = list(s.scalars(select(Meeting).order_by(Meeting.seq)))
    assert [m.seq for m in meetings] == list(range(1, len(meetings) + 1))
    local = [m.scheduled_at.astimezone(HELSINKI) for m in meetings]
    gaps = {(b.date() - a.date()).days for a, b in itertools.pairwise(local)}
    assert {t.time() for t in local} == {local[0].time()}  # same wall-clock time across DST
    assert gaps <= {14, 15, 16}  # every two weeks (a weekend date moves to Monday)
    assert meetings[-1].scheduled_at.astimezone(HELSINKI).date() <= date(2027, 4, 11)
    assert len(rows(factory, "block")) == 2
    again = run_sweep(factory, at(11, 9, 30))
    assert again.meetings_booked == 0 and again.inserted == 0


def test_the_supervisors_monthly_summary_carries_progress_only(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 2, MONDAY - timedelta(minutes=1))
    with factory() as s, s.begin():
        meeting = s.scalars(select(Meeting).where(Meeting.seq == 1)).first()
        assert meeting is not None
        m = s.get(Mentorship, meeting.mentorship_id)
        assert m is not None
        meeting.status = "held"
        s.add(
            CheckIn(
                meeting_id=meeting.id,
                person_id=m.actor_id,
                held=True,
                usefulness=1,
                rapport=1,
                note="confidential remark",
                created_at=at(12, 11),
            )
        )
        sharing, private = s.scalars(select(Mentorship).order_by(Mentorship.id)).all()
        sharing.agreement.share_goals_with_supervisor = True
        private.phase = "start"  # still agreeing: the supervisor hears about it too
        private.agreement.actor_accepted_at = None
        for m, title in ((sharing, "Shared goal title"), (private, "Private goal title")):
            s.add(
                Goal(mentorship_id=m.id, title=title, success="secret success", created_at=MONDAY)
            )
    first_of_month = datetime(2027, 2, 1, 9, 0, tzinfo=HELSINKI)
    run_sweep(factory, first_of_month)
    monthly = rows(factory, "supervisor.monthly")
    assert len(monthly) == 1
    assert monthly[0].dedupe_key.endswith(":2027-02")
    # queued without text: the outbox holds no names or goal titles of a summary not yet sent
    assert monthly[0].payload == {}
    with factory() as s:  # what the delivery sends: rendered from the state at send time
        sent = recheck(s, monthly[0].dedupe_key, first_of_month)
    assert isinstance(sent, Message)
    text = sent.plain_text()
    assert "Actor 0" in text and "Actor 1" in text and "1 of" in text
    assert text.count("The mentoring agreement is accepted.") == 1
    assert text.count("The mentoring agreement is not accepted yet.") == 1
    assert text.count("Your discussion with them about the goals is not recorded yet.") == 2
    assert "Shared goal title" in text  # the actor agreed to share the goal titles
    assert "Private goal title" not in text and "secret success" not in text
    assert "confidential" not in text and "rapport" not in text.lower()
    run_sweep(factory, datetime(2027, 2, 15, 9, 0, tzinfo=HELSINKI))
    assert len(rows(factory, "supervisor.monthly")) == 1


def test_the_hr_digest_comes_once_per_iso_week(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 3, MONDAY - timedelta(minutes=1))
    for hours in (0, 5, 30, 80):
        run_sweep(factory, at(11, 9) + timedelta(hours=hours))
    digests = rows(factory, "hr.digest")
    assert [d.dedupe_key.split(":")[-1] for d in digests] == ["2027-W02"]
    assert "Pairs under way with an accepted agreement: 3" in text_of(digests[0])
    run_sweep(factory, at(18, 9))
    assert len(rows(factory, "hr.digest")) == 2


def test_interim_and_closing_prompts_follow_the_programme(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1))
    with factory() as s:
        m = s.scalars(select(Mentorship)).one()
        end = m.planned_end
        middle_seq = rules.middle_meeting_seq(13)
        middle = s.scalars(select(Meeting).where(Meeting.seq == middle_seq)).first()
    assert end is not None
    if middle is not None:
        run_sweep(factory, middle.scheduled_at + timedelta(days=1, hours=1))
        interim = rows(factory, "interim")
        assert len(interim) == 2 and all(r.payload for r in interim)
    closing_day = datetime.combine(end - timedelta(days=14), datetime.min.time(), HELSINKI)
    run_sweep(factory, next_working_moment(closing_day, HELSINKI, "FI") + timedelta(hours=1))
    closing = rows(factory, "closing")
    assert len(closing) == 2
    assert all("final.start" in str(r.payload) for r in closing)


def test_nothing_is_queued_for_erased_people_or_closed_relationships(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    seed_pairs(db_engine, 2, MONDAY - timedelta(minutes=1))
    with factory() as s, s.begin():
        first, second = s.scalars(select(Mentorship).order_by(Mentorship.id)).all()
        first.phase = "closed"
        s.execute(
            update(Person).where(Person.id == second.actor_id).values(erased_at=datetime.now(UTC))
        )
    run_sweep(factory, at(14, 12))
    with factory() as s:
        assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind != "hr.digest")) == 0


def test_a_moved_meeting_is_reminded_again_at_its_new_time(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from tests.chat import ACTOR, MENTOR, agree, book, onboard

    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    book(chat)  # meeting 2 on Tue 2 Feb 14:00: reminded on Mon 1 Feb at 09:00
    chat.console.advance(datetime(2027, 2, 1, 10, 0, tzinfo=UTC) - chat.console.clock.now())
    assert "Tue 2 Feb 2027" in chat.text_seen_by(ACTOR)
    chat.say(MENTOR, "schedule")
    chat.click(MENTOR, "Move meeting 2")
    chat.submit(MENTOR, date="2027-02-04", time="10:00")
    chat.console.advance(datetime(2027, 2, 3, 10, 0, tzinfo=UTC) - chat.console.clock.now())
    with factory() as session:
        moved = session.scalars(select(Meeting).where(Meeting.seq == 2)).one()
        rows = list(
            session.scalars(
                select(Outbox).where(
                    Outbox.dedupe_key.startswith(f"reminder:{moved.id}."),
                    Outbox.person_id == moved.mentorship.actor_id,
                )
            )
        )
    assert sorted(r.dedupe_key.split(":")[1] for r in rows) == [f"{moved.id}.0", f"{moved.id}.1"]
    assert all(r.status == "sent" for r in rows)
    reminders = [m.plain_text() for m in chat.messages(ACTOR) if "Reminder" in m.plain_text()]
    assert "Thu 4 Feb 2027" in reminders[-1]


def test_the_mid_interval_reminder_names_the_next_meeting_at_its_wall_clock_time_after_dst(
    chat: Chat,
) -> None:
    from tests.chat import ACTOR, MENTOR, agree, book, onboard

    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.console.advance(datetime(2027, 3, 1, 8, 0, tzinfo=UTC) - chat.console.clock.now())
    book(chat, date="2027-03-16", time="14:00")  # the next one, 30 March, is after the DST change
    chat.console.advance(datetime(2027, 3, 16, 14, 0, tzinfo=UTC) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="4", rapport="4", task="Draft the agenda")
    chat.console.advance(datetime(2027, 3, 24, 12, 0, tzinfo=UTC) - chat.console.clock.now())
    halfway = [m.plain_text() for m in chat.messages(ACTOR) if "Halfway" in m.plain_text()]
    assert halfway, "the mid-interval nudges arrived"
    assert all("Tue 30 Mar 2027, 14:00" in text for text in halfway)


def test_after_the_last_meeting_no_prompt_names_a_next_meeting_that_does_not_exist(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    # two meetings booked (Tue 12 and Tue 26 Jan 10:00) and the relationship ends on 28 Jan:
    # meeting 2 is the last one, and nothing is left to book after it
    seed_pairs(db_engine, 1, MONDAY - timedelta(minutes=1), booked_weeks=4)
    with factory() as s, s.begin():
        s.execute(update(Mentorship).values(planned_end=date(2027, 1, 28)))
    run_sweep(factory, at(19, 11))  # halfway from meeting 1 to meeting 2: both prompts come
    assert len(rows(factory, "reflect")) == 2 and len(rows(factory, "task_reminder")) == 1
    report = run_sweep(factory, at(2, 11, month=2))  # where "halfway to meeting 3" would be
    assert report.meetings_booked == 0
    assert len(rows(factory, "reflect")) == 2 and len(rows(factory, "task_reminder")) == 1
    assert not any("9 Feb" in text_of(r) for r in rows(factory))


def test_a_sweep_runs_without_cyclic_garbage_collection_and_turns_it_back_on(
    db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    # each full collection would walk every pair, person and meeting the sweep holds again
    seed_pairs(db_engine, 60, START)
    make_realistic(db_engine, COLD)
    collector_on: list[bool] = []

    def note(*_: Any) -> None:
        collector_on.append(gc.isenabled())

    event.listen(db_engine, "before_cursor_execute", note)
    try:
        with transaction(factory) as session:
            report = sweep(session, COLD, retention_days=365, wait_for_lock=True)
    finally:
        event.remove(db_engine, "before_cursor_execute", note)
    assert report.inserted > 20
    assert len(collector_on) > 10 and not any(collector_on)  # off at each of its statements
    assert gc.isenabled()
