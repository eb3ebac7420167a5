"""HR's follow-up queue, kept by the sweep: opens an item for each thing HR must act on, tells
HR (and the person who asked) once, and closes items whose condition has gone.

What opens an item (``storage.hr_queue``):

- a final evaluation asking for a new round or a new mentor, or two partners whose
  continuation plans differ (both are told HR will help them settle it);
- a meeting one partner recorded as held and the other as missed, still so ``DISPUTE_SETTLE``
  after the later record (they were asked to confirm and did not settle it);
- a pair in development or closing with no held meeting and no check-in for ``SILENT_AFTER``;
- an invitation accepted ``UNPAIRED_AFTER`` ago with no pair made since;
- a mentor's request for a workshop or a buddy (opened in chat, told to HR here).

The person who asked for a new round or a new mentor is told once the item exists, so what
they are told rests on the queue, not on anyone remembering.

An item names the people and the kind of follow-up, never content or ratings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from conversations.messages import Button, Message
from conversations.sweep.plan import Plan, Recipient
from conversations.texts import Texts, user_text
from storage import hr_queue as store
from storage.hr_queue import HrQueueItem, QueueKind
from storage.models import Continuation, Meeting, Mentorship, Person, Programme

SILENT_AFTER = timedelta(days=28)
DISPUTE_SETTLE = timedelta(days=7)
DISPUTE_LOOKBACK = timedelta(days=90)
CONTINUATION_LOOKBACK = timedelta(days=60)
UNPAIRED_AFTER = timedelta(days=3)  # HR is told at once by the opt-in notice; this is the net
REQUESTS = (Continuation.NEW_GOALS.value, Continuation.NEW_MENTOR.value)
BOT = "mentorbot"


def hr_queue(session: Session, plan: Plan, hr_people: Sequence[Recipient]) -> None:
    """Open and settle the queue's items, then tell HR about each new one once."""
    now = plan.now
    _continuations(session, now)
    _disputes(session, now)
    _silent(session, now)
    _unpaired(session, now)
    session.flush()
    for item in store.unnotified(session):
        _notify(session, plan, hr_people, item)
        item.notified_at = now


def _continuations(session: Session, now: datetime) -> None:
    chosen: dict[int, dict[int, str]] = {}
    programme_of: dict[int, int] = {}
    for programme_id, mid, person_id, choice in store.continuation_choices(
        session, now - CONTINUATION_LOOKBACK
    ):
        chosen.setdefault(mid, {})[person_id] = choice
        programme_of[mid] = programme_id
        if choice in REQUESTS:
            store.open_item(
                session,
                now,
                f"continuation:{mid}:{choice}",  # both asking the same: one item
                QueueKind.CONTINUATION,
                detail=choice,
                programme_id=programme_id,
                mentorship_id=mid,
                person_id=person_id,
            )
    for mid, choices in chosen.items():
        if len(choices) == 2 and len(set(choices.values())) == 2:
            store.open_item(
                session,
                now,
                f"continuation:{mid}:differ",
                QueueKind.CONTINUATION,
                detail="differ",
                programme_id=programme_of[mid],
                mentorship_id=mid,
            )


def _disputes(session: Session, now: datetime) -> None:
    since = now - DISPUTE_LOOKBACK
    for programme_id, mid, meeting_id in store.disputed_meetings(
        session, since, now - DISPUTE_SETTLE
    ):
        store.open_item(
            session,
            now,
            f"dispute:{meeting_id}",
            QueueKind.MEETING_DISPUTE,
            programme_id=programme_id,
            mentorship_id=mid,
            meeting_id=meeting_id,
        )
    still = {x for *_, x in store.disputed_meetings(session, since, now + timedelta(days=1))}
    for item in store.open_items(session):
        if item.kind == QueueKind.MEETING_DISPUTE and item.meeting_id not in still:
            store.close_item(item, now, BOT, "settled")


