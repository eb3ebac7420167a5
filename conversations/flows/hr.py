"""HR coordinators in chat: roles, programmes, pairing, ending and re-pairing, alerts.

Every handler is declared with the HR role, so the engine refuses everyone else. Every read
or change of other people's data is written to the audit log (``conversations.hr_admin.audit``).
"""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import forms, rules
from conversations.flows.hr_checks import (
    PROGRAMME_FIELDS,
    check_pair_form,
    explain_programme_field,
)
from conversations.hr_admin import (
    ProgrammeFrame,
    actor_label,
    add_programme,
    audit,
    end_mentorship,
    set_hr,
)
from conversations.messages import Form, Input, Message, Option
from conversations.pairing import create_mentorship
from conversations.registry import action, command, form
from conversations.roles import HR
from conversations.sweep.alerts import alert_message, open_alerts
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from conversations.validation import (
    Invalid,
    ProgrammeIn,
    parse,
)
from storage.models import ACTIVE_PHASES, Alert, Mentorship, Person, Programme
from storage.queries import person_by_email, programme_by_name

MAX_LISTED = 25
ACTIVE = [p.value for p in ACTIVE_PHASES]


def _by(turn: Turn) -> str:
    return actor_label(turn.person)


@command("hr_help", role=HR)
def hr_help(turn: Turn, _rest: str) -> None:
    turn.say("\n".join(turn.tx.t(k) for k in ("hr.help", "outreach.help", "matching.hr_help")))


# --- roles ---------------------------------------------------------------------------------


def _target(turn: Turn, rest: str) -> Person:
    email = rest.strip()
    if not email:
        turn.refuse(turn.tx.t("hr.grant_usage"))
    target = person_by_email(turn.session, email)
    if target is None or target.erased_at is not None:
        turn.refuse(turn.tx.t("hr.unknown_email", email=user_text(email)))
    assert target is not None
    return target


@command("grant_hr", role=HR)
def grant_hr(turn: Turn, rest: str) -> None:
    target = _target(turn, rest)
    if not set_hr(turn.session, turn.now, _by(turn), target, True):
        turn.say(turn.tx.t("hr.role_unchanged", name=user_text(target.name)))
        return
    turn.say(turn.tx.t("hr.granted", name=user_text(target.name)))
    turn.send(
        target,
        Message().text(texts_for(target).t("hr.you_are_hr")),
        kind="hr.granted",
        dedupe_key=f"hr.granted:{target.id}:{turn.now.isoformat()}",
    )


@command("revoke_hr", role=HR)
def revoke_hr(turn: Turn, rest: str) -> None:
    target = _target(turn, rest)
    if target.id == turn.person.id:
        turn.refuse(turn.tx.t("hr.not_yourself"))
    if not set_hr(turn.session, turn.now, _by(turn), target, False):
        turn.say(turn.tx.t("hr.role_unchanged", name=user_text(target.name)))
        return
    turn.say(turn.tx.t("hr.revoked", name=user_text(target.name)))


# --- programmes ----------------------------------------------------------------------------


def programme_form(turn: Turn) -> Form:
    tx = turn.tx
    months = forms.numbers(rules.MIN_DURATION_MONTHS, rules.MAX_DURATION_MONTHS)
    return Form(
        form_id="hr.programme",
        title=tx._("New programme"),
        inputs=[
            Input(name="name", label=tx._("Name"), max_length=200),
            Input(
                name="goals",
                label=tx._("The organisation's goals for the programme"),
                kind="multiline",
                max_length=4000,
            ),
            Input(
                name="duration",
                label=tx._("Default duration (months)"),
                kind="select",
                options=months,
            ),
            Input(
                name="interval",
                label=tx._("Days between meetings"),
                hint=tx._("Mentoring works best with a meeting every two weeks: 14 days."),
            ),
            Input(
                name="horizon",
                label=tx._("Booking horizon (months)"),
                kind="select",
                options=months,
                required=False,
                hint=tx._("Empty: 3 months, or 6 for relationships of 6 months or longer."),
            ),
            Input(name="max_actors", label=tx._("Actors one mentor may have at once")),
        ],
        values={"interval": "14", "duration": "6", "max_actors": "2"},
        submit_label=tx._("Create programme"),
    )


@command("new_programme", role=HR)
def new_programme(turn: Turn, _rest: str) -> None:
    forms.offer(turn, programme_form(turn))


