"""What the bot says stays true, played through Slack over HTTP (the web app ``mentorbot serve``
runs, a double of Slack's Web API, the clock's sweep between steps): reminders name the real
next meeting, a check-in conflict is told and settled, a nudge is checked when it is sent, the
series respects holidays, and the end is clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from conversations import checkin_rule, rules, worktime
from conversations.clock import SettableClock
from storage.models import CheckIn, Meeting, Mentorship, Outbox, Task
from tests.slack.driver import Person as SlackPerson
from tests.slack.driver import SlackDriver
from tests.slack.harness import SlackWorld, section_texts

AINO, MIKKO = "aino@demo.example", "mikko@demo.example"

START = """
as aino@demo.example: hello
as aino@demo.example: click English
as aino@demo.example: submit timezone=Europe/Helsinki
as aino@demo.example: click Propose goals
as aino@demo.example: submit goal1=Lead the planning; success1=I run it; duration=6; share_goals=yes
as mikko@demo.example: hello
as mikko@demo.example: click English
as mikko@demo.example: submit timezone=Europe/Helsinki
as aino@demo.example: click Accept
as mikko@demo.example: click Accept
as aino@demo.example: click Plan meetings
as aino@demo.example: submit date=2027-01-19; time=14:00
as aino@demo.example: click Book these meetings
"""


@pytest.fixture
def slack(factory: sessionmaker[Session]) -> Iterator[SlackDriver]:
    demo.seed(factory, demo.DEMO_START, "en")
    clock = SettableClock(demo.DEMO_START)
    people = {
        email: SlackPerson(email, "U" + email.split("@")[0].upper(), name)
        for email, name, _role in demo.PEOPLE
    }
    with SlackWorld(factory, clock) as world:
        for p in people.values():
            world.api.add_user(p.user_id, p.email, p.name)
        yield SlackDriver(world, people)


def play(driver: SlackDriver, script: str) -> None:
    run(driver, parse(script.splitlines(), "Europe/Helsinki"), echo=False)


def seen(driver: SlackDriver, email: str, since: int = 0) -> list[str]:
    return driver.texts_to(email)[since:]


def meetings(factory: sessionmaker[Session]) -> list[Meeting]:
    with factory() as s:
        return list(s.scalars(select(Meeting).order_by(Meeting.seq)))


def test_the_halfway_prompts_name_a_moved_next_meeting_beyond_the_sweeps_window(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START)
    play(
        slack,
        """
time 2027-01-19 16:00
as aino@demo.example: check-in
as aino@demo.example: submit held=yes; usefulness=4; rapport=4; task=Draft an agenda
as mikko@demo.example: schedule
as mikko@demo.example: click Move meeting 2
as mikko@demo.example: submit date=2027-02-05; time=10:00
time 2027-01-28 12:00
""",
    )
    halfway = [t for t in seen(slack, AINO) if "Halfway" in t]
    assert halfway, "the halfway prompts arrived"
    assert all("Fri 5 Feb 2027" in t and "2 Feb" not in t for t in halfway)


def test_moving_a_meeting_to_the_time_it_already_has_changes_and_sends_nothing(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START)
    before = {m.seq: (m.ics_sequence, m.rescheduled_at) for m in meetings(factory)}
    mikko_before = len(seen(slack, MIKKO))
    play(
        slack,
        """
as aino@demo.example: schedule
as aino@demo.example: click Move meeting 2
as aino@demo.example: submit date=2027-02-02; time=14:00
""",
    )
    assert "already on" in seen(slack, AINO)[-1]
    assert {m.seq: (m.ics_sequence, m.rescheduled_at) for m in meetings(factory)} == before
    assert not any("moved" in t for t in seen(slack, MIKKO, mikko_before))
    with factory() as s:
        assert not s.scalars(select(Outbox).where(Outbox.dedupe_key.startswith("moved:"))).all()
    slack.advance(timedelta(days=14))
    with factory() as s:
        second = s.scalars(select(Meeting).where(Meeting.seq == 2)).one()
        keys = s.scalars(
            select(Outbox.dedupe_key).where(Outbox.dedupe_key.startswith(f"reminder:{second.id}."))
        ).all()
    assert sorted(keys) == sorted({k for k in keys if k.split(":")[1] == f"{second.id}.0"})


def test_a_check_in_that_disagrees_is_told_what_was_recorded_and_both_are_asked_to_check(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START)
    play(
        slack,
        """
time 2027-01-19 16:00
as aino@demo.example: check-in
as aino@demo.example: submit held=yes; usefulness=4; rapport=4
as mikko@demo.example: check-in
as mikko@demo.example: submit held=no
""",
    )
    told = seen(slack, MIKKO)[-1]
    assert "recorded as missed" not in told
    assert "Aino Virtanen recorded it as held" in told and "stays recorded as held" in told
    assert any("Mikko Laine recorded meeting 1 as not held" in t for t in seen(slack, AINO))
    assert meetings(factory)[0].status == "held"
    with factory() as s:
        (dispute,) = checkin_rule.open_disputes(s)
        assert dispute.seq == 1
        assert checkin_rule.unresolved_disputes(s, slack.clock.now()) == []
        later = slack.clock.now() + checkin_rule.CORRECTION_WINDOW + timedelta(minutes=1)
        assert checkin_rule.unresolved_disputes(s, later) == [dispute]


def test_an_author_corrects_their_own_check_in_within_a_week_and_the_dispute_is_settled(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START)
    play(
        slack,
        """
