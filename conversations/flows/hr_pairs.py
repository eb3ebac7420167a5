"""The pair overview in chat: ``pairs`` lists every pair, what needs attention first, one line
each; a pair opens with the actions that fit it (remind both, end, re-pair, mark an alert
handled, its history).

HR sees operational status (privacy rule 3); a supervisor asking ``pairs`` sees the same
overview of their own reports, limited to what privacy rule 2 allows. Figures come from
``conversations.progress``. Every read of other people's status is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conversations import progress
from conversations.flows.common import phase_label
from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Message
from conversations.progress import PairOverview
from conversations.registry import action, command
from conversations.roles import HR, HR_OR_SUPERVISOR, roles_of
from conversations.texts import Texts, user_text
from conversations.turn import Turn, texts_for
from storage.models import ACTIVE_PHASES, Alert, AuditLog, HrQueueItem, Mentorship, Phase, Programme

PAGE = 10  # one message per page: 10 lines and a row of buttons, within Slack's and Teams' limits
ATTENTION_WORDS = ("needing attention", "attention", "huomiota vaativat", "huomiota", "huomio")
PHASE_WORDS = {
    Phase.START: ("in start", "starting", "aloitusvaiheessa", "aloitus"),
    Phase.DEVELOPMENT: ("in development", "development", "kehitysvaiheessa", "kehitys"),
    Phase.CLOSING: ("in closing", "closing", "päätösvaiheessa", "päättymässä", "päätös"),
}
ALL_WORDS = ("all", "kaikki")


@dataclass(frozen=True)
class Filter:
    attention: bool = False
    phase: str | None = None
    everything: bool = False
    programme_id: int | None = None
    mentor_id: int | None = None
    words: str = ""

    def encode(self) -> str:
        return self.words


def parse_filter(turn: Turn, rest: str) -> Filter:
    """``needing attention``, ``in closing``, ``all``, a programme's name or a mentor's name
    or email, in English or Finnish; what is not understood is refused with a friendly reply."""
    text = " ".join(rest.lower().split())
    words = text
    attention = everything = False
    phase: str | None = None
    for word in ATTENTION_WORDS:
        if word in text:
            attention, text = True, text.replace(word, " ")
            break
    for value, phrases in PHASE_WORDS.items():
        for word in phrases:
            if word in text:
                phase, text = value, text.replace(word, " ")
                break
        if phase:
            break
    for word in ALL_WORDS:
        if text.strip() == word:
            everything, text = True, ""
    name = " ".join(text.split())
    programme_id = mentor_id = None
    if name:
        programme = turn.session.scalars(select(Programme)).all()
        found = [p for p in programme if p.name.lower() == name]
        if found:
            programme_id = found[0].id
        else:
            mentors = turn.session.scalars(
                select(Mentorship).options(selectinload(Mentorship.mentor))
            ).all()
            matches = {
                m.mentor_id
                for m in mentors
                if name in m.mentor.name.lower() or name == (m.mentor.email or "").lower()
            }
            if len(matches) != 1:
                turn.refuse(turn.tx.t("hr_pairs.unknown_filter", text=user_text(name)))
            mentor_id = matches.pop()
    return Filter(attention, phase, everything, programme_id, mentor_id, words)


def _mentorships(turn: Turn, f: Filter, supervisor_only: bool) -> list[Mentorship]:
    stmt = select(Mentorship).options(
        selectinload(Mentorship.meetings),
        selectinload(Mentorship.mentor),
        selectinload(Mentorship.actor),
        selectinload(Mentorship.programme),
    )
    if supervisor_only:
        ids = [m.id for m in progress.supervisor_mentorships(turn.session, turn.person)]
        stmt = stmt.where(Mentorship.id.in_(ids))
    if f.phase:
        stmt = stmt.where(Mentorship.phase == f.phase)
    elif not f.everything:
        stmt = stmt.where(Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]))
    if f.programme_id is not None:
        stmt = stmt.where(Mentorship.programme_id == f.programme_id)
    if f.mentor_id is not None:
        stmt = stmt.where(Mentorship.mentor_id == f.mentor_id)
    return list(turn.session.scalars(stmt.order_by(Mentorship.id)))


def overview(turn: Turn, f: Filter, supervisor_only: bool) -> list[PairOverview]:
    rows = progress.pair_overviews(turn.session, _mentorships(turn, f, supervisor_only), turn.now)
    if f.attention:
        rows = [r for r in rows if r.attention > 0]
    return sorted(rows, key=lambda r: (-r.attention, r.programme, r.actor_name, r.mentorship_id))


def _when(tx: Texts, value: datetime | None) -> str:
    return tx.date(value) if value else "–"


def pair_line(tx: Texts, r: PairOverview, supervisor: bool = False) -> str:
    """One pair on one line: names, phase and week, meetings, then (HR only) tasks,
    evaluations given (how many of two, never what), alerts, follow-ups, continuation."""
    phase = phase_label(tx, r.phase)
    if r.week is not None:
        phase = tx._("%(phase)s, week %(week)s", phase=phase, week=r.week)
    parts = [
        tx._(
            "*%(actor)s* with %(mentor)s (%(programme)s)",
            actor=user_text(r.actor_name),
            mentor=user_text(r.mentor_name),
            programme=user_text(r.programme),
        ),
        phase,
        progress.held_of_planned(tx, r.held, r.planned),
        tx._(
            "last %(last)s, next %(next)s", last=_when(tx, r.last_held), next=_when(tx, r.next_at)
        ),
    ]
    if not supervisor:
        parts.append(
            tx._("tasks %(open)s open, %(done)s done", open=r.tasks_open, done=r.tasks_done)
        )
        parts.append(
            tx._("evaluations: interim %(i)s/2, final %(f)s/2", i=r.interim_done, f=r.final_done)
        )
        if r.overdue:
            parts.append(
                tx.ngettext("%(num)s meeting unrecorded", "%(num)s meetings unrecorded", r.overdue)
            )
        if r.open_alerts:
            parts.append(
                tx.ngettext("⚠ %(num)s open alert", "⚠ %(num)s open alerts", r.open_alerts)
            )
        if r.open_followups:
            parts.append(tx.ngettext("%(num)s follow-up", "%(num)s follow-ups", r.open_followups))
        if r.continuation:
            parts.append(tx.t("hr_pairs.continuation", choice=r.continuation))
    return " · ".join(parts)


@command("pairs", role=HR_OR_SUPERVISOR)
def pairs(turn: Turn, rest: str) -> None:
    show_page(turn, rest, 0)


@action("hr.pairs_more", role=HR_OR_SUPERVISOR)
def pairs_more(turn: Turn, value: str) -> None:
    offset, _, words = value.partition("|")
    if not offset.isdigit():
        turn.refuse(turn.tx.t("common.stale_button"))
    show_page(turn, words, int(offset))


def show_page(turn: Turn, words: str, offset: int) -> None:
    """One page of the overview: a heading, one line per pair, its buttons, and *More*."""
    tx = turn.tx
    hr = roles_of(turn.session, turn.person).hr
    f = parse_filter(turn, words)
    rows = overview(turn, f, supervisor_only=not hr)
    page = rows[offset : offset + PAGE]
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "pairs.list" if hr else "pairs.supervisor_list",
        None,
        count=len(page),
        mentorship_ids=[r.mentorship_id for r in page],
        filter=f.encode(),
    )
    if not page:
        turn.say(tx.t("hr_pairs.no_pairs" if offset == 0 else "hr_pairs.no_more"))
        return
    message = Message().text(
        tx.t("hr_pairs.heading", count=len(rows), first=offset + 1, last=offset + len(page))
    )
    for r in page:
        message.text(pair_line(tx, r, supervisor=not hr))
    buttons = []
    if hr:
        buttons = [
            Button(action_id="hr.pair_open", label=r.actor_name, value=str(r.mentorship_id))
            for r in page
        ]
    if offset + PAGE < len(rows):
        more = f"{offset + PAGE}|{f.encode()}"[:1900]
        buttons.append(Button(action_id="hr.pairs_more", label=tx._("More"), value=more))
    if buttons:
        message.buttons(*buttons)
    turn.reply(message)


def _hr_mentorship(turn: Turn, value: str) -> Mentorship:
    m = turn.session.get(Mentorship, int(value)) if value.isdigit() else None
    if m is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert m is not None
    return m


@action("hr.pair_open", role=HR)
def pair_open(turn: Turn, value: str) -> None:
    """One pair with the actions that fit its phase and its open alerts."""
    m = _hr_mentorship(turn, value)
    tx = turn.tx
    (r,) = progress.pair_overviews(turn.session, [m], turn.now)
    audit(
        turn.session, turn.now, actor_label(turn.person), "pair.view", m.actor, mentorship_id=m.id
    )
    buttons = []
    active = m.phase in [p.value for p in ACTIVE_PHASES]
    if active:
        buttons += [
            Button(action_id="hr.pair_remind", label=tx._("Remind both"), value=str(m.id)),
            Button(action_id="hr.end", label=tx._("End early"), value=str(m.id)),
            Button(action_id="hr.repair", label=tx._("Re-pair"), value=str(m.id)),
        ]
    message = Message().text(pair_line(tx, r))
    alerts = turn.session.scalars(
        select(Alert).where(Alert.mentorship_id == m.id, Alert.handled_at.is_(None))
    ).all()
    for n, alert in enumerate(alerts, 1):
        message.text("• " + tx.t(f"hr.signal_{alert.signal}"))  # the buttons in this order
        label = tx._("Mark alert %(n)s handled", n=n)
        buttons.append(Button(action_id="hr.alert_handled", label=label, value=str(alert.id)))
    buttons.append(Button(action_id="hr.pair_history", label=tx._("History"), value=str(m.id)))
    turn.reply(message.buttons(*buttons))


def remind_both(turn: Turn, m: Mentorship) -> None:
    """HR's nudge to both partners (once a day): plan the next meeting, record those held."""
    for person, other in ((m.actor, m.mentor), (m.mentor, m.actor)):
        ptx = texts_for(person)
        turn.send(
            person,
            Message().text(ptx.t("hr_pairs.reminder", partner=user_text(other.name))),
            kind="hr.remind",
            dedupe_key=f"hr.remind:{m.id}:{person.id}:{turn.now.date().isoformat()}",
        )
    audit(
        turn.session, turn.now, actor_label(turn.person), "pair.remind", m.actor, mentorship_id=m.id
    )


