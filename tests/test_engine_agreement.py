"""The clear start: onboarding, the agreement both accept, the supervisor kickoff."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Mentorship, Outbox, Person, Phase, PlatformIdentity
from tests.chat import ACTOR, HR, MENTOR, OTHER_ACTOR, SUPERVISOR, Chat, agree, onboard

pytestmark = pytest.mark.no_sweeps


def _mentorship(factory: sessionmaker[Session], actor: str = ACTOR) -> Mentorship:
    with factory() as session:
        m = session.scalars(
            select(Mentorship).join(Mentorship.actor).where(Person.email == actor)
        ).one()
        _ = (m.agreement, m.goals, m.meetings)
        return m


def test_first_contact_links_the_platform_user_by_email_and_asks_language(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat.say(ACTOR, "hi")
    assert "Which language" in chat.text_seen_by(ACTOR)
    with factory() as session:
        identity = session.scalars(select(PlatformIdentity)).one()
        assert identity.platform == "console"
        assert identity.person.email == ACTOR


def test_onboarding_explains_roles_and_privacy_then_offers_the_next_step(chat: Chat) -> None:
    onboard(chat, [ACTOR])
    seen = chat.text_seen_by(ACTOR)
    assert "As an actor" in seen
    assert "What a supervisor sees" in seen
    assert "Propose goals" in seen


def test_onboarding_in_finnish_switches_the_language(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR], language="Suomi")
    chat.say(ACTOR, "tila")
    with factory() as session:
        assert session.scalars(select(Person.locale).where(Person.email == ACTOR)).one() == "fi"
    assert "Waiting for you" not in chat.last(ACTOR)


def test_unknown_person_is_told_to_contact_hr_in_both_languages(chat: Chat) -> None:
    chat.say("stranger@example.com", "hello")
    seen = chat.text_seen_by("stranger@example.com")
    assert "ask your HR contact" in seen
    assert "HR" in seen


def test_pairing_welcomes_both_parties_through_the_outbox(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    with factory() as session:
        keys = set(session.scalars(select(Outbox.dedupe_key)))
    m = _mentorship(factory)
    assert {f"welcome:{m.id}:{m.actor_id}", f"welcome:{m.id}:{m.mentor_id}"} <= keys
    chat.say(ACTOR, "hello")  # any step lets the console deliver what is due
    assert "Your mentor is" in chat.text_seen_by(ACTOR)
    assert "You will mentor" in chat.text_seen_by(MENTOR)


def test_both_acceptances_start_development_and_ask_the_supervisor(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    m = _mentorship(factory)
    assert m.phase == Phase.DEVELOPMENT
    assert m.agreement.actor_accepted_at and m.agreement.mentor_accepted_at
    assert m.planned_end is not None
    assert [g.status for g in m.goals] == ["agreed", "agreed"]
    kickoff = chat.text_seen_by(SUPERVISOR)
    assert "Please talk with" in kickoff
    assert "Lead the weekly planning" in kickoff  # the actor agreed to share goal titles


def test_supervisor_kickoff_omits_goal_titles_when_the_actor_did_not_agree(chat: Chat) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat, share_goals="no")
    kickoff = chat.text_seen_by(SUPERVISOR)
    assert "Please talk with" in kickoff
    assert "Lead the weekly planning" not in kickoff


def test_supervisor_confirms_discussion_and_time_which_are_recorded_without_content(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR, SUPERVISOR])
    agree(chat)
    chat.click(SUPERVISOR, "We discussed the goals")
    chat.click(SUPERVISOR, "Time is arranged")
    m = _mentorship(factory)
    assert m.agreement.supervisor_goals_discussed_at is not None
    assert m.agreement.supervisor_time_arranged_at is not None
    chat.click(SUPERVISOR, "supervisor.discussed")
    assert "already recorded" in chat.last(SUPERVISOR)


def test_a_change_by_the_mentor_resets_acceptance_and_stale_accept_buttons_refuse(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead planning", success1="On my own", duration="6", share_goals="no")
    chat.click(ACTOR, "Accept")
    stale_accept = chat.console.find_button(MENTOR, "Accept")
    chat.click(MENTOR, "Suggest changes")
    chat.submit(MENTOR, comment="Let's make it concrete", success1="I run it twice alone")
    m = _mentorship(factory)
    assert m.agreement.revision == 2
    assert m.agreement.actor_accepted_at is None
    chat.press(MENTOR, stale_accept.action_id, stale_accept.value)
    assert "changed since" in chat.text_seen_by(MENTOR)
    assert _mentorship(factory).agreement.mentor_accepted_at is None


def test_accepting_twice_is_refused_politely_and_changes_nothing(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead planning", success1="On my own", duration="6", share_goals="no")
    chat.click(ACTOR, "Accept")
    first = _mentorship(factory).agreement.actor_accepted_at
    chat.click(ACTOR, "agreement.accept")
    assert "already accepted" in chat.last(ACTOR)
    assert _mentorship(factory).agreement.actor_accepted_at == first


def test_someone_elses_agreement_button_is_refused(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, OTHER_ACTOR, HR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead planning", success1="On my own", duration="6", share_goals="no")
    accept = chat.console.find_button(ACTOR, "Accept")
    for outsider in (OTHER_ACTOR, HR):
        chat.press(outsider, accept.action_id, accept.value)
        assert "belongs to someone else" in chat.last(outsider)
    m = _mentorship(factory)
    assert m.agreement.actor_accepted_at is None and m.phase == Phase.START


def test_the_mentor_cannot_draft_before_the_actor_proposes(chat: Chat) -> None:
    onboard(chat, [MENTOR])
    with chat.console.factory() as session:
        mentorship_id = str(session.scalars(select(Mentorship.id)).first())
    chat.press(MENTOR, "agreement.change", mentorship_id)
    assert "proposes the goals first" in chat.last(MENTOR)
