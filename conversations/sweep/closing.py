"""Nudges at the ends of a relationship: asking a pair with nothing booked to plan their
meetings, and opening the closing flow (final evaluation) two weeks before the planned end."""

from __future__ import annotations

from datetime import UTC, datetime, time
from functools import partial

from conversations import rules
from conversations.flows.common import plan_meetings_message
from conversations.messages import Button, Message
from conversations.sweep.plan import GRACE, PLAN_AFTER, Pair, Plan, Recipient
from conversations.sweep.reads import SweepData
from conversations.texts import user_text
from conversations.worktime import start_of_working_day
from storage.models import EvaluationKind, Phase


def closing_nudges(plan: Plan, data: SweepData) -> None:
    now = plan.now
    for pair in data.pairs.values():
        if pair.planned_end is None:
            continue
        if pair.phase == Phase.DEVELOPMENT and pair.booked == 0:
            _plan_nudge(plan, pair)
        for person in pair.parties():
            if (pair.id, person.id, EvaluationKind.FINAL.value) in data.evaluated:
                continue
            opens = rules.closing_opens(pair.planned_end, pair.country)
            nominal = start_of_working_day(opens, person.tz)
            end = datetime.combine(pair.planned_end, time(23, 59), tzinfo=person.tz)
            if nominal <= now < end:
                partner = pair.partner_of(person)
                plan.add(
                    key=f"closing:{pair.id}:{person.id}",
                    kind="closing",
                    person=person,
                    country=pair.country,
                    nominal=nominal,
                    expires_at=end.astimezone(UTC),
                    build=partial(_closing, person, partner, pair),
                )


def _plan_nudge(plan: Plan, pair: Pair) -> None:
    """Nothing booked two days after the agreement: ask both to plan their meetings."""
    if pair.accepted_at is None:
        return
    for person in pair.parties():
        day = (pair.accepted_at.astimezone(person.tz) + PLAN_AFTER).date()
        nominal = start_of_working_day(day, person.tz)
        if nominal <= plan.now < nominal + GRACE:
            plan.add(
                key=f"plan:{pair.id}:{person.id}",
                kind="plan",
                person=person,
                country=pair.country,
                nominal=nominal,
                expires_at=nominal + GRACE,
                build=partial(_plan_message, person, pair.id),
            )


def _plan_message(person: Recipient, mentorship_id: int) -> Message:
    return plan_meetings_message(person.texts(), mentorship_id)


def _closing(person: Recipient, partner: Recipient, pair: Pair) -> Message:
    tx = person.texts()
    assert pair.planned_end is not None
    return (
        Message()
        .text(
            tx.t("nudges.closing", partner=user_text(partner.name), end=tx.date(pair.planned_end))
        )
        .buttons(
            Button(
                action_id="final.start",
                label=tx._("Final evaluation"),
                value=str(pair.id),
                style="primary",
            )
        )
    )
