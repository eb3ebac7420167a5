"""The supervisor's monthly summary: progress only (privacy rule 2), on the first working
days of a month, covering reports still agreeing (phase start) too.

The sweep queues the summary without its text: the delivery renders it from the state at the
moment it is sent (``conversations.sweep.recheck``), so the outbox never holds the names and
shared goal titles of a summary not yet sent, and the sweep does not render what would be
rendered again (about a tenth of a day's sweep at 10,000 pairs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from conversations.messages import Button, Message
from conversations.sweep.plan import GRACE, Pair, Plan, Recipient
from conversations.sweep.reads import SweepData
from conversations.texts import user_text
from conversations.worktime import first_working_day_on_or_after, start_of_working_day

LAST_DAY = 12  # the first working day plus GRACE is never later than the 12th


@dataclass
class Supervisors:
    """The supervisors of the pairs in progress, gathered chunk by chunk as the sweep reads
    its pairs, each with the holiday country of their summary: that of their report with the
    lowest pair id in a meeting phase, else of the lowest still agreeing (phase start)."""

    now: datetime
    found: dict[int, tuple[tuple[bool, int], Recipient, str]] = field(default_factory=dict)

    def count(self, data: SweepData) -> None:
        if self.now.day > LAST_DAY:  # no summary is due: nothing to gather
            return
        for starting, pairs in ((False, data.pairs), (True, data.starting)):
            for pair in pairs.values():
                sup = pair.supervisor
                if sup is None:
                    continue
                rank = (starting, pair.id)
                seen = self.found.get(sup.id)
                if seen is None or rank < seen[0]:
                    self.found[sup.id] = (rank, sup, pair.country)


def supervisor_monthly(plan: Plan, supervisors: Supervisors) -> None:
    """Each supervisor's summary of their reports' pairs, once a month (no statement: the
    text is rendered when it is sent; none gathered after ``LAST_DAY``)."""
    now = plan.now
    for sid, (_, sup, country) in supervisors.found.items():
        local = now.astimezone(sup.tz)
        first_day = first_working_day_on_or_after(local.date().replace(day=1), country)
        nominal = start_of_working_day(first_day, sup.tz)
        key = f"supervisor.monthly:{sid}:{local.strftime('%Y-%m')}"
        if nominal <= now < nominal + GRACE and key not in plan.existing:
            plan.add(
                key=key,
                kind="supervisor.monthly",
                person=sup,
                country=country,
                nominal=nominal,
                expires_at=nominal + GRACE,  # "up to 4 days late, otherwise skipped"
            )  # queued without text: a kind in plan.RENDERED_WHEN_SENT


def render_monthly(
    sup: Recipient, reports: list[Pair], month: str, goals: dict[int, list[str]]
) -> Message:
    """Progress only (privacy rule 2): phase, meetings, next meeting, whether the agreement and
    the goal discussion happened, and goal titles only where the actor agreed to share them."""
    from conversations.flows.common import phase_label
    from conversations.progress import held_of_planned

    tx = sup.texts()
    message = Message().text(tx.t("nudges.monthly_heading", month=month))
    buttons: list[Button] = []
    for pair in sorted(reports, key=lambda p: p.actor.name):
        lines = [
            tx.t(
                "supervisor.monthly_report",
                actor=user_text(pair.actor.name),
                mentor=user_text(pair.mentor.name),
                phase=phase_label(tx, pair.phase),
                meetings=held_of_planned(tx, pair.held, pair.total_meetings()),
            )
        ]
        if pair.next_at is not None:
            lines.append(tx.t("nudges.monthly_next", when=sup.when(pair.next_at)))
        lines.append(tx.t("nudges.monthly_agreement", accepted=pair.accepted_at is not None))
        if pair.id in goals:
            titles = "; ".join(user_text(t) for t in goals[pair.id])
            lines.append(tx.t("nudges.monthly_goals", goals=titles))
        if pair.discussed:
            lines.append(tx.t("nudges.monthly_discussion_done"))
        else:
            lines.append(tx.t("nudges.monthly_discussion_missing"))
            buttons.append(
                Button(
                    action_id="supervisor.discussed",
                    value=str(pair.id),
                    label=f"{tx._('We discussed the goals')} ({pair.actor.name})",
                )
            )
        message.text(" ".join(lines))
    return message.buttons(*buttons)
