"""Help, status, privacy, goals, and the "what can I do now" buttons."""

from __future__ import annotations

from conversations import commands, forms, progress
from conversations.button_values import COMMAND_FOR
from conversations.flows.common import goals_text, phase_label, pick_mentorship, role_in
from conversations.flows.supervisor import supervisor_status
from conversations.messages import Button, Message
from conversations.registry import action, command
from conversations.roles import ANYONE, Roles, roles_of
from conversations.texts import first_name, user_text
from conversations.turn import Turn
from storage.models import Mentorship, Phase
from storage.queries import (
    load_goals_and_meetings,
    next_meeting,
    open_tasks,
    partner,
    phase_counts,
)


@command("help", role=ANYONE)
def help_(turn: Turn, _rest: str) -> None:
    roles = roles_of(turn.session, turn.person)
    turn.reply(
        Message().text(
            turn.tx.t(
                "basics.help",
                in_pair=roles.in_pair,
                supervisor=roles.supervisor,
                hr=roles.hr,
            )
        )
    )
    next_steps(turn, roles)


@command("unknown", role=ANYONE)
def unknown(turn: Turn, rest: str) -> None:
    pending = forms.open_form(turn.session, turn.person)
    if pending is not None:
        forms.offer(turn, pending, intro=turn.tx.t("basics.unfinished_form"))
        return
    near = commands.suggest(turn.inbound.text)
    if near is not None:
        name, word = near
        turn.reply(
            Message()
            .text(turn.tx.t("basics.did_you_mean", word=word))
            .buttons(
                Button(action_id="basics.run", label=word, value=name, style="primary"),
                Button(action_id="basics.run", label=turn.tx._("Help"), value="help"),
            )
        )
        return
    turn.say(turn.tx.t("basics.unknown"))
    help_(turn, "")


@action("basics.run", role=ANYONE)
def run_suggested(turn: Turn, value: str) -> None:
    """The "did you mean" button: run the command the person nearly typed."""
    if value in ("unknown", "onboarding"):
        turn.refuse(turn.tx.t("common.stale_button"))
    turn.run_command(value, "")


@command("greeting", role=ANYONE)
def greeting(turn: Turn, _rest: str) -> None:
    """A greeting gets one back, and the next step: an open form, what waits, or help."""
    turn.say(turn.tx.t("basics.greeting", name=user_text(first_name(turn.person.name))))
    pending = forms.open_form(turn.session, turn.person)
    if pending is not None:
        forms.offer(turn, pending, intro=turn.tx.t("basics.unfinished_form"))
        return
    before = len(turn.replies)
    next_steps(turn)
    if len(turn.replies) == before:
        turn.say(turn.tx.t("basics.greeting_nothing_waiting"))


@command("cancel", role=ANYONE)
def cancel(turn: Turn, _rest: str) -> None:
    """Leave the open form: nothing of it is saved; a flow that keeps drafts still has them."""
    pending = forms.open_form(turn.session, turn.person)
    if pending is None:
        turn.say(turn.tx.t("basics.nothing_to_cancel"))
        return
    forms.close(turn.session, turn.person)
    turn.say(turn.tx.t("basics.form_cancelled", title=pending.title))


@command("privacy", role=ANYONE)
def privacy(turn: Turn, _rest: str) -> None:
    turn.reply(Message().text(turn.tx.t("privacy.summary")).text(turn.tx.t("privacy.details")))


@action("pick", role=ANYONE)
def pick(turn: Turn, value: str) -> None:
    chosen = COMMAND_FOR.read(turn, value)
    turn.run_command(chosen.command, f"#{chosen.mentorship_id}")


@command("status", role=ANYONE)
def status(turn: Turn, _rest: str) -> None:
    roles = roles_of(turn.session, turn.person)
    shown = False
    for m in roles.actor_in + roles.mentor_of:
        turn.reply(pair_status(turn, m))
        shown = True
    if roles.supervisor:
        supervisor_status(turn)
        shown = True
    if roles.hr:
        hr_status(turn)
        shown = True
    if not shown:
        turn.say(turn.tx.t("common.no_mentorship"))
    next_steps(turn, roles)


