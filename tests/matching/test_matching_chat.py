"""Matching in chat through the console: HR opens matching, profiles are filled, suggestions
come with reasons, both say yes and the pair reaches the agreement step; a decline is never
shown as one, and the person left is matched again without the declined pair."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.clock import SettableClock
from storage.matching import MatchingRound, MatchProfile, MatchProposal, ProposalStatus
from storage.models import Mentorship, Person
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    OTHER_MENTOR,
    PROGRAMME,
    SUPERVISOR,
    Chat,
    make_chat,
    onboard,
    seed_people,
)

PEOPLE = (HR, SUPERVISOR, ACTOR, MENTOR, OTHER_ACTOR, OTHER_MENTOR)


@pytest.fixture
def matching_chat(factory: sessionmaker[Session], clock: SettableClock) -> Chat:
    seed_people(factory, clock.now(), pair=False)
    made = make_chat(factory, clock.now(), sweeps=False)
    onboard(made, PEOPLE)
    return made


def _open(chat: Chat, mode: str = "hr") -> None:
    chat.say(HR, "matching open")
    chat.submit(
        HR,
        programme=PROGRAMME,
        mode=mode,
        topics="leadership, planning, sales",
        people=f"{ACTOR} {OTHER_ACTOR}\n{MENTOR}, {OTHER_MENTOR}",
    )


def _profiles(chat: Chat, mikko_capacity: str = "2") -> None:
    answers = {
        ACTOR: {"role": "actor", "wants": "leadership, planning", "languages": "fi, en"},
        OTHER_ACTOR: {"role": "actor", "wants": "sales", "languages": "fi"},
        MENTOR: {
            "role": "mentor",
            "offers": "leadership, planning",
            "languages": "fi",
            "capacity": mikko_capacity,
        },
        OTHER_MENTOR: {"role": "mentor", "offers": "sales", "languages": "fi", "capacity": "1"},
    }
    for email, fields in answers.items():
        chat.click(email, "Fill in my matching profile")
        chat.submit(email, meeting_mode="remote", working_days="mon, tue", **fields)
        assert "your matching profile for *Pilot* is saved" in chat.text_seen_by(email)


def _ids(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {p.email or "": p.id for p in session.scalars(select(Person))}


def test_hr_matching_from_opening_to_a_pair_at_the_agreement_step_and_a_decline_rematched(
    matching_chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat = matching_chat
    _open(chat)
    assert "4 people were asked" in chat.last(HR)
    _profiles(chat)

    mark = chat.mark()
    chat.say(HR, "suggestions")
    seen = chat.since(HR, mark)
    assert "Mikko Laine → Aino Virtanen" in seen
    assert "Mikko offers leadership and planning, which Aino wants" in seen
    assert "both work in Finnish" in seen and "Maija Salo → Olli Mäki" in seen
    chat.click(HR, "Propose all suggested pairs")
    assert "2 pairs proposed" in chat.last(HR)

    assert "I'd like to propose Mikko Laine as your mentor" in chat.text_seen_by(ACTOR)
    chat.click(ACTOR, "Yes, let's start")
    chat.click(MENTOR, "Yes, let's start")
    assert "Propose goals" in chat.text_seen_by(ACTOR) or "Propose goals" in "\n".join(
        b.label for m in chat.messages(ACTOR) for b in m.all_buttons
    )
    ids = _ids(factory)
    with factory() as session:
        pair = session.scalars(select(Mentorship)).one()
        assert (pair.mentor_id, pair.actor_id) == (ids[MENTOR], ids[ACTOR])

    before = chat.mark()
    chat.click(OTHER_ACTOR, "No, thank you")
    told = chat.since(OTHER_MENTOR, before)
    assert "another match is being looked for" in told
    assert "declin" not in told.lower() and " no" not in told.lower()
    assert "Nobody is told you said no" in chat.last(OTHER_ACTOR)

    mark = chat.mark()
    chat.say(HR, "suggestions")
    again = chat.since(HR, mark)
    assert "Mikko Laine → Olli Mäki" in again and "Maija Salo → Olli Mäki" not in again
    chat.click(HR, "Propose")
    chat.click(OTHER_ACTOR, "Yes, let's start")
    chat.click(MENTOR, "Yes, let's start")
    with factory() as session:
        pairs = {(m.mentor_id, m.actor_id) for m in session.scalars(select(Mentorship))}
        statuses = sorted(p.status for p in session.scalars(select(MatchProposal)))
    assert (ids[MENTOR], ids[OTHER_ACTOR]) in pairs and len(pairs) == 2
    assert statuses.count(ProposalStatus.ACCEPTED) == 2
    assert statuses.count(ProposalStatus.DECLINED) == 1


def test_a_profile_with_bad_answers_is_shown_again_with_the_problems_and_nothing_saved(
    matching_chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat = matching_chat
    _open(chat)
    chat.click(ACTOR, "Fill in my matching profile")
    chat.submit(ACTOR, role="actor", wants="", languages="xx", working_days="someday")
    shown = chat.last(ACTOR)
    assert "please name at least one topic" in shown
    assert "unknown language code(s) xx" in shown and "unknown day(s) someday" in shown
    with factory() as session:
        assert session.scalars(select(MatchProfile)).first() is None


def test_people_without_the_hr_role_cannot_open_matching_or_see_suggestions(
    matching_chat: Chat,
) -> None:
    chat = matching_chat
    chat.say(ACTOR, "matching open")
    assert "HR" in chat.last(ACTOR)
    chat.say(MENTOR, "suggestions")
    assert "HR" in chat.last(MENTOR)


def test_self_matching_shows_the_top_mentors_and_the_first_to_accept_becomes_the_mentor(
    matching_chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat = matching_chat
    _open(chat, mode="self")
    _profiles(chat)
    shown = chat.text_seen_by(ACTOR)
    assert "Mentors who fit you" in shown and "Mikko Laine" in shown
    chat.click(ACTOR, "Ask Mikko Laine")
    assert "I asked Mikko Laine" in chat.last(ACTOR)
    assert "Aino Virtanen would like you as their mentor" in chat.text_seen_by(MENTOR)
    chat.click(MENTOR, "Yes, let's start")
    with factory() as session:
        assert session.scalars(select(Mentorship)).one().actor.email == ACTOR


def test_an_unanswered_proposal_expires_after_seven_days_and_both_hear_the_same_words(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    seed_people(factory, clock.now(), pair=False)
    chat = make_chat(factory, clock.now(), sweeps=True)
    onboard(chat, PEOPLE)
    _open(chat, mode="hr")
    _profiles(chat)
    chat.say(HR, "suggestions")
    chat.click(HR, "Propose all suggested pairs")
    chat.click(ACTOR, "Yes, let's start")
    chat.console.clock.set(chat.console.clock.now() + timedelta(days=8))
    chat.console.deliver()
    for email in (ACTOR, MENTOR):
        assert "another match is being looked for" in chat.everything_seen_by(email)
    with factory() as session:
        statuses = {p.status for p in session.scalars(select(MatchProposal))}
    assert statuses == {ProposalStatus.EXPIRED}


def test_hr_sets_the_score_weights_in_chat_and_a_bad_weight_is_explained(
    matching_chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat = matching_chat
    chat.say(HR, "matching open")
    chat.submit(HR, programme=PROGRAMME, mode="auto", topics="sales", weights="age=3")
    assert "Weights are written as name=number" in chat.last(HR)
    chat.submit(HR, programme=PROGRAMME, mode="auto", topics="sales", weights="topics=4; hours=2")
    assert "is open" in chat.last(HR)
    with factory() as session:
        stored = session.scalars(select(MatchingRound)).one()
        assert stored.weights == {"topics": 4.0, "hours": 2.0} and stored.mode == "auto"


def test_hr_swaps_a_suggested_mentor_only_for_one_the_hard_rules_allow(
    matching_chat: Chat, factory: sessionmaker[Session]
) -> None:
    chat = matching_chat
    _open(chat)
    _profiles(chat)
    chat.say(HR, "suggestions")
    ids = _ids(factory)
    with factory() as session:
        olli = session.scalars(
            select(MatchProposal).where(MatchProposal.actor_id == ids[OTHER_ACTOR])
        ).one()
    chat.press(HR, "matching.swap", str(olli.id))
    form = chat.console.last_form(HR)
    offered = {o.value for o in form.inputs[0].options}
    assert offered == {str(ids[OTHER_MENTOR]), str(ids[MENTOR])}  # Mikko has a second place
    assert str(ids[SUPERVISOR]) not in offered
    chat.send_form(HR, "matching.swap", str(olli.id), mentor=str(ids[ACTOR]))
    assert "Some answers need another look" in chat.last(HR)  # not a mentor: refused
    chat.submit(HR, mentor=str(ids[MENTOR]))
    assert "Mikko Laine → Olli Mäki" in chat.last(HR)
    chat.click(HR, "Propose")
    assert "I'd like to propose you as the mentor of Olli Mäki" in chat.text_seen_by(MENTOR)
