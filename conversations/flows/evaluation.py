"""Interim evaluation at the midpoint, goal adjustment, and the clear end: final evaluation,
continuation plan, relationship closed."""

from __future__ import annotations

from conversations import closing_summary, forms, progress, rules
from conversations.flows.common import goals_text, party_mentorship, pick_mentorship, require_phase
from conversations.flows.supervisor import queue_closed_notice
from conversations.messages import Button, Form, Input, Message, Option
from conversations.registry import action, command, form
from conversations.roles import ANYONE
from conversations.sweep.alerts import close_alerts_of
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import (
    GOAL_SUCCESS_MAX,
    GOAL_TITLE_MAX,
    LONG_TEXT_MAX,
    Continuation,
    Evaluation,
    EvaluationKind,
    Goal,
    GoalStatus,
    Mentorship,
    Phase,
)
from storage.queries import evaluation_count, own_evaluation, partner, sub_goals, top_goals

ATTAINMENT = ("achieved", "partly", "not_achieved")
ATTAINMENT_STATUS = {
    "achieved": GoalStatus.ACHIEVED,
    "partly": GoalStatus.PARTLY,
    "not_achieved": GoalStatus.NOT_ACHIEVED,
}


# --- interim ------------------------------------------------------------------------------


def interim_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    inputs = [
        Input(
            name=f"goal{i}",
            label=tx._("Progress on “%(goal)s” (1–5)", goal=g.title),
            kind="rating",
            options=forms.rating_options(),
        )
        for i, g in enumerate(top_goals(m), 1)
    ]
    inputs += [
        Input(
            name="relationship",
            label=tx._("How well does the mentoring relationship work? (1–5)"),
            kind="rating",
            options=forms.rating_options(),
        ),
        Input(
            name="cadence",
            label=tx._("Meeting every two weeks is…"),
            kind="select",
            options=[
                Option(value="right", label=tx._("about right")),
                Option(value="too_often", label=tx._("too often")),
                Option(value="too_rare", label=tx._("too rare")),
            ],
        ),
        Input(
            name="realistic",
            label=tx._("Are the goals realistic?"),
            kind="select",
            options=[
                Option(value="yes", label=tx._("Yes")),
                Option(value="partly", label=tx._("Partly")),
                Option(value="no", label=tx._("No")),
            ],
        ),
        Input(
            name="comment",
            label=tx._("Anything else? (private)"),
            kind="multiline",
            required=False,
            max_length=LONG_TEXT_MAX,
        ),
    ]
    return Form(
        form_id="interim",
        title=tx._("Interim evaluation"),
        value=str(m.id),
        inputs=inputs,
        submit_label=tx._("Save"),
    )


@command("evaluate", role=ANYONE)
def evaluate(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "evaluate", rest, (Phase.DEVELOPMENT,))
    if m is not None:
        start_interim(turn, str(m.id))


def _interim_mentorship(turn: Turn, value: str) -> Mentorship:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT)
    if own_evaluation(turn.session, turn.person, m, EvaluationKind.INTERIM):
        turn.refuse(turn.tx.t("evaluation.interim_done"))
    if not progress.interim_open(m, turn.now):
        turn.refuse(turn.tx.t("evaluation.interim_not_yet"))
    return m


@action("interim.start", role=ANYONE)
def start_interim(turn: Turn, value: str) -> None:
    m = _interim_mentorship(turn, value)
    forms.offer(turn, interim_form(turn, m), intro=turn.tx.t("evaluation.interim_intro"))


