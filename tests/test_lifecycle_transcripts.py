"""Whole relationships through the console: the demo transcripts in English and Finnish,
asserting the key replies and the stored state, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session
from conversations.texts import strip_user_marks
from storage.models import (
    CheckIn,
    Evaluation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Outbox,
    Phase,
    Reflection,
    Task,
)

pytestmark = pytest.mark.postgres  # the one run of the whole engine and sweep on PostgreSQL

KEY_REPLIES = {
    "en": [
        "Your mentor is *Mikko Laine*",
        "have both accepted the agreement",
        "Please talk with Aino Virtanen about the goals",
        "You booked the meetings: 13 of 13",
        "Mikko Laine moved meeting 3",
        "meeting 4 is recorded as missed",
        "You are halfway through",
        "Your mentoring with Mikko Laine is now complete",
        "has come to its planned end",
    ],
    "fi": [
        "Mentorisi on *Mikko Laine*",
        "olette molemmat hyväksyneet sopimuksen",
        "Varasit tapaamiset (13/13)",
        "Mikko Laine siirsi tapaamisen 3",
        "Olette puolivälissä",
        "on päättynyt suunnitellusti",
    ],
}


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_the_demo_relationship_runs_from_agreement_to_continuation_plan(
    locale: str, factory: sessionmaker[Session]
) -> None:
    demo.seed(factory, demo.DEMO_START, locale)
    lines: list[str] = []
    console = console_session(factory, demo.DEMO_START, out=lines.append)
    console.join_channel("#mentoring")  # a shared channel: only HR's announcements go there
    run(console, parse(demo.scenario(locale), "Europe/Helsinki"))
    transcript = strip_user_marks("\n".join(lines))
    for reply in KEY_REPLIES[locale]:
        assert reply in transcript, reply
    assert "something went wrong" not in transcript.lower()
    with factory() as session:
        m = session.scalars(select(Mentorship)).one()
        assert m.phase == Phase.CLOSED
        assert m.agreement.supervisor_goals_discussed_at is not None
        statuses = [x.status for x in session.scalars(select(Meeting).order_by(Meeting.seq))]
        assert statuses.count(MeetingStatus.HELD) == 10
        # meeting 4 was missed; meeting 12 nobody recorded, so the close counts it as not held
        assert statuses.count(MeetingStatus.MISSED) == 2
        assert statuses[-1] == MeetingStatus.CANCELLED  # after the clear end
        assert session.scalar(select(func.count(CheckIn.id))) >= 12
        assert session.scalar(select(func.count(Evaluation.id))) == 4  # 2 interim, 2 final
        assert session.scalar(select(func.count(Reflection.id))) == 3
        assert session.scalar(select(func.count(Task.id))) >= 5
        continuation = set(
            session.scalars(select(Evaluation.continuation).where(Evaluation.kind == "final"))
        )
        assert continuation == {"continue_informally"}
        undelivered = session.scalar(select(func.count(Outbox.id)).where(Outbox.status != "sent"))
        assert undelivered == 0
        to_channels = select(func.count(Outbox.id)).where(Outbox.channel_id.is_not(None))
        assert session.scalar(to_channels) == 0
    assert "#mentoring" not in console.shown  # six months of nudges, none in the channel
