"""Every handler declares who may run it, and the engine enforces it: a new handler cannot go
in without a role, an HR one cannot be run by anyone else, and an engine may run only some
flows."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations import flows
from conversations.engine import Engine
from conversations.messages import Inbound, InboundKind
from conversations.registry import Kind, Registry, action, command
from conversations.roles import ANYONE, HR, HR_OR_SUPERVISOR, MENTOR, Role
from storage.models import AuditLog, Mentorship, Outbox, Person
from tests.chat import ACTOR, SUPERVISOR, Chat, onboard
from tests.chat import MENTOR as MENTOR_EMAIL

pytestmark = pytest.mark.no_sweeps

C, A, F = Kind.COMMAND, Kind.ACTION, Kind.FORM

# Every handler and its role. A handler added without a line here fails the first test:
# decide who may run it, then add it.
EXPECTED: dict[tuple[Kind, str], Role] = {
    # onboarding, language, timezone
    (C, "onboarding"): ANYONE,
    (A, "onboarding.language"): ANYONE,
    (C, "language"): ANYONE,
    (C, "timezone"): ANYONE,
    (F, "onboarding.timezone"): ANYONE,
    # basics: the handlers check the mentorship is the person's own
    (C, "help"): ANYONE,
    (C, "unknown"): ANYONE,
    (A, "basics.run"): ANYONE,
    (C, "greeting"): ANYONE,
    (C, "cancel"): ANYONE,
    (C, "privacy"): ANYONE,
    (A, "pick"): ANYONE,
    (C, "status"): ANYONE,
    (C, "goals"): ANYONE,
    (C, "agreement"): ANYONE,
    (A, "agreement.show"): ANYONE,
    (A, "agreement.propose"): ANYONE,
    (A, "agreement.change"): ANYONE,
    (F, "agreement.draft"): ANYONE,
    (A, "agreement.accept"): ANYONE,
    (A, "schedule.plan"): ANYONE,
    (F, "schedule.series"): ANYONE,
    (A, "schedule.book"): ANYONE,
    (C, "schedule"): ANYONE,
    (A, "schedule.ics"): ANYONE,
    (A, "schedule.move"): ANYONE,
    (F, "schedule.move"): ANYONE,
    (C, "checkin"): ANYONE,
    (A, "checkin.start"): ANYONE,
    (F, "checkin"): ANYONE,
    (A, "checkin.share_note"): ANYONE,
    (C, "tasks"): ANYONE,
    (A, "task.done"): ANYONE,
    (C, "reflect"): ANYONE,
    (A, "reflect.start"): ANYONE,
    (F, "reflection"): ANYONE,
    (A, "reflection.share"): ANYONE,
    (C, "reflections"): ANYONE,
    (C, "evaluate"): ANYONE,
    (A, "interim.start"): ANYONE,
    (F, "interim"): ANYONE,
    (A, "goals.edit"): ANYONE,
    (F, "goals.edit"): ANYONE,
    (C, "close"): ANYONE,
    (A, "final.start"): ANYONE,
    (F, "final"): ANYONE,
    (C, "export"): ANYONE,
    # the supervisor's buttons check the actor is their own report
    (A, "supervisor.discussed"): ANYONE,
    (A, "supervisor.time"): ANYONE,
    # outreach: workshop places are for mentors; invitation answers check their addressee
    (A, "workshop.signup"): MENTOR,
    (A, "workshop.cancel"): ANYONE,
    (C, "mentor_guide"): ANYONE,
    (A, "invite.yes"): ANYONE,
    (A, "invite.no"): ANYONE,
    # HR coordinators
    (C, "hr_help"): HR,
    (C, "grant_hr"): HR,
    (C, "revoke_hr"): HR,
    (C, "new_programme"): HR,
    (F, "hr.programme"): HR,
    (C, "programmes"): HR,
    (C, "pair"): HR,
    (A, "hr.pair_person"): HR,
    (F, "hr.pair"): HR,
    (C, "pairs"): HR_OR_SUPERVISOR,
    (A, "hr.pairs_more"): HR_OR_SUPERVISOR,
    (A, "hr.pair_open"): HR,
    (A, "hr.pair_remind"): HR,
    (A, "hr.pair_history"): HR,
    (C, "queue"): HR,
    (A, "hr.queue_more"): HR,
    (A, "hr.queue_pair"): HR,
    (A, "hr.queue_held"): HR,
    (A, "hr.queue_missed"): HR,
    (A, "hr.queue_remind"): HR,
    (A, "hr.queue_done"): HR,
    (A, "hr.queue_dismiss"): HR,
    (F, "hr.queue_dismiss"): HR,
    (C, "support"): MENTOR,
    (A, "support.ask"): MENTOR,
    (A, "hr.end"): HR,
    (F, "hr.end"): HR,
    (A, "hr.repair"): HR,
    (F, "hr.repair"): HR,
    (C, "report"): HR,
    (A, "hr.report"): HR,
    (C, "alerts"): HR,
    (A, "hr.alert_handled"): HR,
    (C, "announce"): HR,
    (F, "hr.announce"): HR,
    (A, "hr.announce.send"): HR,
    (A, "hr.announce.discard"): HR,
    (C, "announcements"): HR,
    (C, "workshop"): HR,
    (F, "hr.workshop"): HR,
    (C, "workshops"): HR,
    (C, "buddies"): HR,
    (A, "hr.buddy"): HR,
    # matching: HR opens, suggests and proposes; participants answer for themselves
    (C, "matching_open"): HR,
    (F, "matching.open"): HR,
    (C, "match_suggest"): HR,
    (A, "matching.propose"): HR,
    (A, "matching.skip"): HR,
    (A, "matching.propose_all"): HR,
    (A, "matching.swap"): HR,
    (F, "matching.swap"): HR,
    (A, "matching.profile"): ANYONE,
    (C, "match_profile"): ANYONE,
    (F, "matching.profile"): ANYONE,
    (A, "matching.answer"): ANYONE,
    (A, "matching.ask"): ANYONE,
}

# commands whose words differ from their handler's name
SPOKEN = {"match_suggest": "match suggestions"}
HR_ONLY = sorted(key for key, role in EXPECTED.items() if role == HR)


def test_every_handler_is_declared_with_the_role_listed_here() -> None:
    declared = {(h.kind, h.name): h.role for h in Registry(flows.modules()).all()}
    assert declared == EXPECTED


def test_a_handler_without_a_role_cannot_be_declared() -> None:
    with pytest.raises(TypeError):
        command("sneaky")(lambda turn, rest: None)  # type: ignore[call-arg]


def test_a_name_declared_twice_is_refused_when_the_registry_is_built() -> None:
    module = types.ModuleType("twice")

    @action("same", role=ANYONE)
    def first(turn: object, value: str) -> None: ...

    @action("same", role=HR)
    def second(turn: object, value: str) -> None: ...

    first.__module__ = second.__module__ = "twice"
    module.first, module.second = first, second  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="declared twice"):
        Registry([module])


def _counts(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with factory() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Mentorship, Outbox, AuditLog, Person)
        )


@pytest.mark.parametrize(("kind", "name"), HR_ONLY, ids=[f"{k}:{n}" for k, n in HR_ONLY])
def test_no_hr_handler_runs_for_someone_who_is_not_hr(
    chat: Chat, factory: sessionmaker[Session], kind: Kind, name: str
) -> None:
    onboard(chat, [ACTOR])
    before = _counts(factory)
    if kind == Kind.COMMAND:
        chat.say(ACTOR, SPOKEN.get(name, name.replace("_", " ")))
    elif kind == Kind.ACTION:
        chat.press(ACTOR, name, "1")
    else:
        chat.send_form(ACTOR, name, "1", text="forged", person="1", programme="1")
    assert "Only the programme's HR coordinators can do that." in chat.last(ACTOR)
    assert _counts(factory) == before


def test_an_engine_with_only_some_flows_answers_the_others_as_unknown(
    chat: Chat, factory: sessionmaker[Session]
) -> None:
    onboard(chat, [MENTOR_EMAIL, SUPERVISOR])
    engine = Engine(factory, chat.console.clock, flow_names=("agreement",))
    assert engine.handlers.find(Kind.COMMAND, "agreement") is not None
    assert engine.handlers.find(Kind.COMMAND, "pairs") is None

    def said(text: str) -> str:
        replies = engine.handle(
            Inbound(
                platform="console",
                user=MENTOR_EMAIL,
                email=MENTOR_EMAIL,
                kind=InboundKind.TEXT,
                text=text,
                received_at=chat.console.clock.now(),
            )
        )
        return "\n".join(r.message.plain_text() for r in replies)

    assert "agreement" in said("agreement").lower()
    assert "didn't understand" in said("checkin")
