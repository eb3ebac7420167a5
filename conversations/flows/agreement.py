"""The clear start: goals proposed by the actor, adjusted with the mentor, accepted by both."""

from __future__ import annotations

from conversations import forms, rules
from conversations.button_values import AGREEMENT_REVISION, AgreementRevision
from conversations.flows.common import goals_text, party_mentorship, pick_mentorship
from conversations.flows.supervisor import queue_kickoff
from conversations.messages import Button, Form, Input, Message
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import (
    GOAL_SUCCESS_MAX,
    GOAL_TITLE_MAX,
    LONG_TEXT_MAX,
    Goal,
    GoalStatus,
    Mentorship,
    Person,
    Phase,
)
from storage.queries import partner, top_goals

MAX_GOALS = 3


def accepted_by(m: Mentorship, person: Person) -> bool:
    a = m.agreement
    return bool(a.mentor_accepted_at if person.id == m.mentor_id else a.actor_accepted_at)


def agreement_steps(turn: Turn, m: Mentorship) -> list[Button]:
    """What the agreement is waiting for from this person, as buttons."""
    if m.phase != Phase.START:
        return []
    tx = turn.tx
    if not m.agreement.terms_set:
        if turn.person.id == m.actor_id:
            return [
                Button(
                    action_id="agreement.propose",
                    label=tx._("Propose goals"),
                    value=str(m.id),
                    style="primary",
                )
            ]
        return []
    if not accepted_by(m, turn.person):
        return [
            Button(
                action_id="agreement.show",
                label=tx._("Review the agreement"),
                value=str(m.id),
                style="primary",
            )
        ]
    return []


def draft_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    goals = top_goals(m)
    values: dict[str, str] = {}
    for i, goal in enumerate(goals[:MAX_GOALS], 1):
        values[f"goal{i}"] = goal.title
        values[f"success{i}"] = goal.success
    values["duration"] = str(m.agreement.duration_months)
    is_actor = turn.person.id == m.actor_id
    if is_actor:  # only the actor decides what the supervisor sees
        values["share_goals"] = "yes" if m.agreement.share_goals_with_supervisor else "no"
    if m.agreement.mentor_comment:
        values["comment"] = m.agreement.mentor_comment
    inputs: list[Input] = []
    for i in range(1, MAX_GOALS + 1):
        inputs.append(
            Input(
                name=f"goal{i}",
                label=tx._("Goal %(n)s", n=i),
                required=i == 1,
                max_length=GOAL_TITLE_MAX,
            )
        )
        inputs.append(
            Input(
                name=f"success{i}",
                label=tx._("What would success look like?"),
                kind="multiline",
                required=i == 1,
                max_length=GOAL_SUCCESS_MAX,
            )
        )
    inputs.append(
        Input(
            name="duration",
            label=tx._("Duration in months"),
            kind="select",
            options=forms.numbers(rules.MIN_DURATION_MONTHS, rules.MAX_DURATION_MONTHS),
        )
    )
    if is_actor:
        inputs.append(
            Input(
                name="share_goals",
                label=tx._("May the goal titles be shown to the supervisor?"),
                kind="select",
                options=forms.yes_no(tx),
                hint=tx._("Only the actor decides this. The supervisor never sees anything else."),
            )
        )
    if turn.person.id == m.mentor_id:
        inputs.append(
            Input(
                name="comment",
                label=tx._("Your comment to the actor"),
                kind="multiline",
                required=False,
                max_length=LONG_TEXT_MAX,
            )
        )
    return Form(
        form_id="agreement.draft",
        title=tx._("Mentoring agreement"),
        value=str(m.id),
        inputs=inputs,
        values=values,
        submit_label=tx._("Save the draft"),
    )


@command("agreement", role=ANYONE)
def show_command(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "agreement", rest)
    if m is not None:
        turn.reply(summary(turn.person, m))


@action("agreement.show", role=ANYONE)
def show(turn: Turn, value: str) -> None:
    turn.reply(summary(turn.person, party_mentorship(turn, value)))


