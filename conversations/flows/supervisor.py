"""Supervisors: asked to discuss goals and arrange time; told progress, never content."""

from __future__ import annotations

from sqlalchemy import select

from conversations import progress
from conversations.flows.common import phase_label
from conversations.messages import Button, Message
from conversations.registry import action
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import Mentorship, Phase
from storage.queries import reports_of, top_goals


def _kickoff_buttons(m: Mentorship) -> list[Button]:
    assert m.actor.supervisor is not None
    tx = texts_for(m.actor.supervisor)
    buttons = []
    if m.agreement.supervisor_goals_discussed_at is None:
        buttons.append(
            Button(
                action_id="supervisor.discussed",
                value=str(m.id),
                label=tx._("We discussed the goals"),
                style="primary",
            )
        )
    if m.agreement.supervisor_time_arranged_at is None:
        buttons.append(
            Button(action_id="supervisor.time", value=str(m.id), label=tx._("Time is arranged"))
        )
    return buttons


def queue_kickoff(turn: Turn, m: Mentorship) -> None:
    """Ask the actor's supervisor to discuss the goals and to arrange time (no content)."""
    supervisor = m.actor.supervisor
    if supervisor is None:
        return
    tx = texts_for(supervisor)
    goals = (
        "; ".join(user_text(g.title) for g in top_goals(m))
        if m.agreement.share_goals_with_supervisor
        else None
    )
    message = (
        Message()
        .text(
            tx.t(
                "supervisor.kickoff",
                actor=user_text(m.actor.name),
                mentor=user_text(m.mentor.name),
                programme=user_text(m.programme.name),
                months=m.agreement.duration_months,
                goals=goals,
            )
        )
        .buttons(*_kickoff_buttons(m))
    )
    turn.send(supervisor, message, kind="supervisor_kickoff", dedupe_key=f"kickoff:{m.id}")


def _own_report_mentorship(turn: Turn, value: str) -> Mentorship:
    m = turn.session.get(Mentorship, int(value)) if value.isdigit() else None
    if m is None or m.actor.supervisor_id != turn.person.id:
        turn.refuse(turn.tx.t("common.not_yours"))
    assert m is not None
    return m


@action("supervisor.discussed", role=ANYONE)
def discussed(turn: Turn, value: str) -> None:
    m = _own_report_mentorship(turn, value)
    if m.agreement.supervisor_goals_discussed_at is not None:
        turn.refuse(turn.tx.t("supervisor.already_recorded"))
    m.agreement.supervisor_goals_discussed_at = turn.now
    _confirmed(turn, m)


@action("supervisor.time", role=ANYONE)
def time_arranged(turn: Turn, value: str) -> None:
    m = _own_report_mentorship(turn, value)
    if m.agreement.supervisor_time_arranged_at is not None:
        turn.refuse(turn.tx.t("supervisor.already_recorded"))
    m.agreement.supervisor_time_arranged_at = turn.now
    _confirmed(turn, m)


def _confirmed(turn: Turn, m: Mentorship) -> None:
    message = Message().text(turn.tx.t("supervisor.thanks", actor=user_text(m.actor.name)))
    message.buttons(*_kickoff_buttons(m))
    turn.reply(message)


def supervisor_steps(turn: Turn) -> list[Button]:
    """The kickoff confirmations still open for the supervisor's own reports."""
    report_ids = [r.id for r in reports_of(turn.session, turn.person)]
    mentorships = turn.session.scalars(
        select(Mentorship)
        .where(
            Mentorship.actor_id.in_(report_ids),
            Mentorship.phase.in_([Phase.DEVELOPMENT.value, Phase.CLOSING.value]),
        )
        .order_by(Mentorship.id)
    )
    buttons: list[Button] = []
    for m in mentorships:
        for button in _kickoff_buttons(m):
            button.label = f"{button.label} ({m.actor.name})"
            buttons.append(button)
    return buttons


def queue_closed_notice(turn: Turn, m: Mentorship) -> None:
    """Tell the supervisor the relationship closed: no ratings, no content."""
    supervisor = m.actor.supervisor
    if supervisor is None:
        return
    tx = texts_for(supervisor)
    turn.send(
        supervisor,
        Message().text(
            tx.t(
                "supervisor.closed", actor=user_text(m.actor.name), mentor=user_text(m.mentor.name)
            )
        ),
        kind="supervisor_closed",
        dedupe_key=f"closed:{m.id}:supervisor",
    )


def supervisor_status(turn: Turn) -> None:
    """A supervisor's ``status``: progress of each own report's mentoring (privacy rule 2),
    with the same figures as the monthly summary (``conversations.progress``)."""
    tx = turn.tx
    views = progress.supervisor_views(turn.session, turn.person, turn.now)
    if not views:
        turn.say(tx.t("supervisor.no_mentoring_reports"))
        return
    for view in views:
        fields = [
            (tx._("Mentor"), view.mentor_name),
            (tx._("Phase"), phase_label(tx, view.phase)),
            (
                tx._("Meetings"),
                progress.held_of_planned(tx, view.meetings_held, view.meetings_planned),
            ),
            (tx._("Next meeting"), tx.date(view.next_meeting) if view.next_meeting else "–"),
            (tx._("Agreement"), tx._("accepted") if view.agreement_accepted else tx._("not yet")),
            (
                tx._("Your discussion with them"),
                tx._("done") if view.supervisor_discussion else tx._("not yet"),
            ),
        ]
        if view.goal_titles is not None:
            fields.append((tx._("Goals"), "; ".join(user_text(g) for g in view.goal_titles)))
        turn.reply(
            Message()
            .text(tx.t("supervisor.report_heading", name=user_text(view.report_name)))
            .fields(fields)
        )
