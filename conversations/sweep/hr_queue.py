"""HR's follow-up queue, kept by the sweep: opens an item for each thing HR must act on, tells
HR (and the person who asked) once, and closes items whose condition has gone.

What opens an item (``storage.hr_queue``):

- a final evaluation asking for a new round or a new mentor, or two partners whose
  continuation plans differ (both are told HR will help them settle it);
- a meeting whose check-ins still disagree when the partners' correction week has run out
  (``conversations.checkin_rule``: they were asked to check and did not settle it);
- a pair in development or closing with no held meeting and no check-in for ``SILENT_AFTER``;
- an invitation accepted ``UNPAIRED_AFTER`` ago with no pair made since;
- a mentor's request for a workshop or a buddy (opened in chat, told to HR here).

The person who asked for a new round or a new mentor is told once the item exists, so what
they are told rests on the queue, not on anyone remembering.

An item names the people and the kind of follow-up, never content or ratings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from conversations import checkin_rule
from conversations.messages import Button, Message
from conversations.sweep.plan import Plan, Recipient
from conversations.texts import Texts, user_text
from storage import hr_queue as store
from storage.models import (
    Continuation,
    HrQueueItem,
    Meeting,
    Mentorship,
    Person,
    Programme,
    QueueKind,
)

SILENT_AFTER = timedelta(days=28)
CONTINUATION_LOOKBACK = timedelta(days=60)
UNPAIRED_AFTER = timedelta(days=3)  # HR is told at once by the opt-in notice; this is the net
REQUESTS = (Continuation.NEW_GOALS.value, Continuation.NEW_MENTOR.value)
BOT = "mentorbot"


@dataclass(frozen=True)
class ItemFacts:
    """What a follow-up says: its kind and the names and date it concerns, never content."""

    id: int
    kind: str
    detail: str | None
    mentorship_id: int | None
    person: str
    mentor: str
    actor: str
    programme: str
    when: datetime | None
    opened: datetime


def hr_queue(session: Session, plan: Plan, hr_people: Sequence[Recipient]) -> None:
    """Open and settle the queue's items, then tell HR about each new one once: a fixed number
    of statements, whatever the number of pairs and items."""
    now = plan.now
    opening: dict[str, dict[str, Any]] = {}
    settle: dict[str, list[int]] = {}
    current = _continuations(session, now, opening)
    current |= _disputes(session, now, opening)
    current |= _silent(session, now, opening)
    current |= _unpaired(session, now, opening)
    for item_id, kind, key, _meeting in store.open_brief(session):
        if kind in SETTLED_WHEN_GONE and key not in current:
            settle.setdefault(SETTLED_WHEN_GONE[kind], []).append(item_id)
    store.open_many(session, list(opening.values()))
    for note, ids in settle.items():
        store.close_many(session, ids, now, BOT, note)
    rows = store.unnotified_facts(session)
    items = [_facts(row) for row in rows]
    one_by_one = len(items) <= TOLD_ONE_BY_ONE
    for row, (facts, country) in zip(rows, items, strict=True):
        if one_by_one:
            _to_each_hr(plan, hr_people, f"hr.queue:{facts.id}", country, _new_item, facts)
        _tell_askers(plan, row, country)
    if not one_by_one:
        _notify_many(plan, hr_people, items)
    store.mark_notified(session, [row[0] for row in rows], now)


TOLD_ONE_BY_ONE = 3
"""New items HR hears of one message each (with the item's own buttons); when a sweep opens
more (a holiday leaves many pairs silent at once, a programme's final evaluations arrive
together), HR gets one message that counts them by kind and opens the queue, not a DM per item."""


# a condition gone closes its item with this note; continuation and support items never do
SETTLED_WHEN_GONE = {
    QueueKind.MEETING_DISPUTE.value: "settled",
    QueueKind.SILENT.value: "active again",
    QueueKind.UNPAIRED.value: "paired",
}


def _row(now: datetime, key: str, kind: str, **ids: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(
        ("detail", "programme_id", "mentorship_id", "person_id", "meeting_id")
    )
    return {**row, **ids, "key": key, "kind": kind, "opened_at": now}


def _continuations(session: Session, now: datetime, opening: dict[str, dict[str, Any]]) -> set[str]:
    chosen: dict[int, dict[int, str]] = {}
    programme_of: dict[int, int] = {}
    for programme_id, mid, person_id, choice in store.continuation_choices(
        session, now - CONTINUATION_LOOKBACK
    ):
        chosen.setdefault(mid, {})[person_id] = choice
        programme_of[mid] = programme_id
        key = f"continuation:{mid}:{choice}"  # both asking the same: one item
        if choice in REQUESTS and key not in opening:
            opening[key] = _row(
                now,
                key,
                QueueKind.CONTINUATION,
                detail=choice,
                programme_id=programme_id,
                mentorship_id=mid,
                person_id=person_id,
            )
    for mid, choices in chosen.items():
        if len(choices) == 2 and len(set(choices.values())) == 2:
            key = f"continuation:{mid}:differ"
            opening[key] = _row(
                now,
                key,
                QueueKind.CONTINUATION,
                detail="differ",
                programme_id=programme_of[mid],
                mentorship_id=mid,
            )
    return set()


def _disputes(session: Session, now: datetime, opening: dict[str, dict[str, Any]]) -> set[str]:
    """Every disputed meeting is current (its open item stays); an unresolved one is opened."""
    current = set()
    for dispute in checkin_rule.open_disputes(session):
        key = f"dispute:{dispute.meeting_id}"
        current.add(key)
        if dispute.correctable_until <= now:
            opening[key] = _row(
                now,
                key,
                QueueKind.MEETING_DISPUTE,
                programme_id=dispute.programme_id,
                mentorship_id=dispute.mentorship_id,
                meeting_id=dispute.meeting_id,
            )
    return current


def _silent(session: Session, now: datetime, opening: dict[str, dict[str, Any]]) -> set[str]:
    current = set()
    for programme_id, mid, started, last in store.last_activity(session):
        since = last or started
        if since is None or now - since < SILENT_AFTER:
            continue
        key = f"silent:{mid}:{since.date().isoformat()}"
        current.add(key)
        opening[key] = _row(
            now, key, QueueKind.SILENT, programme_id=programme_id, mentorship_id=mid
        )
    return current


def _unpaired(session: Session, now: datetime, opening: dict[str, dict[str, Any]]) -> set[str]:
    current = set()
    for invitation_id, person_id in store.accepted_unpaired(session, now - UNPAIRED_AFTER):
        key = f"unpaired:{invitation_id}"
        current.add(key)
        opening[key] = _row(now, key, QueueKind.UNPAIRED, person_id=person_id)
    return current


# --- telling HR and the people concerned ---------------------------------------------------


def _facts(row: Any) -> tuple[ItemFacts, str]:
    """Row: item (id, kind, detail, mentorship, opened), programme (name, country), meeting
    time, then (id, name, locale, timezone, erased) of the person, the mentor and the actor."""
    item_id, kind, detail, mentorship_id, opened, programme, country, when = row[:8]
    person, mentor, actor = row[8:13], row[13:18], row[18:23]
    facts = ItemFacts(
        id=item_id,
        kind=kind,
        detail=detail,
        mentorship_id=mentorship_id,
        person=person[1] or "",
        mentor=mentor[1] or "",
        actor=actor[1] or "",
        programme=programme or "",
        when=when,
        opened=opened,
    )
    return facts, country or "FI"


def _to_each_hr(
    plan: Plan,
    hr_people: Sequence[Recipient],
    key: str,
    country: str,
    render: Callable[[Texts, Any], Message],
    what: Any,
) -> None:
    """The same news to every HR person, each in their own language (``key:<hr person>``)."""
    for hr in hr_people:
        plan.add(
            key=f"{key}:{hr.id}",
            kind="hr.queue",
            person=hr,
            country=country,
            nominal=plan.now,
            build=partial(render, hr.texts(), what),
        )


def _notify_many(
    plan: Plan, hr_people: Sequence[Recipient], items: list[tuple[ItemFacts, str]]
) -> None:
    """One message per HR person for a sweep's many new items: how many of each kind, and the
    button that opens the queue (where each item has its own buttons). It keeps the working
    days of the country most of the items' programmes are in."""
    counts = Counter((facts.kind, facts.detail or "") for facts, _ in items)
    countries = Counter(country for _, country in items)
    country = max(sorted(countries), key=countries.__getitem__)
    last = max(facts.id for facts, _ in items)
    _to_each_hr(plan, hr_people, f"hr.queue.new:{last}", country, new_items_message, counts)


def _new_item(tx: Texts, facts: ItemFacts) -> Message:
    return item_message(tx, facts, new=True)


def new_items_message(tx: Texts, counts: Counter[tuple[str, str]]) -> Message:
    lines = [
        "• " + tx.t("hr_queue.new_count", kind=kind, detail=detail, count=n)
        for (kind, detail), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return (
        Message()
        .text(tx.t("hr_queue.new_item"))
        .text("\n".join(lines))
        .text(tx.t("hr_queue.act_on_them", count=sum(counts.values())))
        .buttons(Button(action_id="hr.queue_more", label=tx._("Open the queue"), value="0"))
    )


def _tell_askers(plan: Plan, row: Any, country: str) -> None:
    """The person who asked for a new round or mentor, or both partners whose plans differ,
    are told the item exists (one message each, whatever HR is sent)."""
    item_id, kind, detail, mentorship_id = row[:4]
    person, mentor, actor = row[8:13], row[13:18], row[18:23]
    told: list[tuple[Any, str, str]] = []
    if kind == QueueKind.CONTINUATION and detail == "differ" and mentorship_id:
        told = [
            (actor, "hr_queue.plans_differ", mentor[1]),
            (mentor, "hr_queue.plans_differ", actor[1]),
        ]
    elif kind == QueueKind.CONTINUATION and person[0] is not None:
        told = [(person, f"hr_queue.told_{detail}", "")]
    for (pid, name, locale, timezone, erased), key, partner in told:
        if pid is None or erased is not None:
            continue
        recipient = Recipient(id=pid, name=name, locale=locale, timezone=timezone)
        tx = recipient.texts()
        params = {"partner": user_text(partner)} if partner else {}
        plan.add(
            key=f"hr.queue.told:{item_id}:{pid}",
            kind="hr.queue.told",
            person=recipient,
            country=country,
            nominal=plan.now,
            message=Message().text(tx.t(key, **params)),
        )


def facts_of(session: Session, item: HrQueueItem) -> ItemFacts:
    """An item's facts read through the ORM (a page of the queue in chat)."""
    mentorship = session.get(Mentorship, item.mentorship_id) if item.mentorship_id else None
    person = session.get(Person, item.person_id) if item.person_id else None
    meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
    programme = session.get(Programme, item.programme_id) if item.programme_id else None
    return ItemFacts(
        id=item.id,
        kind=item.kind,
        detail=item.detail,
        mentorship_id=item.mentorship_id,
        person=person.name if person else "",
        mentor=mentorship.mentor.name if mentorship else "",
        actor=mentorship.actor.name if mentorship else "",
        programme=programme.name if programme else "",
        when=meeting.scheduled_at if meeting else None,
        opened=item.opened_at,
    )


def item_text(tx: Texts, f: ItemFacts) -> str:
    """The follow-up in plain words and whom it concerns: names, a date, never content."""
    return tx.t(
        "hr_queue.item",
        kind=f.kind,
        detail=f.detail or "",
        person=user_text(f.person),
        mentor=user_text(f.mentor),
        actor=user_text(f.actor),
        programme=user_text(f.programme),
        when=tx.datetime(f.when) if f.when else "",
        opened=tx.date(f.opened),
    )


def item_buttons(tx: Texts, item: ItemFacts) -> list[Button]:
    """What HR can do about the item; each closes it (dismissing asks for a reason)."""
    value = str(item.id)
    buttons: list[Button] = []
    if item.kind == QueueKind.CONTINUATION and item.detail in REQUESTS:
        label = tx._("Pair for a new round") if item.detail == "new_goals" else tx._("Pair anew")
        buttons.append(Button(action_id="hr.queue_pair", label=label, value=value, style="primary"))
    elif item.kind == QueueKind.UNPAIRED:
        buttons.append(Button(action_id="hr.queue_pair", label=tx._("Pair"), value=value))
    elif item.kind == QueueKind.MEETING_DISPUTE:
        buttons += [
            Button(action_id="hr.queue_held", label=tx._("Record as held"), value=value),
            Button(action_id="hr.queue_missed", label=tx._("Record as missed"), value=value),
        ]
    elif item.kind == QueueKind.SILENT:
        buttons.append(Button(action_id="hr.queue_remind", label=tx._("Remind both"), value=value))
    if item.kind in (QueueKind.SUPPORT,) or item.detail == "differ":
        buttons.append(Button(action_id="hr.queue_done", label=tx._("Done"), value=value))
    if item.mentorship_id:
        buttons.append(
            Button(action_id="hr.pair_open", label=tx._("Open pair"), value=str(item.mentorship_id))
        )
    buttons.append(Button(action_id="hr.queue_dismiss", label=tx._("Dismiss"), value=value))
    return buttons


def item_message(tx: Texts, facts: ItemFacts, new: bool = False) -> Message:
    message = Message()
    if new:
        message.text(tx.t("hr_queue.new_item"))
    return message.text(item_text(tx, facts)).buttons(*item_buttons(tx, facts))
