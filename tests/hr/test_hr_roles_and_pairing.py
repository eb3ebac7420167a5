"""HR roles (setting + grants), refusal of HR commands to everyone else, and HR pairing,
ending and re-pairing in chat — each action audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.hr_cli import startup
from bot.settings import Settings
from conversations.commands import COMMAND_WORDS
from storage.models import AuditLog, Meeting, MeetingStatus, Mentorship, Outbox, Person, Phase
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    OTHER_MENTOR,
    SUPERVISOR,
    Chat,
    agree,
    book,
    onboard,
)

pytestmark = pytest.mark.no_sweeps

HR_COMMANDS = (
    "hr_help",
    "grant_hr",
    "revoke_hr",
    "new_programme",
    "programmes",
    "pair",
    "pairs",
    "report",
    "alerts",
    "queue",
)
NOT_HR = (ACTOR, MENTOR, SUPERVISOR, OTHER_ACTOR, OTHER_MENTOR)


def _audit(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _person(factory: sessionmaker[Session], email: str) -> Person:
    with factory() as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        session.expunge(person)
        return person


@pytest.mark.parametrize("name", HR_COMMANDS)
def test_hr_commands_are_refused_to_everyone_without_the_hr_role(chat: Chat, name: str) -> None:
    onboard(chat, NOT_HR)
    for email in NOT_HR:
        if name == "pairs" and email == SUPERVISOR:
            continue  # a supervisor's pairs: their own reports only (test_hr_pairs_and_queue)
        chat.say(email, f"{COMMAND_WORDS[name][0]} {MENTOR}")
        assert "Only the programme's HR coordinators can do that." in chat.last(email), email


def test_hr_buttons_and_forms_are_refused_when_forged_by_others(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR])
    with factory() as session:
        mid = session.scalars(select(Mentorship.id)).first()
    chat.press(ACTOR, "hr.end", str(mid))
    assert "Only the programme's HR" in chat.last(ACTOR)
    chat.send_form(ACTOR, "hr.end", str(mid), reason="forged")
    assert "Only the programme's HR" in chat.last(ACTOR)
    chat.press(ACTOR, "hr.alert_handled", "1")
    assert "Only the programme's HR" in chat.last(ACTOR)
    with factory() as session:
        assert session.get(Mentorship, mid).phase == Phase.START  # type: ignore[union-attr]


def test_hr_grants_and_revokes_the_hr_role_in_chat_and_it_is_audited(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR, SUPERVISOR])
    chat.say(SUPERVISOR, "pairs")
    assert "1 pair," in chat.last(SUPERVISOR)  # a supervisor: their own report's pair only
    chat.say(HR, f"grant hr {SUPERVISOR}")
    assert "Sanna Koskinen is now an HR coordinator." in chat.last(HR)
    assert "You are now an HR coordinator" in chat.text_seen_by(SUPERVISOR)
    chat.say(SUPERVISOR, "pairs")
    assert "2 pairs," in chat.text_seen_by(SUPERVISOR)
    chat.say(SUPERVISOR, f"revoke hr {HR}")
    assert "no longer an HR coordinator" in chat.last(SUPERVISOR)
    chat.say(HR, "pairs")
    assert "Only the programme's HR" in chat.last(HR)
    chat.say(SUPERVISOR, f"revoke hr {SUPERVISOR}")
    assert "can't take the HR role from yourself" in chat.last(SUPERVISOR)
    grants = _audit(factory, "role.hr.grant")
    revokes = _audit(factory, "role.hr.revoke")
    assert [(a.actor, a.subject_person_id) for a in grants] == [
        (HR, _person(factory, SUPERVISOR).id)
    ]
    assert [(a.actor, a.subject_person_id) for a in revokes] == [
        (SUPERVISOR, _person(factory, HR).id)
    ]
    assert _audit(factory, "pairs.list")[0].actor == SUPERVISOR


def test_the_hr_emails_setting_grants_the_role_at_start(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    settings = Settings.model_validate({"MENTORBOT_HR_EMAILS": f"{MENTOR.upper()}, nobody@x.fi"})
    startup(factory, settings, chat.console.clock.now())
    assert _person(factory, MENTOR).is_hr
    assert not _person(factory, OTHER_MENTOR).is_hr
    assert _audit(factory, "role.hr.grant")[0].actor == "setting:MENTORBOT_HR_EMAILS"
    startup(factory, settings, chat.console.clock.now())
    assert len(_audit(factory, "role.hr.grant")) == 1


def test_hr_creates_a_programme_in_chat_with_friendly_validation(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [HR])
    chat.say(HR, "new programme")
    chat.submit(HR, name="Pilot", goals="Grow", duration="6", interval="40", max_actors="2")
    seen = chat.last(HR)
    assert "A programme called Pilot already exists." in seen
    assert "whole number from 7 to 31" in seen
    chat.submit(HR, name="Returners 2027", interval="14")
    assert "Programme *Returners 2027* created: 6 months" in chat.last(HR)
    chat.say(HR, "programmes")
    assert "Returners 2027" in chat.last(HR) and "Pilot" in chat.last(HR)
    assert _audit(factory, "programme.create")[-1].actor == HR


def test_hr_pairs_ends_and_re_pairs_in_chat(chat: Chat, factory: sessionmaker[Session]) -> None:
    onboard(chat, [HR, ACTOR, MENTOR, OTHER_MENTOR])
    agree(chat)
    book(chat)
    # ending the pair with a reason: both told, future meetings cancelled, audited
    chat.say(HR, "pairs")
    chat.click(HR, "Aino Virtanen")
    chat.click(HR, "End early")
    assert "Ending the mentoring of Aino Virtanen by Mikko Laine early" in chat.last(HR)
    chat.submit(HR, reason="")
    assert "This is needed." in chat.last(HR)
    chat.submit(HR, reason="Mentor moved to another country")
    assert "has ended" in chat.last(HR)
    for email in (ACTOR, MENTOR):
        assert "has been ended by the programme's HR coordinator" in chat.text_seen_by(email)
        assert "another country" not in chat.text_seen_by(email)
    with factory() as session:
        m = session.scalars(select(Mentorship).where(Mentorship.id == 1)).one()
        assert m.phase == Phase.CANCELLED and m.end_reason == "Mentor moved to another country"
        statuses = set(session.scalars(select(Meeting.status).where(Meeting.mentorship_id == 1)))
        assert statuses == {MeetingStatus.CANCELLED}
    detail = _audit(factory, "pair.end")[0].detail  # ids only: the reason is on the pair
    assert detail["mentorship_id"] == 1 and "reason" not in detail
    # pairing anew in chat, with the rules checked in the form
    chat.say(HR, "pair")
    chat.submit(HR, programme="1", mentor=OTHER_MENTOR, actor=OTHER_ACTOR)
    assert "already has an active mentor" in chat.last(HR)
    chat.submit(HR, mentor="nobody@example.com", actor=ACTOR)
    assert "I don't find anyone with the email nobody@example.com" in chat.last(HR)
    chat.submit(HR, mentor=OTHER_MENTOR, actor=ACTOR)
    assert "Paired: Maija Salo mentors Aino Virtanen" in chat.last(HR)
    assert "Maija Salo" in chat.last(ACTOR)
    # re-pairing: the new pair ends, the actor gets a new mentor
    with factory() as session:
        new_id = session.scalars(
            select(Mentorship.id).where(Mentorship.phase == Phase.START).order_by(Mentorship.id)
        ).all()[-1]
    chat.press(HR, "hr.repair", str(new_id))
    chat.submit(HR, mentor=MENTOR, reason="A better match")
    assert "Paired: Mikko Laine mentors Aino Virtanen" in chat.last(HR)
    with factory() as session:
        phases = {i: p for i, p in session.execute(select(Mentorship.id, Mentorship.phase))}
        assert phases[new_id] == Phase.CANCELLED
        assert len(session.scalars(select(Outbox).where(Outbox.kind == "pair_ended")).all()) == 4
    assert len(_audit(factory, "pair.add")) >= 2
    # a stale button on an ended pair is answered politely
    chat.press(HR, "hr.end", str(new_id))
    assert "That pair is no longer active." in chat.last(HR)


def test_hr_help_lists_the_hr_commands_for_hr_only(chat: Chat) -> None:
    onboard(chat, [HR, ACTOR])
    chat.say(HR, "help")
    assert "hr help" in chat.text_seen_by(HR)
    assert "hr help" not in chat.text_seen_by(ACTOR)
    chat.say(HR, "hr help")
    assert "grant hr" in chat.last(HR) and "report" in chat.last(HR)
