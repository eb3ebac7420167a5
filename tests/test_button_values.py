"""Button values are encoded and decoded in one place: what the bot sent decodes to the same
typed value, and a forged or truncated one is a clean "no longer valid" with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.button_values import (
    AGREEMENT_REVISION,
    COMMAND_FOR,
    REFLECTION_PROMPT,
    SERIES_PROPOSAL,
    AgreementRevision,
    BadValue,
    CommandFor,
    SeriesProposal,
)
from storage.models import Agreement, AuditLog, Meeting, Mentorship, Outbox, Reflection
from tests.chat import ACTOR, HR, MENTOR, Chat, agree, onboard

pytestmark = pytest.mark.no_sweeps


def test_a_value_the_bot_made_decodes_to_the_same_typed_value() -> None:
    proposal = SeriesProposal(7, datetime(2027, 1, 19, 12, tzinfo=UTC), ZoneInfo("Europe/Helsinki"))
    assert SERIES_PROPOSAL.decode(SERIES_PROPOSAL.encode(proposal)) == proposal
    assert COMMAND_FOR.decode("checkin:12") == CommandFor("checkin", 12)
    assert AGREEMENT_REVISION.encode(AgreementRevision(3, 2)) == "3:2"


def test_buttons_in_messages_sent_before_the_codec_still_decode() -> None:
    old = "5|2027-01-19T14:00:00+02:00|Europe/Helsinki"
    decoded = SERIES_PROPOSAL.decode(old)
    assert decoded.mentorship_id == 5 and decoded.zone.key == "Europe/Helsinki"
    assert REFLECTION_PROMPT.decode("5:early_actor_trust").prompt_key == "early_actor_trust"


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "checkin",
        "checkin:",
        "checkin:0",
        "checkin:-1",
        "checkin:1:2",
        "checkin:1e3",
        "Checkin:1",
        "../x:1",
        "checkin:" + "9" * 40,
    ],
)
def test_a_forged_value_does_not_decode(forged: str) -> None:
    with pytest.raises(BadValue):
        COMMAND_FOR.decode(forged)


@pytest.mark.parametrize(
    "forged",
    [
        "1|2027-01-19T12:00:00|Europe/Helsinki",  # no offset
        "1|tomorrow|Europe/Helsinki",
        "1|2027-01-19T12:00:00+00:00|../../etc/passwd",
        "1|2027-01-19T12:00:00+00:00|Mars/Olympus",
        "1|2027-01-19T12:00:00+00:00",
        "x|2027-01-19T12:00:00+00:00|UTC",
    ],
)
def test_a_forged_proposal_does_not_decode(forged: str) -> None:
    with pytest.raises(BadValue):
        SERIES_PROPOSAL.decode(forged)


def _rows(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with factory() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Meeting, Reflection, Outbox, AuditLog)
        )


@pytest.mark.parametrize(
    ("who", "kind", "target", "value"),
    [
        (ACTOR, "action", "pick", "status"),
        (ACTOR, "action", "pick", "status:x"),
        (ACTOR, "action", "pick", "no_such_command:1"),
        (ACTOR, "action", "agreement.accept", "1"),
        (ACTOR, "action", "agreement.accept", "1:latest"),
        (ACTOR, "form", "reflection", "1"),
        (ACTOR, "form", "reflection", "1:Not A Key"),
        (ACTOR, "form", "reflection", "1:no_such_prompt"),
        (HR, "action", "hr.buddy", "1"),
        (HR, "action", "hr.buddy", "1:x"),
        (ACTOR, "action", "schedule.book", "1|not-a-date|UTC"),
    ],
)
def test_a_forged_button_gets_the_friendly_refusal_and_changes_nothing(
    chat: Chat, factory: sessionmaker[Session], who: str, kind: str, target: str, value: str
) -> None:
    onboard(chat, [ACTOR, MENTOR, HR])
    before = _rows(factory)
    with factory() as session:
        accepted_before = session.scalars(select(Agreement.actor_accepted_at)).all()
    if kind == "action":
        chat.press(who, target, value)
    else:
        chat.send_form(who, target, value, text="forged note")
    assert "no longer valid" in chat.last(who)
    assert _rows(factory) == before
    with factory() as session:
        assert session.scalars(select(Agreement.actor_accepted_at)).all() == accepted_before


def test_a_booking_button_made_by_the_bot_still_books(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [ACTOR, MENTOR])
    agree(chat)
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date="2027-01-19", time="14:00")
    button = next(b for b in chat.console.last_buttons(ACTOR) if b.action_id == "schedule.book")
    proposal = SERIES_PROPOSAL.decode(button.value)
    with factory() as session:
        assert proposal.mentorship_id in session.scalars(select(Mentorship.id)).all()
    chat.press(ACTOR, "schedule.book", button.value)
    with factory() as session:
        assert int(session.scalar(select(func.count()).select_from(Meeting)) or 0) > 0
