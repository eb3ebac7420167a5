"""Announcements (preview, confirm, outbox, sent/failed counts), mentor workshops (sign-up,
capacity, cancel, reminder the day before), buddies, the mentor guide, and eligibility
invitations by the sweep with the opt-in told to HR."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import run_sweep
from conversations.channels import forget_channel
from conversations.texts import strip_user_marks
from storage.db import transaction
from storage.models import (
    AuditLog,
    Invitation,
    Mentorship,
    Outbox,
    OutboxStatus,
    Person,
    Phase,
)
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    OTHER_MENTOR,
    SUPERVISOR,
    Chat,
    onboard,
)

EVERYONE = (ACTOR, MENTOR, SUPERVISOR, HR, OTHER_ACTOR, OTHER_MENTOR)


def test_hr_announces_to_mentors_after_a_preview_and_sees_delivery_counts(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, EVERYONE)
    chat.say(ACTOR, "announce")
    assert "Only the programme's HR" in chat.last(ACTOR)
    chat.say(HR, "announce")
    chat.submit(HR, audience="mentors", text="")
    assert "This is needed." in chat.last(HR)
    chat.submit(HR, audience="mentors", text="Mentor coffee on Friday <!channel>")
    preview = chat.last(HR)
    assert "*Preview* — to mentors (2 people):" in preview and "Mentor coffee" in preview
    assert "Mentor coffee" not in chat.text_seen_by(MENTOR)  # nothing sent before confirming
    chat.click(HR, "Send")
    assert "Sent to the outbox for 2 people" in chat.last(HR)
    for email in (MENTOR, OTHER_MENTOR):
        assert "Mentor coffee on Friday <!channel>" in chat.last(email)
    for email in (ACTOR, OTHER_ACTOR, SUPERVISOR):
        assert "Mentor coffee" not in chat.text_seen_by(email)
    chat.press(HR, "hr.announce.send", "1")
    assert "already been sent" in chat.last(HR)
    with transaction(factory) as session:  # one delivery fails for good on the platform
        row = session.scalars(select(Outbox).where(Outbox.kind == "announcement")).first()
        assert row is not None
        row.status = OutboxStatus.DEAD
    chat.say(HR, "announcements")
    assert "to mentors: 1 sent, 1 failed, 0 waiting" in chat.last(HR)
    chat.say(HR, "announce")
    chat.submit(HR, audience="supervisors", text="Thank you, supervisors")
    assert "to supervisors (1 person)" in chat.last(HR)
    chat.click(HR, "Discard")
    assert "Discarded" in chat.last(HR)
    assert "Thank you, supervisors" not in chat.text_seen_by(SUPERVISOR)
    with factory() as session:
        sent = session.scalars(select(AuditLog).where(AuditLog.action == "announcement.send"))
        assert [a.detail["recipients"] for a in sent] == [2]


def test_hr_announces_in_a_channel_the_bot_was_added_to_through_the_outbox(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, EVERYONE)
    chat.say(HR, "announce")
    assert "add Mentorbot to that channel first" in chat.last(HR)
    chat.submit(HR, audience="channel:1", text="Welcome, everyone")
    assert "Please choose one of the options." in chat.last(HR)  # no such channel yet
    chat.console.join_channel("#mentoring")
    chat.console.join_channel("#old-news")
    forget_channel(
        factory, platform="console", channel_id="#old-news", now=chat.console.clock.now()
    )
    chat.say(HR, "announce")
    form = chat.console.last_form(HR)
    audience = next(i for i in form.inputs if i.name == "audience")
    labels = [strip_user_marks(o.label) for o in audience.options]
    assert "the channel #mentoring" in labels and "the channel #old-news" not in labels
    channel = next(o.value for o in audience.options if "#mentoring" in o.label)
    chat.submit(HR, audience=channel, text="Applications for the spring round are open")
    assert "*Preview* — to the channel #mentoring:" in chat.last(HR)
    assert "spring round" not in chat.text_seen_by("#mentoring")  # nothing before confirming
    chat.click(HR, "Send")
    assert "Sent to the outbox for the channel #mentoring" in chat.last(HR)
    assert "Applications for the spring round are open" in chat.last("#mentoring")
    for email in set(EVERYONE) - {HR}:  # a channel post is not a DM to anyone
        assert "spring round" not in chat.everything_seen_by(email)
    with factory() as session:
        row = session.scalars(select(Outbox).where(Outbox.kind == "announcement")).one()
        assert row.person_id is None and row.channel_id is not None
        assert row.status == OutboxStatus.SENT
        assert row.dedupe_key.endswith(f":channel:{row.channel_id}")
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "announcement.send")
        ).one()
        assert audit.detail["channel"] == "#mentoring" and audit.detail["recipients"] == 1
    chat.say(HR, "announcements")
    assert "to the channel #mentoring: 1 sent, 0 failed, 0 waiting" in chat.last(HR)


def test_a_channel_the_bot_left_after_the_preview_gets_nothing(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, (HR,))
    chat.console.join_channel("#mentoring")
    chat.say(HR, "announce")
    form = chat.console.last_form(HR)
    audience = next(i for i in form.inputs if i.name == "audience")
    channel = next(o.value for o in audience.options if "#mentoring" in o.label)
    chat.submit(HR, audience=channel, text="Hello channel")
    forget_channel(
        factory, platform="console", channel_id="#mentoring", now=chat.console.clock.now()
    )
    chat.click(HR, "Send")
    assert "no longer in that channel" in chat.last(HR)
    with factory() as session:
        assert session.scalars(select(Outbox).where(Outbox.kind == "announcement")).all() == []
    chat.console.join_channel("#mentoring")  # added back: the same draft can go now
    chat.click(HR, "Send")
    assert "Hello channel" in chat.last("#mentoring")


def test_mentors_sign_up_for_a_workshop_within_its_capacity_and_are_reminded(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR, MENTOR, OTHER_MENTOR, ACTOR])
    chat.say(HR, "workshop")
    chat.submit(
        HR, title="Giving good tasks", date="2027-01-20", time="13:00", place="Room 4", capacity="1"
    )
    assert "announced to 2 mentors" in chat.last(HR)
    assert "Mentor workshop: Giving good tasks" in chat.last(MENTOR)
    assert "Giving good tasks" not in chat.text_seen_by(ACTOR)
    chat.click(MENTOR, "Sign up")
    assert "You have a place at *Giving good tasks*" in chat.last(MENTOR)
    chat.click(MENTOR, "Sign up")
    assert "You already have a place." in chat.last(MENTOR)
    chat.click(OTHER_MENTOR, "Sign up")
    assert "is full" in chat.last(OTHER_MENTOR)
    chat.click(MENTOR, "Cancel my place")
    assert "is cancelled" in chat.last(MENTOR)
    chat.click(OTHER_MENTOR, "Sign up")
    assert "You have a place" in chat.last(OTHER_MENTOR)
    chat.say(HR, "workshops")
    listing = chat.last(HR)
    assert "1 of 1 place taken" in listing and "Maija Salo" in listing
    assert "Mikko Laine" not in listing
    # the reminder: from 09:00 the working day before, to place holders only
    before = chat.mark()
    chat.console.advance(timedelta(days=8, hours=1))  # Tue 19 Jan 10:00
    assert "the mentor workshop *Giving good tasks* is tomorrow" in chat.since(OTHER_MENTOR, before)
    assert "is tomorrow" not in chat.since(MENTOR, before)
    chat.console.advance(timedelta(days=2))
    chat.press(OTHER_MENTOR, "workshop.cancel", "1")
    assert "already started" in chat.last(OTHER_MENTOR)
    with factory() as session:
        reminders = session.scalars(select(Outbox).where(Outbox.kind == "workshop.reminder"))
        assert len(list(reminders)) == 1


def test_mentor_guide_and_buddies_for_new_mentors(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR, MENTOR, OTHER_MENTOR])
    chat.say(MENTOR, "mentor guide")
    guide = chat.last(MENTOR)
    assert "The mentor's guide" in guide and "intermediate task" in guide
    chat.say(HR, "buddies")
    assert "No mentor has completed a relationship yet" in chat.last(HR)
    with transaction(factory) as session:
        session.execute(update(Mentorship).where(Mentorship.id == 2).values(phase=Phase.CLOSED))
    chat.say(HR, "buddies")
    assert "Mikko Laine is a new mentor; Maija Salo could be their buddy." in chat.last(HR)
    chat.click(HR, "Introduce them")
    assert "Introduced Mikko Laine and Maija Salo" in chat.last(HR)
    for email in (MENTOR, OTHER_MENTOR):
        assert "suggests that Maija Salo, an experienced mentor, be a buddy" in chat.last(email)
    chat.press(MENTOR, "hr.buddy", "3:4")
    assert "Only the programme's HR" in chat.last(MENTOR)


def test_new_employees_and_returners_are_invited_once_and_an_opt_in_tells_hr(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    today = now.date()
    with transaction(factory) as session:
        for email, name, start, back in (
            ("uusi@example.com", "Uusi Työntekijä", today - timedelta(days=20), None),
            ("palaaja@example.com", "Paula Palaaja", date(2020, 1, 1), today + timedelta(days=7)),
            ("vanha@example.com", "Vanha Konka", today - timedelta(days=200), None),
        ):
            session.add(
                Person(
                    email=email,
                    name=name,
                    employment_start=start,
                    returning_from_leave=back,
                    created_at=now,
                )
            )
        actor = session.scalars(select(Person).where(Person.email == ACTOR)).one()
        actor.employment_start = today - timedelta(days=10)  # already has a mentor
    onboard(chat, [HR])
    run_sweep(factory, now)
    run_sweep(factory, now + timedelta(minutes=5))
    with factory() as session:
        invited = {
            p.email: i.reason
            for i, p in session.execute(
                select(Invitation, Person).join(Person, Person.id == Invitation.person_id)
            )
        }
        rows = session.scalars(select(Outbox).where(Outbox.kind == "invitation")).all()
    assert invited == {"uusi@example.com": "new_employee", "palaaja@example.com": "returning"}
    assert len(rows) == 2
    onboard(chat, ["uusi@example.com", "palaaja@example.com"])
    chat.console.advance(timedelta(minutes=1))
    assert "Welcome to the organisation!" in chat.text_seen_by("uusi@example.com")
    assert "Welcome back!" in chat.text_seen_by("palaaja@example.com")
    chat.click("uusi@example.com", "Yes, I'd like a mentor")
    assert "I've told the HR coordinator" in chat.last("uusi@example.com")
    assert "Uusi Työntekijä, a new employee, would like a mentor." in chat.text_seen_by(HR)
    opt_in = next(b for b in chat.console.last_buttons(HR) if b.action_id == "hr.pair_person")
    chat.press(ACTOR, "hr.pair_person", opt_in.value)  # HR's button pressed by someone else
    assert "Only the programme's HR" in chat.last(ACTOR)
    chat.press(HR, "hr.pair_person", "999")
    assert "That button is no longer valid" in chat.last(HR)
    chat.click(HR, "Find them a mentor")
    assert chat.console.last_form(HR).values["actor"] == "uusi@example.com"
    chat.click("uusi@example.com", "No, thank you")
    assert "already answered" in chat.last("uusi@example.com")
    chat.click("palaaja@example.com", "No, thank you")
    assert "If you change your mind" in chat.last("palaaja@example.com")
    assert "Paula" not in chat.text_seen_by(HR)
    chat.press(ACTOR, "invite.yes", "999")
    assert "belongs to someone else" in chat.last(ACTOR)


def test_invitations_and_workshop_places_are_exported_and_erased_with_the_person(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from conversations.erasure import erase_person
    from storage.export import person_data
    from storage.models import WorkshopSignup

    onboard(chat, [HR, MENTOR])
    chat.say(HR, "workshop")
    chat.submit(HR, title="Listening", date="2027-01-20", time="13:00", place="Teams", capacity="5")
    chat.click(MENTOR, "Sign up")
    now = chat.console.clock.now()
    with transaction(factory) as session:
        mentor = session.scalars(select(Person).where(Person.email == MENTOR)).one()
        session.add(Invitation(person_id=mentor.id, reason="returning", invited_at=now))
        session.flush()
        data = person_data(session, mentor)
        assert data["workshop_places"][0]["workshop"] == "Listening"
        assert data["invitation"][0]["reason"] == "returning"
        erase_person(session, now, HR, mentor)
    with factory() as session:
        assert session.scalars(select(WorkshopSignup)).all() == []
        assert session.scalars(select(Invitation)).all() == []