time 2027-01-19 16:00
as aino@demo.example: check-in
as aino@demo.example: submit held=yes; usefulness=4; rapport=4
as mikko@demo.example: check-in
as mikko@demo.example: submit held=no
time +3d
as mikko@demo.example: check-in
as mikko@demo.example: click Correct my check-in on meeting 1
as mikko@demo.example: submit held=yes; usefulness=5; rapport=4
""",
    )
    with factory() as s:
        assert checkin_rule.open_disputes(s) == []
        answers = sorted(c.held for c in s.scalars(select(CheckIn)))
    assert answers == [True, True]
    assert "now agree that meeting 1 was held" in seen(slack, AINO)[-1]
    play(slack, "time +8d\nas mikko@demo.example: check-in")
    assert not any("Correct my check-in" in b for b in slack_buttons(slack, MIKKO))
    play(slack, "as mikko@demo.example: click Correct my check-in on meeting 1")
    assert "already checked in on meeting 1" in seen(slack, MIKKO)[-1]


def slack_buttons(driver: SlackDriver, email: str) -> list[str]:
    from tests.slack.harness import buttons_of

    posts = driver.posts_to(driver.person(email))
    return [str(b["text"]["text"]) for b in buttons_of(posts[-1][1].blocks())] if posts else []


def test_closing_cancels_what_is_ahead_counts_the_unrecorded_and_sums_up_for_both(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START.replace("duration=6", "duration=3"))
    play(
        slack,
        """
time 2027-01-19 16:00
as aino@demo.example: check-in
as aino@demo.example: submit held=yes; usefulness=4; rapport=4; task=Draft an agenda
as aino@demo.example: reflect
as aino@demo.example: submit text=I want to lead with more confidence.
time 2027-03-30 10:00
as aino@demo.example: final evaluation
""",
    )
    asked = seen(slack, AINO)
    assert any("nobody has recorded whether these" in t for t in asked), asked[-6:]
    play(
        slack,
        """
as aino@demo.example: submit discussion=yes; goal1=achieved; usefulness=5; continuation=close
as mikko@demo.example: final evaluation
as mikko@demo.example: submit discussion=yes; goal1=achieved; usefulness=5; continuation=close
""",
    )
    before = meetings(factory)
    assert {m.status for m in before if m.scheduled_at > slack.clock.now()} == {"cancelled"}
    past = [m for m in before if m.scheduled_at <= slack.clock.now()]
    assert past[0].status == "held" and {m.status for m in past[1:]} == {"missed"}
    with factory() as s:
        assert {t.status for t in s.scalars(select(Task))} == {"dropped"}
    for email in (AINO, MIKKO):
        texts = seen(slack, email)
        summary = "\n".join(texts[next(i for i, t in enumerate(texts) if "in brief" in t) :])
        assert f"Meetings held: 1 of {len(past)}." in summary
        assert "Intermediate tasks done: 0 of 1. The one still open was closed" in summary
        assert "Lead the planning — achieved" in summary
        assert "Your plan: close the mentoring here." in summary
        assert "I cancelled the" in summary
    cancel = [b for b in slack.api.uploads.values() if b"METHOD:CANCEL" in b]
    assert len(cancel) == 2 and b"STATUS:CANCELLED" in cancel[0]
    play(slack, "time +2d\nas aino@demo.example: reflections")
    assert "I want to lead with more confidence." in seen(slack, AINO)[-1]


def test_the_series_skips_public_holidays_warns_late_hours_and_never_ends_on_a_day_off(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    agreed = START.split("as aino@demo.example: click Plan meetings")[0]
    play(slack, agreed)
    play(
        slack,
        """
as aino@demo.example: click Plan meetings
as aino@demo.example: submit date=2027-01-28; time=22:00
""",
    )
    proposal = seen(slack, AINO)
    assert any("22:00 is outside working hours" in t for t in proposal)
    assert any("Meeting 8 would fall on Thu 6 May 2027, a public holiday" in t for t in proposal)
    play(slack, "as aino@demo.example: click Book these meetings")
    helsinki = ZoneInfo("Europe/Helsinki")
    days = [m.scheduled_at.astimezone(helsinki).date() for m in meetings(factory)]
    assert date(2027, 5, 6) not in days and date(2027, 5, 7) in days  # Ascension Day
    assert all(worktime.is_working_day(d, "FI") for d in days)
    with factory() as s:
        m = s.scalars(select(Mentorship)).one()
        assert m.planned_end == date(2027, 7, 9)  # six months on is Sunday 11 July
        assert rules.closing_opens(m.planned_end) == date(2027, 6, 28)  # after Midsummer Eve


def test_each_reminder_carries_the_agenda_of_its_own_meeting(
    slack: SlackDriver, factory: sessionmaker[Session]
) -> None:
    play(slack, START.replace("duration=6", "duration=3"))
    assert len(meetings(factory)) == 6  # the middle one is 3, the last one 6
    play(slack, "time +14d\n" * 5 + "time 2027-03-31 09:00")  # in steps: as a clock would run
    agendas = _agendas(slack)
    assert sorted(agendas) == [1, 2, 3, 4, 5, 6]
    assert "Getting to know each other" in agendas[1] and "The goals" in agendas[1]
    assert "previous intermediate task" in agendas[3] and "interim evaluation" in agendas[3]
    assert "final discussion" in agendas[6] and "continuation plan" in agendas[6]
    assert "theme of the day" in agendas[2] and agendas[2] == agendas[4] == agendas[5]
    assert len({agendas[1], agendas[2], agendas[3], agendas[6]}) == 4


def _agendas(driver: SlackDriver) -> dict[int, str]:
    """Each reminder's agenda, by meeting number (a reminder is one post of several texts)."""
    out = {}
    for _, call in driver.posts_to(driver.person(AINO)):
        texts = section_texts(call.blocks())
        head = next((t for t in texts if t.startswith("Reminder: meeting")), None)
        if head is not None:
            n = int(head.split("meeting ")[1].split(" ")[0])
            out[n] = next(t for t in texts if "A suggested course" in t)
    return out