@action("hr.pair_remind", role=HR)
def pair_remind(turn: Turn, value: str) -> None:
    m = _hr_mentorship(turn, value)
    if m.phase not in [p.value for p in ACTIVE_PHASES]:
        turn.refuse(turn.tx.t("hr.not_active"))
    remind_both(turn, m)
    turn.say(
        turn.tx.t(
            "hr_pairs.reminded", actor=user_text(m.actor.name), mentor=user_text(m.mentor.name)
        )
    )


@action("hr.pair_history", role=HR)
def pair_history(turn: Turn, value: str) -> None:
    """The pair's status changes, oldest first: phases, alerts, follow-ups, HR's reminders."""
    m = _hr_mentorship(turn, value)
    tx = turn.tx
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "pair.history",
        m.actor,
        mentorship_id=m.id,
    )

    def event(what: str, signal: str = "", kind: str = "") -> str:
        label = tx.t("hr_pairs.kind_label", kind=kind) if kind else ""
        return tx.t("hr_pairs.event", what=what, signal=signal, kind=label)

    events: list[tuple[datetime, str]] = [(m.created_at, event("paired"))]
    if m.started_at:
        events.append((m.started_at, event("development")))
    if m.closed_at:
        what = "ended" if m.phase == Phase.CANCELLED else "closed"
        events.append((m.closed_at, event(what)))
    for alert in turn.session.scalars(select(Alert).where(Alert.mentorship_id == m.id)):
        signal = tx.t(f"hr.signal_{alert.signal}")
        events.append((alert.raised_at, event("alert", signal=signal)))
        if alert.handled_at:
            events.append((alert.handled_at, event("alert_handled", signal=signal)))
    for item in turn.session.scalars(select(HrQueueItem).where(HrQueueItem.mentorship_id == m.id)):
        events.append((item.opened_at, event("followup", kind=item.kind)))
        if item.closed_at:
            events.append((item.closed_at, event("followup_closed", kind=item.kind)))
    for entry in turn.session.scalars(
        select(AuditLog).where(
            AuditLog.action == "pair.remind", AuditLog.subject_person_id == m.actor_id
        )
    ):
        if entry.detail.get("mentorship_id") == m.id:
            events.append((entry.at, event("reminded")))
    events.sort(key=lambda e: e[0])
    lines = [f"{tx.date(at)} — {text}" for at, text in events]
    turn.reply(
        Message()
        .text(
            tx.t(
                "hr_pairs.history_heading",
                actor=user_text(m.actor.name),
                mentor=user_text(m.mentor.name),
            )
        )
        .text("\n".join(lines))
    )
