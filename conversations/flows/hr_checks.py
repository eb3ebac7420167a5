"""The HR chat's words for the rules of ``conversations.validation``: which form field each
refused programme field or pairing reason is shown on, and how it is said."""

from __future__ import annotations

from conversations import forms
from conversations.pairing import pairing_problems
from conversations.texts import user_text
from conversations.turn import Turn
from conversations.validation import GOALS_MAX, LIMITS, NAME_MAX, Reason
from storage.models import Mentorship, Person, Programme

# the programme form's fields and the ProgrammeIn fields they fill
PROGRAMME_FIELDS = {
    "name": "name",
    "goals": "goals",
    "duration": "duration_months",
    "interval": "meeting_interval_days",
    "horizon": "booking_horizon_months",
    "max_actors": "max_actors_per_mentor",
}


def explain_programme_field(v: forms.Validator, model_field: str) -> None:
    """Word a field ProgrammeIn refused the way every form words it (the limits are its)."""
    form_field = next(f for f, m in PROGRAMME_FIELDS.items() if m == model_field)
    if model_field in LIMITS:
        v.integer(form_field, *LIMITS[model_field])
    else:
        v.text(form_field, GOALS_MAX if model_field == "goals" else NAME_MAX)


def check_pair_form(
    turn: Turn,
    v: forms.Validator,
    programme: Programme,
    mentor: Person,
    actor: Person,
    replacing: Mentorship | None = None,
) -> None:
    """The pairing rules (``check_pair``), each reason on the form field it is about."""
    tx = turn.tx
    for reason in pairing_problems(turn.session, programme, mentor, actor, replacing):
        if reason == Reason.SELF_PAIR:
            v.errors["mentor"] = tx.t("hr.self_pair")
        elif reason == Reason.SAME_MENTOR:
            v.errors["mentor"] = tx.t("hr.same_mentor", mentor=user_text(mentor.name))
        elif reason == Reason.MENTOR_SUPERVISES_ACTOR:
            v.errors["mentor"] = tx.t(
                "hr.mentor_supervises_actor",
                mentor=user_text(mentor.name),
                actor=user_text(actor.name),
            )
        elif reason == Reason.ALREADY_PAIRED:
            v.errors["actor"] = tx.t(
                "hr.already_paired",
                actor=user_text(actor.name),
                programme=user_text(programme.name),
            )
