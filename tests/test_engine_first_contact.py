"""First contact speaks to the person's role, and forms ask each person only what is theirs."""

from __future__ import annotations

from tests.chat import ACTOR, HR, MENTOR, SUPERVISOR, Chat, agree, book, onboard


def test_supervisor_and_hr_are_not_greeted_as_a_mentoring_partner(chat: Chat) -> None:
    for email in (SUPERVISOR, HR):
        chat.say(email, "hello")
        greeting = chat.last(email)
        assert "mentoring partner" not in greeting
    assert "reports' mentoring" in chat.text_seen_by(SUPERVISOR)
    assert "run the mentoring programme" in chat.text_seen_by(HR)
    chat.say(ACTOR, "hello")
    assert "you and your mentoring partner" in chat.last(ACTOR)


def test_hr_onboarding_points_to_hr_help(chat: Chat) -> None:
    onboard(chat, [HR])
    assert "*hr help*" in chat.text_seen_by(HR)


def test_the_mentor_is_not_asked_the_actors_supervisor_sharing_question(chat: Chat) -> None:
    onboard(chat, [ACTOR, MENTOR])
    chat.click(ACTOR, "Propose goals")
    assert "share_goals" in {i.name for i in chat.console.last_form(ACTOR).inputs}
    chat.submit(ACTOR, goal1="Lead planning", success1="I run it", share_goals="yes")
    chat.click(MENTOR, "Suggest changes")
    form = chat.console.last_form(MENTOR)
    assert "share_goals" not in {i.name for i in form.inputs}
    assert "share_goals" not in form.values
    chat.submit(MENTOR, comment="Good start")
    assert "Some answers need another look" not in chat.last(MENTOR)


def test_checkin_ratings_say_they_are_needed_when_the_meeting_happened(chat: Chat) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    book(chat)
    chat.console.advance(
        chat.console.clock.now().replace(day=19, hour=16) - chat.console.clock.now()
    )
    chat.say(ACTOR, "check-in")
    labels = {i.name: i.label for i in chat.console.last_form(ACTOR).inputs}
    assert "needed if the meeting happened" in labels["usefulness"]
    assert "needed if the meeting happened" in labels["rapport"]
    chat.submit(ACTOR, held="yes")
    errors = chat.console.last_form(ACTOR).errors
    assert set(errors) >= {"usefulness", "rapport"}


def test_a_partner_hears_whether_the_agreement_was_drafted_or_changes_suggested(
    chat: Chat,
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    chat.click(ACTOR, "Propose goals")
    chat.submit(ACTOR, goal1="Lead planning", success1="I run it", share_goals="yes")
    assert "Aino Virtanen has drafted the mentoring agreement" in chat.text_seen_by(MENTOR)
    mark = chat.mark()
    chat.click(MENTOR, "Suggest changes")
    chat.submit(MENTOR, success1="I run it on my own", comment="A little more concrete")
    told = chat.since(ACTOR, mark)
    assert "Mikko Laine suggested changes to the mentoring agreement" in told
    assert "has drafted" not in told


def test_a_supervisor_sees_no_meetings_booked_rather_than_0_of_0(chat: Chat) -> None:
    onboard(chat, [ACTOR, MENTOR, SUPERVISOR])
    agree(chat)
    chat.say(SUPERVISOR, "status")
    seen = chat.last(SUPERVISOR) + chat.text_seen_by(SUPERVISOR)
    assert "no meetings booked yet" in seen
    assert "0 of 0" not in seen


def test_the_programme_form_explains_the_meeting_interval(chat: Chat) -> None:
    onboard(chat, [HR])
    chat.say(HR, "new programme")
    hints = [i.hint or "" for i in chat.console.last_form(HR).inputs]
    assert any("every two weeks" in h for h in hints)
    assert not any("model says" in h for h in hints)