def pair_status(turn: Turn, m: Mentorship) -> Message:
    tx = turn.tx
    load_goals_and_meetings(turn.session, m)
    other = partner(m, turn.person)
    nxt = next_meeting(m, turn.now)
    tasks = open_tasks(turn.session, m)
    total = progress.total_meetings(m)
    pairs = [
        (tx._("Programme"), m.programme.name),
        (tx._("Phase"), phase_label(tx, m.phase)),
    ]
    if total:
        pairs.append(
            (
                tx._("Meetings"),
                tx._("meeting %(k)s of %(n)s", k=progress.current_seq(m, turn.now), n=total),
            )
        )
    pairs.append((tx._("Next meeting"), tx.datetime(nxt.scheduled_at) if nxt else "–"))
    pairs.append((tx._("Open task"), "; ".join(user_text(t.text) for t in tasks) if tasks else "–"))
    if m.planned_end:
        pairs.append((tx._("Planned end"), tx.date(m.planned_end)))
    return (
        Message()
        .text(
            tx.t(
                "basics.pair_heading",
                partner=user_text(other.name),
                role=role_in(m, turn.person),
            )
        )
        .fields(pairs)
        .text(tx._("*Goals*") + "\n" + goals_text(tx, m, with_success=False))
    )


def hr_status(turn: Turn) -> None:
    by_phase = phase_counts(turn.session)
    turn.reply(
        Message()
        .text(turn.tx.t("basics.hr_heading", pairs=sum(by_phase.values())))
        .fields([(phase_label(turn.tx, p), str(n)) for p, n in sorted(by_phase.items())])
    )


@command("goals", role=ANYONE)
def goals(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "goals", rest)
    if m is None:
        return
    message = Message().text(turn.tx._("*Goals*") + "\n" + goals_text(turn.tx, m))
    if m.phase in (Phase.DEVELOPMENT, Phase.CLOSING):
        message.buttons(
            Button(action_id="goals.edit", label=turn.tx._("Adjust goals"), value=str(m.id))
        )
    turn.reply(message)


def next_steps(turn: Turn, roles: Roles | None = None) -> None:
    """Buttons for whatever is waiting for this person right now; ``roles``: the person's
    roles when the caller has just read them in this turn (and changed none since)."""
    from conversations.flows.agreement import agreement_steps
    from conversations.flows.supervisor import supervisor_steps

    buttons: list[Button] = []
    roles = roles or roles_of(turn.session, turn.person)
    for m in roles.actor_in + roles.mentor_of:
        buttons.extend(agreement_steps(turn, m))
        if m.phase in (Phase.DEVELOPMENT, Phase.CLOSING) and not m.meetings:
            buttons.append(
                Button(
                    action_id="schedule.plan",
                    label=turn.tx._("Plan meetings"),
                    value=str(m.id),
                    style="primary",
                )
            )
        due = progress.due_for(turn.session, m, turn.person, turn.now)
        if due.checkin is not None:
            buttons.append(
                Button(
                    action_id="checkin.start",
                    label=turn.tx._("Check in on meeting %(n)s", n=due.checkin.seq),
                    value=str(due.checkin.id),
                    style="primary",
                )
            )
        if due.interim:
            buttons.append(
                Button(
                    action_id="interim.start",
                    label=turn.tx._("Interim evaluation"),
                    value=str(m.id),
                )
            )
        if due.final:
            buttons.append(
                Button(
                    action_id="final.start",
                    label=turn.tx._("Final evaluation"),
                    value=str(m.id),
                    style="primary",
                )
            )
    if roles.supervisor:
        buttons.extend(supervisor_steps(turn))
    if buttons:
        turn.reply(Message().text(turn.tx._("Waiting for you:")).buttons(*buttons[:10]))
