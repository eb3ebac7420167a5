"""HR's pair overview and follow-up queue, played through the console as people would: HR sees
the pairs, what needs attention first; a meeting the partners recorded differently and a
continuation request reach HR's queue, and HR acts on each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.render import render_message
from adapters.teams.cards import MAX_CARD_SIZE, render_cards, teams_size
from bot import admin
from conversations.texts import Texts
from storage.db import transaction
from storage.models import (
    AuditLog,
    HrQueueItem,
    Meeting,
    MeetingStatus,
    Mentorship,
    Phase,
    QueueKind,
)
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    OTHER_MENTOR,
    PROGRAMME,
    SUPERVISOR,
    Chat,
    agree,
    book,
    onboard,
)
from testsupport.seed import seed_pairs

pytestmark = pytest.mark.postgres  # the queue's reads and its insert-once differ by dialect

EVERYONE = [ACTOR, MENTOR, SUPERVISOR, HR, OTHER_ACTOR, OTHER_MENTOR]


def _first_meeting(factory: sessionmaker[Session]) -> Meeting:
    with factory() as session:
        meeting = session.scalars(select(Meeting).order_by(Meeting.seq)).first()
        assert meeting is not None
        return meeting


def _items(factory: sessionmaker[Session]) -> list[HrQueueItem]:
    with factory() as session:
        return list(session.scalars(select(HrQueueItem).order_by(HrQueueItem.id)))


def _disputed_meeting(chat: Chat, factory: sessionmaker[Session]) -> Meeting:
    onboard(chat, EVERYONE)
    agree(chat, duration="3", share_goals="no")
    book(chat)
    meeting = _first_meeting(factory)
    chat.console.advance(meeting.scheduled_at + timedelta(hours=1) - chat.console.clock.now())
    chat.say(ACTOR, "check-in")
    chat.submit(ACTOR, held="yes", usefulness="4", rapport="4", note="")
    chat.say(MENTOR, "check-in")
    chat.submit(MENTOR, held="no")
    return meeting


def test_hr_sees_every_pair_attention_first_and_filters_in_english_and_finnish(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, EVERYONE)
    agree(chat, share_goals="no")
    mark = chat.mark()
    chat.say(HR, "pairs")
    seen = chat.since(HR, mark)
    assert "2 pairs, what needs attention first" in seen
    assert "*Aino Virtanen* with Mikko Laine (Pilot)" in seen
    assert "*Olli Mäki* with Maija Salo (Pilot)" in seen
    assert "no meetings booked yet" in seen and "0 of 0" not in seen
    assert "tasks 0 open, 0 done" in seen and "interim 0/2, final 0/2" in seen
    mark = chat.mark()
    chat.say(HR, "parit päätösvaiheessa")
    assert "No pairs match" in chat.since(HR, mark)
    mark = chat.mark()
    chat.say(HR, "pairs maija")
    seen = chat.since(HR, mark)
    assert "Olli Mäki" in seen and "Aino Virtanen" not in seen
    mark = chat.mark()
    chat.say(HR, "pairs nobody-like-this")
    assert "I don't find a programme or a single mentor" in chat.since(HR, mark)
    chat.click(HR, "Aino Virtanen")
    chat.click(HR, "History")
    assert "paired" in chat.last(HR) and "development began" in chat.last(HR)
    with factory() as session:
        actions = [a.action for a in session.scalars(select(AuditLog))]
    assert {"pairs.list", "pair.view", "pair.history"} <= set(actions)
    assert "pairs.supervisor_list" not in actions
    # the supervisor asks for the same overview of their own report only, progress only
    mark = chat.mark()
    chat.say(SUPERVISOR, "pairs")
    seen = chat.since(SUPERVISOR, mark)
    assert "*Aino Virtanen* with Mikko Laine" in seen and "Olli Mäki" not in seen
    assert "tasks" not in seen and "evaluations" not in seen
    with factory() as session:
        reads = session.scalars(select(AuditLog).where(AuditLog.action == "pairs.supervisor_list"))
        assert [a.actor for a in reads] == [SUPERVISOR]
    mark = chat.mark()
    chat.say(OTHER_ACTOR, "pairs")
    assert "Only the programme's HR coordinators can do that." in chat.since(OTHER_ACTOR, mark)


def test_a_meeting_recorded_differently_reaches_hrs_queue_and_hr_settles_it(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    meeting = _disputed_meeting(chat, factory)
    assert not [i for i in _items(factory) if i.kind == QueueKind.MEETING_DISPUTE]
    chat.console.advance(timedelta(days=8))  # they were asked and did not settle it
    chat.say(HR, "queue")
    (item,) = [i for i in _items(factory) if i.kind == QueueKind.MEETING_DISPUTE]
    assert item.meeting_id == meeting.id and item.notified_at is not None
    assert "New in your follow-up queue" in chat.everything_seen_by(HR)
    assert "recorded their meeting of" in chat.text_seen_by(HR)
    mark = chat.mark()
    chat.say(HR, "pairs needing attention")
    assert "1 follow-up" in chat.since(HR, mark)
    chat.say(HR, "queue")
    chat.click(HR, "Record as held")
    assert "the follow-up is closed" in chat.last(HR)
    with factory() as session:
        assert session.get(Meeting, meeting.id).status == MeetingStatus.HELD  # type: ignore[union-attr]
        closed = session.get(HrQueueItem, item.id)
        assert closed is not None and closed.closed_at is not None and closed.closed_by == HR
    mark = chat.mark()
    chat.say(HR, "queue")
    assert "queue is empty" in chat.since(HR, mark)


def test_a_dismissed_follow_up_needs_a_reason_and_stays_closed(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    _disputed_meeting(chat, factory)
    chat.console.advance(timedelta(days=8))
    chat.say(HR, "queue")
    chat.click(HR, "Dismiss")
    chat.submit(HR, reason="")
    assert not [i for i in _items(factory) if i.closed_at is not None]
    chat.submit(HR, reason="Talked with both on the phone")
    (item,) = _items(factory)
    assert item.close_note == "Talked with both on the phone"
    chat.console.advance(timedelta(days=1))
    chat.say(HR, "queue")
    assert len(_items(factory)) == 1  # the sweep does not open it again


def test_a_continuation_request_and_differing_plans_reach_hr_who_pairs_a_new_round(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, EVERYONE)
    agree(chat, duration="3", share_goals="no")
    book(chat)
    with factory() as session:
        end = session.scalars(
            select(Mentorship.planned_end).where(Mentorship.actor.has(email=ACTOR))
        ).one()
    assert end is not None
    chat.console.advance(timedelta(days=(end - chat.console.clock.now().date()).days - 10))
    chat.say(ACTOR, "final evaluation")
    answers = {"discussion": "yes", "goal1": "achieved", "goal2": "partly", "usefulness": "5"}
    chat.submit(ACTOR, **answers, continuation="new_goals")
    chat.click(MENTOR, "Final evaluation")
    chat.submit(MENTOR, **answers, continuation="close")
    assert "Your request is on HR's follow-up list" in chat.everything_seen_by(ACTOR)
    assert "chose different plans" in chat.everything_seen_by(MENTOR)
    chat.console.advance(timedelta(minutes=30))
    chat.say(HR, "queue")
    kinds = sorted((i.kind, i.detail) for i in _items(factory) if i.kind == "continuation")
    assert kinds == [("continuation", "differ"), ("continuation", "new_goals")]
    assert "Aino Virtanen would like a new round" in chat.everything_seen_by(HR)
    # both partners are told HR will help; the one who asked is told once the item exists
    assert "HR has been asked to help you settle it" in chat.everything_seen_by(MENTOR)
    assert "Your wish for a new round with new goals is now with HR" in (
        chat.everything_seen_by(ACTOR)
    )
    chat.click(HR, "Pair for a new round")
    chat.submit(HR)  # the form comes filled in with the same pair and programme
    with factory() as session:
        pairs = session.scalars(
            select(Mentorship).where(Mentorship.actor.has(email=ACTOR)).order_by(Mentorship.id)
        ).all()
        assert [m.phase for m in pairs] == [Phase.CLOSED, Phase.START]
        assert pairs[1].mentor_id == pairs[0].mentor_id
    open_now = [(i.kind, i.detail) for i in _items(factory) if i.closed_at is None]
    assert open_now == [("continuation", "differ")]  # the silent pair's item closed with it
    chat.say(HR, "queue")
    chat.click(HR, "Done")
    assert all(i.closed_at is not None for i in _items(factory))


@pytest.mark.no_sweeps
def test_a_long_pair_list_pages_in_tens_each_page_one_slack_post_and_one_teams_card(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    now = chat.console.clock.now()
    with transaction(factory) as session:
        for n in range(21):  # 23 pairs with the two seeded
            mentor, actor = f"mentor{n}@example.com", f"actor{n}@example.com"
            admin.add_person(session, now, mentor, f"Mentor Number{n:02d} Longname", "en")
            admin.add_person(session, now, actor, f"Actor Number{n:02d} Longname", "en")
            admin.add_pair(session, now, PROGRAMME, mentor, actor)
    onboard(chat, [HR])
    lines_per_page = []
    chat.say(HR, "pairs")
    while True:
        page = chat.messages(HR)[-1]
        lines_per_page.append(sum(1 for line in page.plain_text().splitlines() if " · " in line))
        posts = render_message(page).posts
        assert len(posts) == 1 and len(posts[0].blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in posts[0].blocks)
        cards = render_cards(page, Texts("en"))
        assert len(cards) == 1 and teams_size(cards[0]) <= MAX_CARD_SIZE
        more = [b for b in chat.console.last_buttons(HR) if b.action_id == "hr.pairs_more"]
        if not more:
            break
        chat.press(HR, more[0].action_id, more[0].value)
    assert lines_per_page == [10, 10, 3]
    chat.press(HR, "hr.pairs_more", "x|")  # a forged value: a friendly refusal
    assert "something went wrong" not in chat.last(HR).lower()


def test_the_weekly_digest_counts_open_follow_ups(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, EVERYONE)
    agree(chat, share_goals="no")
    chat.say(MENTOR, "support")
    chat.click(MENTOR, "A buddy")
    assert "your request is on HR's follow-up list" in chat.last(MENTOR)
    chat.say(MENTOR, "support")
    chat.click(MENTOR, "A buddy")
    assert "you already asked for that this week" in chat.last(MENTOR)
    mark = chat.mark()
    chat.console.advance(timedelta(days=7))
    chat.say(HR, "hr help")
    assert "1 follow-up waits in your queue" in chat.since(HR, mark)
    chat.say(OTHER_ACTOR, "support")
    assert "That is for the programme's mentors" in chat.last(OTHER_ACTOR)  # declared role


def test_erasing_a_person_removes_the_follow_ups_about_them(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from conversations.erasure import erase_person
    from storage.queries import person_by_email

    onboard(chat, [MENTOR, HR])
    chat.say(MENTOR, "support")
    chat.click(MENTOR, "A mentor workshop")
    assert len(_items(factory)) == 1
    with transaction(factory) as session:
        mentor = person_by_email(session, MENTOR)
        assert mentor is not None
        erase_person(session, chat.console.clock.now(), HR, mentor)
    assert _items(factory) == []


def test_a_pair_silent_four_weeks_reaches_the_queue_and_hr_reminds_both(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR, HR])
    agree(chat, share_goals="no")
    book(chat)
    chat.console.advance(timedelta(days=20))
    chat.say(HR, "queue")
    assert "queue is empty" in chat.last(HR)
    chat.console.advance(timedelta(days=10))  # no meeting recorded for four weeks
    chat.say(HR, "queue")
    assert "have recorded no meeting for four weeks" in chat.text_seen_by(HR)
    chat.click(HR, "Remind both")
    for email in (ACTOR, MENTOR):
        assert "A reminder from your programme's HR" in chat.everything_seen_by(email)
    (item,) = _items(factory)
    assert item.kind == QueueKind.SILENT and item.close_note == "reminded both"


def test_many_new_follow_ups_at_once_reach_hr_as_one_message_that_opens_the_queue(
    chat: Chat, db_engine: Engine, factory: sessionmaker[Session]
) -> None:
    """Five pairs go silent in the same sweep: HR gets one message counting them (in their
    language), not five DMs, and its button opens the queue with each item's own buttons."""
    onboard(chat, [ACTOR, MENTOR, HR])
    agree(chat, share_goals="no")
    book(chat)
    seed_pairs(db_engine, 4, chat.console.clock.now(), with_supervisors=False)
    mark = chat.mark()
    chat.console.advance(timedelta(days=30))  # no meeting recorded for four weeks, anywhere
    assert len([i for i in _items(factory) if i.kind == QueueKind.SILENT]) == 5
    seen = chat.since(HR, mark)
    assert seen.count("New in your follow-up queue") == 1
    assert "5 pairs have recorded no meeting for four weeks" in seen
    assert "Remind both" not in seen  # the items' own buttons are in the queue
    chat.click(HR, "Open the queue")
    assert "5 open items" in chat.text_seen_by(HR)
    assert "Remind both" in chat.everything_seen_by(HR)


def test_an_accepted_invitation_left_unpaired_reaches_the_queue_and_closes_when_paired(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    from storage.models import Invitation
    from storage.queries import person_by_email

    onboard(chat, [HR, OTHER_MENTOR])
    now = chat.console.clock.now()
    with transaction(factory) as session:
        admin.add_person(session, now, "emma@example.com", "Emma Lehtonen", "en")
        emma = person_by_email(session, "emma@example.com")
        assert emma is not None
        session.add(
            Invitation(
                person_id=emma.id,
                reason="new_employee",
                invited_at=now,
                answer="yes",
                answered_at=now,
            )
        )
    chat.say(HR, "queue")
    assert "queue is empty" in chat.last(HR)  # HR's opt-in notice comes first; this is the net
    chat.console.advance(timedelta(days=4))
    chat.say(HR, "queue")
    assert "accepted the invitation to mentoring and is not paired yet" in chat.text_seen_by(HR)
    chat.click(HR, "Pair")
    chat.submit(HR, programme="1", mentor="olli@example.com")
    assert "Paired: Olli Mäki mentors Emma Lehtonen" in chat.text_seen_by(HR)
    (item,) = _items(factory)
    assert item.kind == QueueKind.UNPAIRED and item.close_note == "paired"