@form("hr.programme", role=HR)
def save_programme(turn: Turn, _value: str, fields: dict[str, str]) -> None:
    v = forms.Validator(turn.tx, fields)
    given = {model: (fields.get(name) or "").strip() for name, model in PROGRAMME_FIELDS.items()}
    checked: ProgrammeIn | None = None
    try:
        checked = parse(ProgrammeIn, given)
    except Invalid as err:
        for problem in err.problems:
            explain_programme_field(v, problem.field)
    if given["name"] and programme_by_name(turn.session, given["name"]):
        v.errors["name"] = turn.tx.t("hr.programme_exists", name=user_text(given["name"]))
    if not v.ok or checked is None:
        forms.reoffer(turn, programme_form(turn), v)
        return
    name, goals = checked.name, checked.goals
    duration, interval = checked.duration_months, checked.meeting_interval_days
    forms.close(turn.session, turn.person)
    add_programme(
        turn.session,
        turn.now,
        _by(turn),
        name,
        goals,
        ProgrammeFrame(
            duration_months=duration,
            meeting_interval_days=interval,
            booking_horizon_months=checked.booking_horizon_months,
            max_actors_per_mentor=checked.max_actors_per_mentor,
        ),
    )
    turn.say(
        turn.tx.t("hr.programme_created", name=user_text(name), months=duration, days=interval)
    )


@command("programmes", role=HR)
def programmes(turn: Turn, _rest: str) -> None:
    rows = list(
        turn.session.execute(
            select(Programme, func.count(Mentorship.id))
            .outerjoin(Mentorship, Mentorship.programme_id == Programme.id)
            .group_by(Programme.id)
            .order_by(Programme.name)
        )
    )
    if not rows:
        turn.say(turn.tx.t("hr.no_programmes"))
        return
    turn.say(
        "\n".join(
            turn.tx.t(
                "hr.programme_line",
                name=user_text(p.name),
                months=p.duration_months,
                days=p.meeting_interval_days,
                pairs=n,
            )
            for p, n in rows
        )
    )


# --- pairing -------------------------------------------------------------------------------


def pair_form(turn: Turn, value: str = "", intro_values: dict[str, str] | None = None) -> Form:
    tx = turn.tx
    options = [
        Option(value=str(p.id), label=p.name)
        for p in turn.session.scalars(select(Programme).order_by(Programme.name))
    ]
    return Form(
        form_id="hr.pair",
        title=tx._("New pair"),
        value=value,
        inputs=[
            Input(name="programme", label=tx._("Programme"), kind="select", options=options),
            Input(name="mentor", label=tx._("Mentor's email"), max_length=254),
            Input(name="actor", label=tx._("Actor's email"), max_length=254),
        ],
        values=intro_values or ({"programme": options[0].value} if len(options) == 1 else {}),
        submit_label=tx._("Pair them"),
    )


@command("pair", role=HR)
def pair(turn: Turn, _rest: str) -> None:
    if turn.session.scalar(select(func.count(Programme.id))) == 0:
        turn.refuse(turn.tx.t("hr.no_programmes"))
    forms.offer(turn, pair_form(turn))


@action("hr.pair_person", role=HR)
def pair_person(turn: Turn, value: str) -> None:
    """From HR's opt-in notice: the pair form with the person who wants a mentor filled in."""
    person = turn.session.get(Person, int(value)) if value.isdigit() else None
    if person is None or person.erased_at is not None or not person.email:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert person is not None and person.email
    if turn.session.scalar(select(func.count(Programme.id))) == 0:
        turn.refuse(turn.tx.t("hr.no_programmes"))
    form = pair_form(turn)
    form.values["actor"] = person.email
    forms.offer(turn, form)


def _person_field(turn: Turn, v: forms.Validator, name: str) -> Person | None:
    email = v.text(name, 254)
    if email is None:
        return None
    person = person_by_email(turn.session, email)
    if person is None or person.erased_at is not None:
        v.errors[name] = turn.tx.t("hr.unknown_email", email=user_text(email))
        return None
    return person


@form("hr.pair", role=HR)
def save_pair(turn: Turn, value: str, fields: dict[str, str]) -> None:
    v = forms.Validator(turn.tx, fields)
    pid = v.choice("programme", [str(i) for i in turn.session.scalars(select(Programme.id))])
    mentor = _person_field(turn, v, "mentor")
    actor = _person_field(turn, v, "actor")
    programme = turn.session.get(Programme, int(pid)) if pid else None
    if programme and mentor and actor:
        check_pair_form(turn, v, programme, mentor, actor)
    if not v.ok:
        forms.reoffer(turn, pair_form(turn, value), v)
        return
    assert programme and mentor and actor
    forms.close(turn.session, turn.person)
    _pair(turn, programme, mentor, actor)
    if value.startswith("queue:"):  # opened from a follow-up in HR's queue: acted on
        from conversations.flows.hr_queue import acted_on

        acted_on(turn, value, "paired")


