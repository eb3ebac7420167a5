"""Random sequences of what people do: no exception escapes and the invariants hold.

Invariants: a phase only moves forward; an actor has at most one active mentorship per
programme; private text never appears in another person's view unless its author shared it
with their partner.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations import flows
from conversations.clock import SettableClock
from conversations.commands import COMMAND_WORDS
from conversations.registry import Kind, Registry
from storage.models import (
    ACTIVE_PHASES,
    PHASE_ORDER,
    Base,
    CheckIn,
    Mentorship,
    Phase,
    Reflection,
)
from tests.chat import (
    ACTOR,
    HR,
    MENTOR,
    OTHER_ACTOR,
    SUPERVISOR,
    agree,
    book,
    make_chat,
    onboard,
    seed_people,
)

_ALL = Registry(flows.modules())
ACTIONS = _ALL.names(Kind.ACTION)
FORMS = _ALL.names(Kind.FORM)

PEOPLE = (ACTOR, MENTOR, SUPERVISOR, HR, OTHER_ACTOR)
APOLOGY = "something went wrong"
# Fields whose text is private to its author (agreement goals, comments and tasks are
# written for the partner, so they are not in this list).
PRIVATE_FIELDS = {
    ("checkin", "note"),
    ("reflection", "text"),
    ("interim", "comment"),
    ("final", "changed"),
}

words = st.sampled_from([w for ws in COMMAND_WORDS.values() for w in ws] + ["hello", "?!"])
free_text = st.text(min_size=0, max_size=30)
field_value = st.one_of(
    st.sampled_from(
        [
            "yes",
            "no",
            "1",
            "3",
            "5",
            "7",
            "0",
            "6",
            "24",
            "2027-01-19",
            "2027-02-02",
            "31.2.",
            "14:00",
            "25:00",
            "right",
            "achieved",
            "continue_informally",
            "Europe/Helsinki",
            "x" * 4001,
        ]
    ),
    free_text,
)

step = st.one_of(
    st.tuples(st.just("say"), st.sampled_from(PEOPLE), words),
    st.tuples(st.just("say"), st.sampled_from(PEOPLE), free_text),
    st.tuples(st.just("click"), st.sampled_from(PEOPLE), st.integers(1, 6)),
    st.tuples(
        st.just("submit"), st.sampled_from(PEOPLE), st.lists(field_value, min_size=1, max_size=12)
    ),
    st.tuples(
        st.just("forge"),
        st.sampled_from(PEOPLE),
        st.tuples(
            st.sampled_from(ACTIONS + FORMS),
            st.sampled_from(["1", "2", "3", "1:1", "x", ""]),
        ),
    ),
    st.tuples(st.just("time"), st.just(""), st.integers(1, 30)),
)


def _reset(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


def _private_token(author: str, n: int) -> str:
    return f"secret-{author.split('@')[0]}-{n}"


def _apply(chat: Any, action: tuple[str, str, Any], counter: list[int]) -> None:
    kind, who, arg = action
    if kind == "say":
        chat.say(who, arg)
    elif kind == "click":
        buttons = chat.console.last_buttons(who)
        if buttons:
            chosen = buttons[(arg - 1) % len(buttons)]
            chat.press(who, chosen.action_id, chosen.value)
    elif kind == "submit":
        shown = [s for s in chat.console.shown.get(who, []) if s.message.forms]
        if not shown:
            return
        form = shown[-1].message.forms[-1]
        answers = dict(form.values)
        for field, value in zip(form.inputs, arg, strict=False):
            if (form.form_id, field.name) in PRIVATE_FIELDS:
                counter[0] += 1
                value = f"{value} {_private_token(who, counter[0])}"
            answers[field.name] = value
        chat.send_form(who, form.form_id, form.value, **answers)
    elif kind == "forge":
        action_id, value = arg
        if action_id in ACTIONS:
            chat.press(who, action_id, value)
        else:
            chat.send_form(who, action_id, value, text="forged")
    elif kind == "time":
        chat.console.advance(timedelta(days=arg))


def _check_invariants(chat: Any, factory: sessionmaker[Session], phases: dict[int, str]) -> None:
    with factory() as session:
        for m in session.scalars(select(Mentorship)):
            before = phases.get(m.id, Phase.START)
            assert PHASE_ORDER[Phase(m.phase)] >= PHASE_ORDER[Phase(before)], (before, m.phase)
            phases[m.id] = m.phase
        active = session.execute(
            select(Mentorship.programme_id, Mentorship.actor_id, func.count())
            .where(Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]))
            .group_by(Mentorship.programme_id, Mentorship.actor_id)
        ).all()
        assert all(count == 1 for _, _, count in active)
        shared = {r.text for r in session.scalars(select(Reflection)) if r.shared_at} | {
            c.note for c in session.scalars(select(CheckIn)) if c.note and c.note_shared_at
        }
    for viewer in PEOPLE:
        seen = chat.text_seen_by(viewer)
        assert APOLOGY not in seen
        for author in PEOPLE:
            if author == viewer:
                continue
            marker = f"secret-{author.split('@')[0]}-"
            if marker not in seen:
                continue
            partners = {ACTOR: MENTOR, MENTOR: ACTOR}
            leaked = [line for line in seen.splitlines() if marker in line]
            assert partners.get(author) == viewer, f"{viewer} saw {author}'s private text"
            assert all(any(line.strip() in s or s in line for s in shared) for line in leaked)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=st.sampled_from(["fresh", "booked"]), actions=st.lists(step, min_size=5, max_size=35))
def test_random_event_sequences_keep_the_invariants(
    factory: sessionmaker[Session],
    clock: SettableClock,
    start: str,
    actions: list[tuple[str, str, Any]],
) -> None:
    _reset(factory)
    seed_people(factory, clock.now())
    chat = make_chat(factory, clock.now())
    if start == "booked":  # start in the development phase, where most content is written
        onboard(chat, PEOPLE)
        agree(chat)
        book(chat)
    phases: dict[int, str] = {}
    counter = [0]
    for action in actions:
        _apply(chat, action, counter)
        _check_invariants(chat, factory, phases)