@form("interim", role=ANYONE)
def save_interim(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = _interim_mentorship(turn, value)
    v = forms.Validator(turn.tx, fields)
    ratings = {str(g.id): v.rating(f"goal{i}") for i, g in enumerate(top_goals(m), 1)}
    relationship = v.rating("relationship")
    cadence = v.choice("cadence", ["right", "too_often", "too_rare"])
    realistic = v.choice("realistic", ["yes", "partly", "no"])
    comment = v.text("comment", LONG_TEXT_MAX, required=False)
    if not v.ok:
        forms.reoffer(turn, interim_form(turn, m), v)
        return
    forms.close(turn.session, turn.person)
    turn.session.add(
        Evaluation(
            mentorship_id=m.id,
            person_id=turn.person.id,
            kind=EvaluationKind.INTERIM,
            goal_ratings=ratings,
            relationship_rating=relationship,
            cadence=cadence,
            goals_realistic=realistic,
            text=comment,
            created_at=turn.now,
        )
    )
    turn.reply(
        Message()
        .text(turn.tx.t("evaluation.interim_saved"))
        .buttons(Button(action_id="goals.edit", label=turn.tx._("Adjust goals"), value=str(m.id)))
    )


# --- adjusting goals and sub-goals -------------------------------------------------------


def goals_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    inputs: list[Input] = []
    values: dict[str, str] = {}
    for i, g in enumerate(top_goals(m), 1):
        inputs.append(
            Input(name=f"goal{i}", label=tx._("Goal %(n)s", n=i), max_length=GOAL_TITLE_MAX)
        )
        inputs.append(
            Input(
                name=f"success{i}",
                label=tx._("What would success look like?"),
                kind="multiline",
                max_length=GOAL_SUCCESS_MAX,
            )
        )
        inputs.append(
            Input(
                name=f"subgoals{i}",
                label=tx._("Sub-goals, one per line"),
                kind="multiline",
                required=False,
                max_length=LONG_TEXT_MAX,
            )
        )
        values[f"goal{i}"] = g.title
        values[f"success{i}"] = g.success
        values[f"subgoals{i}"] = "\n".join(s.title for s in sub_goals(m, g))
    return Form(
        form_id="goals.edit",
        title=tx._("Adjust goals"),
        value=str(m.id),
        inputs=inputs,
        values=values,
        submit_label=tx._("Save goals"),
    )


@action("goals.edit", role=ANYONE)
def edit_goals(turn: Turn, value: str) -> None:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    forms.offer(turn, goals_form(turn, m))


@form("goals.edit", role=ANYONE)
def save_goals(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    v = forms.Validator(turn.tx, fields)
    updates = []
    for i, g in enumerate(top_goals(m), 1):
        title = v.text(f"goal{i}", GOAL_TITLE_MAX)
        success = v.text(f"success{i}", GOAL_SUCCESS_MAX)
        subs_raw = v.text(f"subgoals{i}", LONG_TEXT_MAX, required=False) or ""
        subs = [line.strip(" -•\t") for line in subs_raw.splitlines() if line.strip(" -•\t")]
        if any(len(s) > GOAL_TITLE_MAX for s in subs):
            v.errors[f"subgoals{i}"] = turn.tx.ngettext(
                "Please keep each sub-goal under %(num)s character.",
                "Please keep each sub-goal under %(num)s characters.",
                GOAL_TITLE_MAX,
            )
        updates.append((g, title, success, subs))
    if not v.ok:
        forms.reoffer(turn, goals_form(turn, m), v)
        return
    forms.close(turn.session, turn.person)
    for g, title, success, subs in updates:
        assert title and success
        g.title, g.success = title, success
        existing = sub_goals(m, g)
        for old in existing[len(subs) :]:
            m.goals.remove(old)
            turn.session.delete(old)
        for i, text in enumerate(subs):
            if i < len(existing):
                existing[i].title = text
            else:
                m.goals.append(
                    Goal(
                        parent_id=g.id,
                        title=text,
                        position=i,
                        status=GoalStatus.AGREED,
                        created_at=turn.now,
                    )
                )
    turn.session.flush()
    turn.session.refresh(m)
    turn.reply(Message().text(turn.tx.t("evaluation.goals_saved")).text(goals_text(turn.tx, m)))
    other = partner(m, turn.person)
    otx = texts_for(other)
    turn.send(
        other,
        Message()
        .text(otx.t("evaluation.goals_changed", who=user_text(turn.person.name)))
        .text(goals_text(otx, m)),
        kind="goals",
        dedupe_key=f"goals.changed:{m.id}:{turn.person.id}:{turn.now.isoformat()}",
    )


# --- final evaluation and closing ---------------------------------------------------------


def final_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    attainment = [
        Option(value="achieved", label=tx._("achieved")),
        Option(value="partly", label=tx._("partly achieved")),
        Option(value="not_achieved", label=tx._("not achieved")),
    ]
    inputs = [
        Input(
            name="discussion",
            label=tx._("Have you had the final discussion together?"),
            kind="select",
            options=forms.yes_no(tx, no_label=tx._("Not yet")),
        ),
    ]
    inputs += [
        Input(
            name=f"goal{i}",
            label=tx._("“%(goal)s” was…", goal=g.title),
            kind="select",
            options=attainment,
        )
        for i, g in enumerate(top_goals(m), 1)
    ]
    inputs += [
        Input(
            name="usefulness",
            label=tx._("How useful was the mentoring overall? (1–5)"),
            kind="rating",
            options=forms.rating_options(),
        ),
        Input(
            name="changed",
            label=tx._("What changed for you? (private)"),
            kind="multiline",
            required=False,
            max_length=LONG_TEXT_MAX,
        ),
        Input(
            name="continuation",
            label=tx._("What next?"),
            kind="select",
            hint=tx._(
                "A new round goes to HR, who will contact you; the other choices stay between"
                " the two of you."
            ),
            options=[
                Option(value=Continuation.CONTINUE_INFORMALLY, label=tx._("Continue informally")),
                Option(value=Continuation.NEW_GOALS, label=tx._("A new round with new goals")),
                Option(value=Continuation.NEW_MENTOR, label=tx._("A new round with a new mentor")),
                Option(value=Continuation.CLOSE, label=tx._("Close the mentoring")),
            ],
        ),
    ]
    return Form(
        form_id="final",
        title=tx._("Final evaluation"),
        value=str(m.id),
        inputs=inputs,
        submit_label=tx._("Save"),
    )


@command("close", role=ANYONE)
def close_command(turn: Turn, rest: str) -> None:
    m = pick_mentorship(turn, "close", rest, (Phase.DEVELOPMENT, Phase.CLOSING))
    if m is not None:
        start_final(turn, str(m.id))


def _final_mentorship(turn: Turn, value: str) -> Mentorship:
    m = party_mentorship(turn, value)
    require_phase(turn, m, Phase.DEVELOPMENT, Phase.CLOSING)
    if own_evaluation(turn.session, turn.person, m, EvaluationKind.FINAL):
        turn.refuse(
            turn.tx.t("evaluation.final_done", partner=user_text(partner(m, turn.person).name))
        )
    if not progress.closing_open(m, turn.now):
        assert m.planned_end is not None
        turn.refuse(
            turn.tx.t(
                "evaluation.final_not_yet",
                when=turn.tx.date(
                    rules.closing_opens(
                        m.planned_end, m.programme.holiday_country or rules.DEFAULT_COUNTRY
                    )
                ),
            )
        )
    return m


@action("final.start", role=ANYONE)
def start_final(turn: Turn, value: str) -> None:
    m = _final_mentorship(turn, value)
    if m.phase == Phase.DEVELOPMENT:
        m.phase = Phase.CLOSING
    unrecorded = closing_summary.unrecorded_past_meetings(turn, m)
    if unrecorded:  # asked once here; at the close, what nobody recorded counts as not held
        turn.reply(
            Message()
            .text(turn.tx.t("evaluation.unrecorded", count=len(unrecorded)))
            .buttons(
                *[
                    Button(
                        action_id="checkin.start",
                        value=str(x.id),
                        label=turn.tx._("Check in on meeting %(n)s", n=x.seq),
                    )
                    for x in unrecorded[:5]
                ]
            )
        )
    forms.offer(turn, final_form(turn, m), intro=turn.tx.t("evaluation.final_intro"))


@form("final", role=ANYONE)
def save_final(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = _final_mentorship(turn, value)
    v = forms.Validator(turn.tx, fields)
    discussion = v.choice("discussion", ["yes", "no"])
    attainment = {
        str(g.id): v.choice(f"goal{i}", list(ATTAINMENT)) for i, g in enumerate(top_goals(m), 1)
    }
    usefulness = v.rating("usefulness")
    changed = v.text("changed", LONG_TEXT_MAX, required=False)
    continuation = v.choice("continuation", [c.value for c in Continuation])
    if not v.ok:
        forms.reoffer(turn, final_form(turn, m), v)
        return
    forms.close(turn.session, turn.person)
    if m.phase == Phase.DEVELOPMENT:
        m.phase = Phase.CLOSING
    turn.session.add(
        Evaluation(
            mentorship_id=m.id,
            person_id=turn.person.id,
            kind=EvaluationKind.FINAL,
            goal_ratings=attainment,
            relationship_rating=usefulness,
            final_discussion_held=discussion == "yes",
            continuation=continuation,
            text=changed,
            created_at=turn.now,
        )
    )
    if turn.person.id == m.actor_id:
        for g in top_goals(m):
            g.status = ATTAINMENT_STATUS[attainment[str(g.id)] or "partly"]
    turn.session.flush()
    other = partner(m, turn.person)
    if evaluation_count(turn.session, m, EvaluationKind.FINAL) < 2:
        turn.say(turn.tx.t("evaluation.final_saved_waiting", partner=user_text(other.name)))
        otx = texts_for(other)
        turn.send(
            other,
            Message()
            .text(otx.t("evaluation.partner_final_done", who=user_text(turn.person.name)))
            .buttons(
                Button(
                    action_id="final.start",
                    value=str(m.id),
                    label=otx._("Final evaluation"),
                    style="primary",
                )
            ),
            kind="closing",
            dedupe_key=f"final.partner:{m.id}:{other.id}",
        )
        return
    close_relationship(turn, m)


def close_relationship(turn: Turn, m: Mentorship) -> None:
    """Both evaluated: the relationship closes; left-over meetings are cancelled."""
    m.phase = Phase.CLOSED
    m.closed_at = turn.now
    close_alerts_of(turn.session, m.id, turn.now)
    for person in (m.actor, m.mentor):
        tx = texts_for(person)
        own = own_evaluation(turn.session, person, m, EvaluationKind.FINAL)
        theirs = own_evaluation(turn.session, partner(m, person), m, EvaluationKind.FINAL)
        plan = own.continuation if own else "close"
        message = Message().text(
            tx.t(
                "evaluation.closed",
                partner=user_text(partner(m, person).name),
                plan=plan,
                same=plan == (theirs.continuation if theirs else "close"),
            )
        )
        if person.id == turn.person.id:
            turn.reply(message)
        else:
            turn.send(person, message, kind="closing", dedupe_key=f"closed:{m.id}:{person.id}")
    closing_summary.wind_up(turn, m)
    queue_closed_notice(turn, m)