def _silent(session: Session, now: datetime) -> None:
    silent_keys: set[str] = set()
    for programme_id, mid, started, last in store.last_activity(session):
        since = last or started
        if since is None or now - since < SILENT_AFTER:
            continue
        key = f"silent:{mid}:{since.date().isoformat()}"
        silent_keys.add(key)
        store.open_item(
            session,
            now,
            key,
            QueueKind.SILENT,
            programme_id=programme_id,
            mentorship_id=mid,
        )
    for item in store.open_items(session):
        if item.kind == QueueKind.SILENT and item.key not in silent_keys:
            store.close_item(item, now, BOT, "active again")


def _unpaired(session: Session, now: datetime) -> None:
    waiting = store.accepted_unpaired(session, now - UNPAIRED_AFTER)
    keys = {f"unpaired:{invitation_id}" for invitation_id, _ in waiting}
    for invitation_id, person_id in waiting:
        store.open_item(
            session,
            now,
            f"unpaired:{invitation_id}",
            QueueKind.UNPAIRED,
            person_id=person_id,
        )
    for item in store.open_items(session):
        if item.kind == QueueKind.UNPAIRED and item.key not in keys:
            store.close_item(item, now, BOT, "paired")


# --- telling HR and the people concerned ---------------------------------------------------


def _recipient(person: Person) -> Recipient:
    return Recipient(id=person.id, name=person.name, locale=person.locale, timezone=person.timezone)


def _country(session: Session, item: HrQueueItem) -> str:
    programme = session.get(Programme, item.programme_id) if item.programme_id else None
    return programme.holiday_country if programme else "FI"


def _notify(
    session: Session, plan: Plan, hr_people: Sequence[Recipient], item: HrQueueItem
) -> None:
    country = _country(session, item)
    for hr in hr_people:
        plan.add(
            key=f"hr.queue:{item.id}:{hr.id}",
            kind="hr.queue",
            person=hr,
            country=country,
            nominal=plan.now,
            build=partial(item_message, session, hr.texts(), item, True),
        )
    mentorship = session.get(Mentorship, item.mentorship_id) if item.mentorship_id else None
    told: list[tuple[Person, str, dict[str, str]]] = []
    if item.kind == QueueKind.CONTINUATION and item.detail == "differ" and mentorship:
        told = [
            (mentorship.actor, "hr_queue.plans_differ", {"partner": mentorship.mentor.name}),
            (mentorship.mentor, "hr_queue.plans_differ", {"partner": mentorship.actor.name}),
        ]
    elif item.kind == QueueKind.CONTINUATION and item.person_id:
        person = session.get(Person, item.person_id)
        if person is not None:
            told = [(person, f"hr_queue.told_{item.detail}", {})]
    for person, key, names in told:
        if person.erased_at is not None:
            continue
        recipient = _recipient(person)
        tx = recipient.texts()
        params = {k: user_text(v) for k, v in names.items()}
        plan.add(
            key=f"hr.queue.told:{item.id}:{person.id}",
            kind="hr.queue.told",
            person=recipient,
            country=country,
            nominal=plan.now,
            message=Message().text(tx.t(key, **params)),
        )


def item_text(session: Session, tx: Texts, item: HrQueueItem) -> str:
    """The follow-up in plain words and whom it concerns: names, a date, never content."""
    mentorship = session.get(Mentorship, item.mentorship_id) if item.mentorship_id else None
    person = session.get(Person, item.person_id) if item.person_id else None
    meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
    return tx.t(
        "hr_queue.item",
        kind=item.kind,
        detail=item.detail or "",
        person=user_text(person.name) if person else "",
        mentor=user_text(mentorship.mentor.name) if mentorship else "",
        actor=user_text(mentorship.actor.name) if mentorship else "",
        programme=user_text(mentorship.programme.name) if mentorship else "",
        when=tx.datetime(meeting.scheduled_at) if meeting else "",
        opened=tx.date(item.opened_at),
    )


def item_buttons(tx: Texts, item: HrQueueItem) -> list[Button]:
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


def item_message(session: Session, tx: Texts, item: HrQueueItem, new: bool = False) -> Message:
    message = Message()
    if new:
        message.text(tx.t("hr_queue.new_item"))
    return message.text(item_text(session, tx, item)).buttons(*item_buttons(tx, item))
