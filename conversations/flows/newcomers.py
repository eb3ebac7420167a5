"""Newcomers: buddies (an experienced mentor introduced to a new one) and the answers to
the invitation new and returning employees get."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.button_values import BUDDY_INTRODUCTION, BuddyIntroduction
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Message
from conversations.registry import action, command
from conversations.roles import ANYONE, HR
from conversations.texts import user_text
from conversations.turn import Turn, texts_for
from storage.models import (
    ACTIVE_PHASES,
    Invitation,
    Mentorship,
    Person,
    Phase,
)

ACTIVE = [p.value for p in ACTIVE_PHASES]


# --- buddies for new mentors ----------------------------------------------------------------


def _completed(session: Session) -> set[int]:
    return set(
        session.scalars(select(Mentorship.mentor_id).where(Mentorship.phase == Phase.CLOSED.value))
    )


@command("buddies", role=HR)
def buddies(turn: Turn, _rest: str) -> None:
    experienced = _completed(turn.session)
    active = set(
        turn.session.scalars(select(Mentorship.mentor_id).where(Mentorship.phase.in_(ACTIVE)))
    )
    new = sorted(active - experienced)
    audit(turn.session, turn.now, actor_label(turn.person), "buddies.list", None, count=len(new))
    if not new:
        turn.say(turn.tx.t("outreach.no_new_mentors"))
        return
    if not experienced:
        turn.say(turn.tx.t("outreach.no_experienced"))
        return
    pool = sorted(experienced)
    for i, person_id in enumerate(new):
        newbie = turn.session.get(Person, person_id)
        buddy = turn.session.get(Person, pool[i % len(pool)])
        assert newbie is not None and buddy is not None
        turn.reply(
            Message()
            .text(
                turn.tx.t(
                    "outreach.buddy_line", new=user_text(newbie.name), buddy=user_text(buddy.name)
                )
            )
            .buttons(
                Button(
                    action_id="hr.buddy",
                    label=turn.tx._("Introduce them"),
                    value=BUDDY_INTRODUCTION.encode(BuddyIntroduction(newbie.id, buddy.id)),
                )
            )
        )


@action("hr.buddy", role=HR)
def introduce(turn: Turn, value: str) -> None:
    pair = BUDDY_INTRODUCTION.read(turn, value)
    newbie = turn.session.get(Person, pair.newbie_id)
    buddy = turn.session.get(Person, pair.buddy_id)
    if newbie is None or buddy is None or buddy.id not in _completed(turn.session):
        turn.refuse(turn.tx.t("common.stale_button"))
    assert newbie is not None and buddy is not None
    for person in (newbie, buddy):
        turn.send(
            person,
            Message().text(
                texts_for(person).t(
                    "outreach.buddy_intro", new=user_text(newbie.name), buddy=user_text(buddy.name)
                )
            ),
            kind="buddy",
            dedupe_key=f"buddy:{newbie.id}:{buddy.id}:{person.id}",
        )
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "buddy.introduce",
        newbie,
        buddy=buddy.email,
    )
    turn.say(
        turn.tx.t("outreach.buddy_sent", new=user_text(newbie.name), buddy=user_text(buddy.name))
    )


# --- answers to the eligibility invitation -------------------------------------------------


def _invitation(turn: Turn, value: str) -> Invitation:
    invitation = turn.session.scalars(
        select(Invitation).where(Invitation.person_id == turn.person.id)
    ).first()
    if invitation is None or value != str(turn.person.id):
        turn.refuse(turn.tx.t("common.not_yours"))
    assert invitation is not None
    if invitation.answer is not None:
        turn.refuse(turn.tx.t("outreach.invitation_answered"))
    return invitation


@action("invite.yes", role=ANYONE)
def invitation_yes(turn: Turn, value: str) -> None:
    invitation = _invitation(turn, value)
    invitation.answer, invitation.answered_at = "yes", turn.now
    for hr in turn.session.scalars(
        select(Person).where(Person.is_hr.is_(True), Person.erased_at.is_(None))
    ):
        tx = texts_for(hr)
        turn.send(
            hr,
            Message()
            .text(
                tx.t("outreach.opt_in", name=user_text(turn.person.name), reason=invitation.reason)
            )
            .buttons(
                Button(
                    action_id="hr.pair_person",
                    label=tx._("Find them a mentor"),
                    value=str(turn.person.id),
                    style="primary",
                )
            ),
            kind="hr.opt_in",
            dedupe_key=f"opt_in:{turn.person.id}:{hr.id}",
        )
    turn.say(turn.tx.t("outreach.invitation_yes"))


@action("invite.no", role=ANYONE)
def invitation_no(turn: Turn, value: str) -> None:
    invitation = _invitation(turn, value)
    invitation.answer, invitation.answered_at = "no", turn.now
    turn.say(turn.tx.t("outreach.invitation_no"))