@action("agreement.propose", role=ANYONE)
@action("agreement.change", role=ANYONE)
def propose(turn: Turn, value: str) -> None:
    m = party_mentorship(turn, value)
    if m.phase != Phase.START:
        turn.refuse(turn.tx.t("agreement.already_agreed"))
    if not m.agreement.terms_set and turn.person.id != m.actor_id:
        turn.refuse(turn.tx.t("agreement.actor_first", actor=user_text(m.actor.name)))
    forms.offer(
        turn,
        draft_form(turn, m),
        intro=turn.tx.t("agreement.draft_intro", role=_role(m, turn.person)),
    )


@form("agreement.draft", role=ANYONE)
def save_draft(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = party_mentorship(turn, value)
    if m.phase != Phase.START:
        turn.refuse(turn.tx.t("agreement.already_agreed"))
    is_actor = turn.person.id == m.actor_id
    if not m.agreement.terms_set and not is_actor:
        turn.refuse(turn.tx.t("agreement.actor_first", actor=user_text(m.actor.name)))
    v = forms.Validator(turn.tx, fields)
    goals: list[tuple[str, str]] = []
    for i in range(1, MAX_GOALS + 1):
        title = v.text(f"goal{i}", GOAL_TITLE_MAX, required=i == 1)
        success = v.text(f"success{i}", GOAL_SUCCESS_MAX, required=i == 1 or title is not None)
        if title and success:
            goals.append((title, success))
        elif success and not title and f"goal{i}" not in v.errors:
            v.errors[f"goal{i}"] = turn.tx._("This is needed.")
    duration = v.integer("duration", rules.MIN_DURATION_MONTHS, rules.MAX_DURATION_MONTHS)
    share = v.choice("share_goals", ["yes", "no"]) if is_actor else None
    comment = v.text("comment", LONG_TEXT_MAX, required=False)
    if not v.ok:
        forms.reoffer(turn, draft_form(turn, m), v)
        return
    agreement = m.agreement
    existing = top_goals(m)
    for goal in existing[len(goals) :]:
        m.goals.remove(goal)
    for position, (title, success) in enumerate(goals):
        if position < len(existing):
            existing[position].title, existing[position].success = title, success
        else:
            m.goals.append(
                Goal(
                    title=title,
                    success=success,
                    position=position,
                    status=GoalStatus.PROPOSED,
                    created_at=turn.now,
                )
            )
    agreement.duration_months = duration or agreement.duration_months
    if is_actor:
        agreement.share_goals_with_supervisor = share == "yes"
    else:
        agreement.mentor_comment = comment
    agreement.terms_set = True
    agreement.revision += 1
    agreement.actor_accepted_at = None
    agreement.mentor_accepted_at = None
    forms.close(turn.session, turn.person)
    turn.session.flush()
    other = partner(m, turn.person)
    turn.say(turn.tx.t("agreement.draft_saved", partner=user_text(other.name)))
    turn.reply(summary(turn.person, m))
    notice = Message().text(
        texts_for(other).t(
            "agreement.draft_changed",
            who=user_text(turn.person.name),
            change=_change(is_actor, agreement.revision),
        )
    )
    notice.blocks.extend(summary(other, m).blocks)
    turn.send(
        other,
        notice,
        kind="agreement",
        dedupe_key=f"agreement.changed:{m.id}:{agreement.revision}:{other.id}",
    )


def summary(viewer: Person, m: Mentorship) -> Message:
    """The agreement as both parties see it, with the buttons this viewer needs."""
    tx = texts_for(viewer)
    a = m.agreement
    message = Message().text(
        tx.t(
            "agreement.summary_heading",
            revision=a.revision,
            mentor=user_text(m.mentor.name),
            actor=user_text(m.actor.name),
        )
    )
    message.text(goals_text(tx, m))
    fields = [
        (tx._("Duration"), tx.ngettext("%(num)s month", "%(num)s months", a.duration_months)),
        (
            tx._("Meetings"),
            tx.ngettext("every %(num)s day", "every %(num)s days", a.meeting_interval_days),
        ),
        (tx._("Confidentiality"), tx.t("agreement.confidentiality")),
        (tx._("Ending early"), tx.t("agreement.cancellation", days=a.cancellation_notice_days)),
        (
            tx._("Goal titles shown to the supervisor"),
            tx._("Yes") if a.share_goals_with_supervisor else tx._("No"),
        ),
        (tx._("Accepted"), _acceptance(m)),
    ]
    message.fields(fields)
    if a.mentor_comment:
        message.text(
            tx._(
                "Comment from %(mentor)s: %(comment)s",
                mentor=user_text(m.mentor.name),
                comment=user_text(a.mentor_comment),
            )
        )
    if m.phase == Phase.START and a.terms_set and not accepted_by(m, viewer):
        message.buttons(
            Button(
                action_id="agreement.accept",
                label=tx._("Accept"),
                value=AGREEMENT_REVISION.encode(AgreementRevision(m.id, a.revision)),
                style="primary",
            ),
            Button(action_id="agreement.change", label=tx._("Suggest changes"), value=str(m.id)),
        )
    return message


def _acceptance(m: Mentorship) -> str:
    a = m.agreement
    marks = [
        f"{m.actor.name} {'✓' if a.actor_accepted_at else '–'}",
        f"{m.mentor.name} {'✓' if a.mentor_accepted_at else '–'}",
    ]
    return ", ".join(user_text(x) for x in marks)


def _role(m: Mentorship, person: Person) -> str:
    return "mentor" if person.id == m.mentor_id else "actor"


@action("agreement.accept", role=ANYONE)
def accept(turn: Turn, value: str) -> None:
    accepted = AGREEMENT_REVISION.read(turn, value)
    m = party_mentorship(turn, accepted.mentorship_id)
    a = m.agreement
    if m.phase != Phase.START:
        turn.refuse(turn.tx.t("agreement.already_agreed"))
    if not a.terms_set:
        turn.refuse(turn.tx.t("common.stale_button"))
    if accepted.revision != a.revision:
        turn.say(turn.tx.t("agreement.changed_since"))
        turn.reply(summary(turn.person, m))
        return
    if accepted_by(m, turn.person):
        turn.refuse(
            turn.tx.t("agreement.already_accepted", partner=user_text(partner(m, turn.person).name))
        )
    if turn.person.id == m.actor_id:
        a.actor_accepted_at = turn.now
    else:
        a.mentor_accepted_at = turn.now
    other = partner(m, turn.person)
    if not accepted_by(m, other):
        turn.say(turn.tx.t("agreement.accepted_waiting", partner=user_text(other.name)))
        notice = Message().text(
            texts_for(other).t("agreement.partner_accepted", who=user_text(turn.person.name))
        )
        notice.blocks.extend(summary(other, m).blocks)
        turn.send(
            other,
            notice,
            kind="agreement",
            dedupe_key=f"agreement.accepted:{m.id}:{a.revision}:{turn.person.id}",
        )
        return
    begin_development(turn, m)


def begin_development(turn: Turn, m: Mentorship) -> None:
    """Both accepted: the development phase starts and the series can be booked."""
    a = m.agreement
    m.phase = Phase.DEVELOPMENT
    m.started_at = turn.now
    m.planned_end = rules.planned_end(
        turn.now.date(), a.duration_months, m.programme.holiday_country or rules.DEFAULT_COUNTRY
    )
    for goal in m.goals:
        goal.status = GoalStatus.AGREED
    for person in (m.actor, m.mentor):
        tx = texts_for(person)
        message = Message().text(
            tx.t(
                "agreement.both_accepted",
                partner=user_text(partner(m, person).name),
                end=tx.date(m.planned_end),
                days=a.meeting_interval_days,
            )
        )
        message.buttons(
            Button(
                action_id="schedule.plan",
                label=tx._("Plan meetings"),
                value=str(m.id),
                style="primary",
            )
        )
        if person.id == turn.person.id:
            turn.reply(message)
        else:
            turn.send(
                person, message, kind="agreement", dedupe_key=f"agreement.both:{m.id}:{person.id}"
            )
    queue_kickoff(turn, m)


def _change(is_actor: bool, revision: int) -> str:
    """What the partner is told happened: the first draft, the actor's update of it, or the
    mentor's suggested changes (a mentor never drafts)."""
    if not is_actor:
        return "suggested"
    return "drafted" if revision <= 1 else "updated"