def _pair(turn: Turn, programme: Programme, mentor: Person, actor: Person) -> Mentorship:
    m = create_mentorship(turn.session, turn.now, programme, mentor, actor)
    audit(
        turn.session,
        turn.now,
        _by(turn),
        "pair.add",
        actor,
        mentor=mentor.email,
        programme=programme.name,
        mentorship_id=m.id,
    )
    turn.say(
        turn.tx.t(
            "hr.paired",
            mentor=user_text(mentor.name),
            actor=user_text(actor.name),
            programme=user_text(programme.name),
        )
    )
    return m


def _active_mentorship(turn: Turn, value: str) -> Mentorship:
    m = turn.session.get(Mentorship, int(value)) if value.isdigit() else None
    if m is None or m.phase not in ACTIVE:
        turn.refuse(turn.tx.t("hr.not_active"))
    assert m is not None
    return m


def end_form(turn: Turn, m: Mentorship) -> Form:
    return Form(
        form_id="hr.end",
        title=turn.tx._("End a pair early"),
        value=str(m.id),
        inputs=[Input(name="reason", label=turn.tx._("Reason"), kind="multiline", max_length=500)],
        submit_label=turn.tx._("End the pair"),
    )


@action("hr.end", role=HR)
def start_end(turn: Turn, value: str) -> None:
    m = _active_mentorship(turn, value)
    forms.offer(
        turn,
        end_form(turn, m),
        intro=turn.tx.t(
            "hr.end_intro", mentor=user_text(m.mentor.name), actor=user_text(m.actor.name)
        ),
    )


@form("hr.end", role=HR)
def save_end(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = _active_mentorship(turn, value)
    v = forms.Validator(turn.tx, fields)
    reason = v.text("reason", 500)
    if not v.ok:
        forms.reoffer(turn, end_form(turn, m), v)
        return
    assert reason
    forms.close(turn.session, turn.person)
    end_mentorship(turn.session, turn.now, _by(turn), m, reason)
    turn.say(turn.tx.t("hr.ended", mentor=user_text(m.mentor.name), actor=user_text(m.actor.name)))


def repair_form(turn: Turn, m: Mentorship) -> Form:
    tx = turn.tx
    return Form(
        form_id="hr.repair",
        title=tx._("Re-pair"),
        value=str(m.id),
        inputs=[
            Input(name="mentor", label=tx._("New mentor's email"), max_length=254),
            Input(name="reason", label=tx._("Reason"), kind="multiline", max_length=500),
        ],
        submit_label=tx._("Re-pair"),
    )


@action("hr.repair", role=HR)
def start_repair(turn: Turn, value: str) -> None:
    m = _active_mentorship(turn, value)
    forms.offer(
        turn,
        repair_form(turn, m),
        intro=turn.tx.t("hr.repair_intro", actor=user_text(m.actor.name)),
    )


@form("hr.repair", role=HR)
def save_repair(turn: Turn, value: str, fields: dict[str, str]) -> None:
    m = _active_mentorship(turn, value)
    v = forms.Validator(turn.tx, fields)
    mentor = _person_field(turn, v, "mentor")
    reason = v.text("reason", 500)
    if mentor is not None:
        check_pair_form(turn, v, m.programme, mentor, m.actor, replacing=m)
    if not v.ok:
        forms.reoffer(turn, repair_form(turn, m), v)
        return
    assert mentor and reason
    forms.close(turn.session, turn.person)
    end_mentorship(turn.session, turn.now, _by(turn), m, reason)
    turn.session.flush()
    _pair(turn, m.programme, mentor, m.actor)


# --- alerts (the report: flows/hr_report.py) -----------------------------------------------


@command("alerts", role=HR)
def alerts(turn: Turn, _rest: str) -> None:
    found = open_alerts(turn.session)
    audit(turn.session, turn.now, _by(turn), "alerts.list", None, count=len(found))
    if not found:
        turn.say(turn.tx.t("hr.no_alerts"))
        return
    turn.say(turn.tx.t("hr.alerts_heading", n=len(found)))
    for alert in found[:MAX_LISTED]:
        turn.reply(alert_message(turn.session, turn.tx, alert))


@action("hr.alert_handled", role=HR)
def alert_handled(turn: Turn, value: str) -> None:
    alert = turn.session.get(Alert, int(value)) if value.isdigit() else None
    if alert is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert alert is not None
    if alert.handled_at is not None:
        turn.say(turn.tx.t("hr.alert_already_handled"))
        return
    alert.handled_at = turn.now
    alert.handled_by = _by(turn)
    audit(
        turn.session,
        turn.now,
        _by(turn),
        "alert.handled",
        None,
        alert_id=alert.id,
        signal=alert.signal,
    )
    turn.say(turn.tx.t("hr.alert_handled"))
