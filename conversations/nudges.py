"""The sweep: the programme's rhythm turned into due outbox rows. THE place the rules live.

``sweep(session, now)`` reads a fixed number of result sets (never one query per pair),
decides in Python which nudges are due, renders each in the recipient's language and
timezone, and writes them with one ``INSERT … ON CONFLICT DO NOTHING``. Each nudge has a
dedupe key, unique in the outbox, so a second sweep — or a sweep in another process at the
same moment — creates nothing twice. On PostgreSQL the sweep also holds a transaction-level
advisory lock, so only one process sweeps at a time; the others skip that round.

Working time: 9–17, Monday–Friday in the *recipient's* timezone, minus the public holidays of
the programme's ``holiday_country`` (``holidays`` package, ``FI`` by default). A nudge whose
nominal moment falls outside working time is queued for the next working moment
(``conversations.worktime.next_working_moment``).

Each nudge: kind, dedupe key, recipients — nominal moment (recipient's time) — what happens
when the moment has passed.

- ``reminder`` ``reminder:<meeting>.<sequence>:<person>``, both parties, with the open
  intermediate task and the suggested agenda — 09:00 on the working day before the meeting —
  sent until the meeting starts (``expires_at`` = meeting start), never after it.
- ``checkin`` ``checkin:<meeting>:<person>``, both, unless already checked in — meeting end +
  2 h — still sent when late, up to ``GRACE`` after the moment; never expires.
- ``task_reminder`` ``task:<meeting>:<actor>``, the actor, only with an open intermediate task —
  halfway to the next meeting — up to ``GRACE`` late; expires at the next meeting.
- ``reflect`` ``reflect:<mentorship>:<n>:<person>``, both (``n`` = the meeting before) —
  halfway to the next meeting — as ``task``.
- ``interim`` ``interim:<mentorship>:<person>``, both, phase development, unless already
  evaluated — 09:00 the day after the middle meeting (meeting ⌈total/2⌉) — up to ``GRACE``
  late.
- ``closing`` ``closing:<mentorship>:<person>``, both, unless already evaluated — 09:00 two
  weeks before the planned end — sent until the planned end.
- ``plan`` ``plan:<mentorship>:<person>``, both, phase development with nothing booked —
  09:00 two days after the agreement was accepted by both — up to ``GRACE`` late.
- ``block`` ``block:<mentorship>:<first seq>:<person>``, both — when the last booked meeting is
  less than ``BOOK_AHEAD`` (28 days) away the sweep books the next block up to the booking
  horizon (3 or 6 months, never past the planned end) and tells both.
- ``supervisor.monthly`` ``supervisor.monthly:<supervisor>:<YYYY-MM>``, progress only (privacy
  rule 2) — 09:00 on the first working day of the month — up to ``GRACE`` late, else skipped.
- ``hr.digest`` ``hr.digest:<hr person>:<ISO week>``, aggregates only (privacy rule 3) — 09:00
  on the first working day of the ISO week — sent during that week only.

The supervisor kick-off (``kickoff:<mentorship>``) is queued when the agreement is accepted
(``conversations.flows.supervisor``); the sweep never creates it.

Catch-up after downtime: the sweep only creates nudges whose nominal moment is at most
``GRACE`` (4 days) ago (reminders: only before the meeting; closing: only before the end), so
a clock that was down for three days catches up with the nudges that still make sense, each
once, and drops the rest instead of sending a burst of stale messages.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, text, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from conversations import early_warnings, rules
from conversations.messages import Button, Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.texts import Texts, user_text
from conversations.worktime import (
    first_working_day_on_or_after,
    next_working_moment,
    previous_working_day,
    start_of_working_day,
    zone,
)
from storage.models import Agreement as AgreementModel
from storage.models import (
    CheckIn,
    Evaluation,
    EvaluationKind,
    Goal,
    GoalStatus,
    Meeting,
    MeetingStatus,
    Mentorship,
    Outbox,
    Person,
    Phase,
    Programme,
    Task,
    TaskStatus,
)
from storage.types import UTCDateTime

GRACE = timedelta(days=4)
CHECKIN_DELAY = timedelta(hours=2)
BOOK_AHEAD = timedelta(days=28)
PLAN_AFTER = timedelta(days=2)
MAX_INTERVAL_DAYS = 31
WINDOW_BACK = timedelta(days=MAX_INTERVAL_DAYS / 2) + GRACE + timedelta(days=5)
WINDOW_AHEAD = timedelta(days=8)
KEY_LOOKBACK = GRACE + timedelta(days=6)
CLOSING_KEY_LOOKBACK = rules.CLOSING_WINDOW + timedelta(days=6)
SWEEP_LOCK_ID = 0x6D656E746F72  # "mentor": the advisory lock id of the sweep

ACTIVE = (Phase.DEVELOPMENT.value, Phase.CLOSING.value)
COUNTED = (MeetingStatus.PLANNED.value, MeetingStatus.HELD.value, MeetingStatus.MISSED.value)

NUDGE_KINDS = (
    "reminder",
    "checkin",
    "task_reminder",
    "reflect",
    "interim",
    "closing",
    "plan",
    "block",
    "supervisor.monthly",
    "hr.digest",
)


@dataclass(slots=True)
class Recipient:
    """The columns of a person the sweep needs to render and time a nudge."""

    id: int
    name: str
    locale: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def texts(self) -> Texts:
        return _texts(self.locale, self.timezone)

    def when(self, value: datetime) -> str:
        """A date and time in this person's language and timezone (cached: many repeat)."""
        return _when(self.locale, self.timezone, value)


@lru_cache(maxsize=256)
def _texts(locale: str, timezone: str) -> Texts:
    return Texts(locale, zone(timezone).key)


@lru_cache(maxsize=65536)
def _when(locale: str, timezone: str, value: datetime) -> str:
    return _texts(locale, timezone).datetime(value)


@dataclass(slots=True)
class Pair:
    """One active mentorship with what the rules need about it (one row of one query)."""

    id: int
    phase: str
    planned_end: date | None
    interval_days: int
    duration_months: int
    horizon_months: int | None
    country: str
    mentor: Recipient
    actor: Recipient
    supervisor_id: int | None
    discussed: bool
    accepted_at: datetime | None
    share_goals: bool
    booked: int
    last_at: datetime | None
    max_seq: int
    held: int
    next_at: datetime | None

    def parties(self) -> tuple[Recipient, Recipient]:
        return (self.actor, self.mentor)

    def partner_of(self, person: Recipient) -> Recipient:
        return self.mentor if person.id == self.actor.id else self.actor

    def total_meetings(self) -> int:
        """As ``conversations.progress.total_meetings``: booked plus those still to book."""
        if not self.booked or self.last_at is None or self.planned_end is None:
            return self.booked
        remaining = 0
        day = self.last_at.date()
        while True:
            day = day.fromordinal(day.toordinal() + self.interval_days)
            if day > self.planned_end:
                break
            remaining += 1
        return self.booked + remaining


@dataclass
class SweepReport:
    """What one sweep did; ``locked`` when another process was sweeping."""

    inserted: int = 0
    candidates: int = 0
    meetings_booked: int = 0
    locked: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    now: datetime
    existing: set[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self,
        *,
        key: str,
        kind: str,
        person: Recipient,
        country: str,
        nominal: datetime,
        message: Message | None = None,
        build: Callable[[], Message] | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """Queue one nudge at the first working moment from its nominal moment (or now)."""
        if key in self.existing:
            return
        if message is None and build is None:
            raise ValueError("a nudge needs a message or a way to build one")
        send_at = next_working_moment(max(nominal, self.now), person.tz, country)
        if expires_at is not None and send_at >= expires_at:
            return
        if message is None:
            assert build is not None
            message = build()
        self.existing.add(key)
        self.rows.append(
            outbox_row(
                person_id=person.id,
                kind=kind,
                message=message,
                dedupe_key=key,
                due_at=send_at,
                now=self.now,
                expires_at=expires_at,
            )
        )
        self.by_kind[kind] += 1


def try_sweep_lock(session: Session, wait: bool = False) -> bool:
    """PostgreSQL: take the sweep's advisory lock for this transaction (False if taken).

    ``wait`` blocks until the lock is free instead (the console and tests, which must not
    skip a moment); the clock never waits: another process is sweeping already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID})
        return True
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID})
    )


def sweep(session: Session, now: datetime, *, wait_for_lock: bool = False) -> SweepReport:
    """Create every nudge that is due at ``now`` (see the module docstring for the rules)."""
    report = SweepReport()
    if not try_sweep_lock(session, wait_for_lock):
        report.locked = True
        return report
    pairs = _load_pairs(session, now)
    plan = _Plan(now=now, existing=_existing_keys(session, now))
    meetings = _load_meetings(session, now)
    checked_in = _load_checkins(session, now)
    open_tasks = _load_open_tasks(session, now)
    evaluated = _load_evaluations(session)
    _meeting_nudges(plan, pairs, meetings, checked_in, open_tasks, evaluated)
    _closing_nudges(plan, pairs, evaluated)
    report.meetings_booked = _book_next_blocks(session, plan, pairs)
    _supervisor_monthly(session, plan, pairs)
    plan.rows.extend(early_warnings.raise_alerts(session, now))  # early warnings to HR (issue 6)
    _hr_digest(session, plan, pairs, meetings)
    report.candidates = len(plan.rows)
    report.inserted = insert_rows(session, plan.rows)
    report.by_kind = dict(plan.by_kind)
    return report


_PG_BULK_INSERT = text(
    """
    INSERT INTO outbox (dedupe_key, person_id, kind, payload, due_at, next_attempt_at,
                        expires_at, status, attempts, created_at)
    SELECT dedupe_key, person_id, kind, payload, due_at, next_attempt_at, expires_at, status,
           attempts, created_at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(
        dedupe_key text, person_id integer, kind text, payload json, due_at timestamptz,
        next_attempt_at timestamptz, expires_at timestamptz, status text, attempts integer,
        created_at timestamptz)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """
)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows once per dedupe key in one statement; returns how many were new.

    On PostgreSQL the rows travel as one JSON parameter (``jsonb_to_recordset``): a
    100,000-row multi-VALUES statement spends most of its time in the driver's parameter
    parsing. Elsewhere: ``conversations.outbox.insert_ignoring_duplicates``.
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name != "postgresql":
        return insert_ignoring_duplicates(session, rows)
    payload = json.dumps(rows, default=_json_default, separators=(",", ":"))
    return len(session.execute(_PG_BULK_INSERT, {"rows": payload}).all())


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


# --- the few reads -----------------------------------------------------------------------


def _recipient(row: Any, prefix: str) -> Recipient:
    return Recipient(
        id=row[f"{prefix}_id"],
        name=row[f"{prefix}_name"],
        locale=row[f"{prefix}_locale"],
        timezone=row[f"{prefix}_tz"],
    )


def _load_pairs(
    session: Session, now: datetime, phases: tuple[str, ...] = ACTIVE
) -> dict[int, Pair]:
    """Every mentorship in ``phases`` (by default those that meet) with its people, frame and
    meeting aggregates (two queries)."""
    agg = (
        select(
            Meeting.mentorship_id.label("mid"),
            func.count(Meeting.id).label("booked"),
            type_coerce(func.max(Meeting.scheduled_at), UTCDateTime()).label("last_at"),
            func.max(Meeting.seq).label("max_seq"),
            func.sum(case((Meeting.status == MeetingStatus.HELD.value, 1), else_=0)).label("held"),
            type_coerce(
                func.min(
                    case(
                        (
                            (Meeting.status == MeetingStatus.PLANNED.value)
                            & (Meeting.scheduled_at >= now),
                            Meeting.scheduled_at,
                        ),
                    )
                ),
                UTCDateTime(),
            ).label("next_at"),
        )
        .where(Meeting.status != MeetingStatus.CANCELLED.value)
        .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
        .where(Mentorship.phase.in_(phases))
        .group_by(Meeting.mentorship_id)
    )
    # two plain queries merged in Python: SQLite plans an outer join to a grouped subquery
    # badly (seconds at 100,000 pairs)
    aggregates = {row.mid: row for row in session.execute(agg)}
    mentor = aliased(Person)
    actor = aliased(Person)
    stmt = (
        select(
            Mentorship.id,
            Mentorship.phase,
            Mentorship.planned_end,
            AgreementModel.meeting_interval_days,
            AgreementModel.duration_months,
            AgreementModel.supervisor_goals_discussed_at,
            AgreementModel.actor_accepted_at,
            AgreementModel.mentor_accepted_at,
            AgreementModel.share_goals_with_supervisor,
            Programme.booking_horizon_months,
            Programme.holiday_country,
            mentor.id.label("mentor_id"),
            mentor.name.label("mentor_name"),
            mentor.locale.label("mentor_locale"),
            mentor.timezone.label("mentor_tz"),
            actor.id.label("actor_id"),
            actor.name.label("actor_name"),
            actor.locale.label("actor_locale"),
            actor.timezone.label("actor_tz"),
            actor.supervisor_id,
        )
        .join(AgreementModel, AgreementModel.mentorship_id == Mentorship.id)
        .join(Programme, Programme.id == Mentorship.programme_id)
        .join(mentor, mentor.id == Mentorship.mentor_id)
        .join(actor, actor.id == Mentorship.actor_id)
        .where(
            Mentorship.phase.in_(phases),
            mentor.erased_at.is_(None),
            actor.erased_at.is_(None),
        )
    )
    pairs: dict[int, Pair] = {}
    for row in session.execute(stmt).mappings():
        a = aggregates.get(row["id"])
        pairs[row["id"]] = Pair(
            id=row["id"],
            phase=row["phase"],
            planned_end=row["planned_end"],
            interval_days=row["meeting_interval_days"],
            duration_months=row["duration_months"],
            horizon_months=row["booking_horizon_months"],
            country=row["holiday_country"] or "FI",
            mentor=_recipient(row, "mentor"),
            actor=_recipient(row, "actor"),
            supervisor_id=row["supervisor_id"],
            discussed=row["supervisor_goals_discussed_at"] is not None,
            accepted_at=_later(row["actor_accepted_at"], row["mentor_accepted_at"]),
            share_goals=bool(row["share_goals_with_supervisor"]),
            booked=int(a.booked) if a else 0,
            last_at=a.last_at if a else None,
            max_seq=int(a.max_seq or 0) if a else 0,
            held=int(a.held or 0) if a else 0,
            next_at=a.next_at if a else None,
        )
    return pairs


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return None
    return max(a, b)


def _window(now: datetime) -> Any:
    return Meeting.scheduled_at.between(now - WINDOW_BACK, now + WINDOW_AHEAD)


@dataclass(slots=True)
class _Meeting:
    id: int
    mentorship_id: int
    seq: int
    at: datetime
    minutes: int
    status: str
    version: int  # the ICS SEQUENCE: a moved meeting gets new reminder keys


def _load_meetings(session: Session, now: datetime) -> list[_Meeting]:
    """Meetings of active pairs from ``WINDOW_BACK`` ago to ``WINDOW_AHEAD`` ahead."""
    stmt = (
        select(
            Meeting.id,
            Meeting.mentorship_id,
            Meeting.seq,
            Meeting.scheduled_at,
            Meeting.duration_minutes,
            Meeting.status,
            Meeting.ics_sequence,
        )
        .join(Mentorship, Mentorship.id == Meeting.mentorship_id)
        .where(_window(now), Meeting.status.in_(COUNTED), Mentorship.phase.in_(ACTIVE))
        .order_by(Meeting.mentorship_id, Meeting.seq)
    )
    return [_Meeting(*row) for row in session.execute(stmt)]


def _load_checkins(session: Session, now: datetime) -> set[tuple[int, int]]:
    stmt = (
        select(CheckIn.meeting_id, CheckIn.person_id)
        .join(Meeting, Meeting.id == CheckIn.meeting_id)
        .where(_window(now))
    )
    return {(m, p) for m, p in session.execute(stmt)}


def _load_open_tasks(session: Session, now: datetime) -> dict[int, list[tuple[int, str]]]:
    in_window = select(Meeting.mentorship_id).where(_window(now))
    stmt = (
        select(Task.mentorship_id, Task.id, Task.text)
        .where(Task.status == TaskStatus.OPEN.value, Task.mentorship_id.in_(in_window))
        .order_by(Task.id)
    )
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for mid, tid, body in session.execute(stmt):
        out[mid].append((tid, body))
    return out


def _load_evaluations(session: Session) -> set[tuple[int, int, str]]:
    stmt = (
        select(Evaluation.mentorship_id, Evaluation.person_id, Evaluation.kind)
        .join(Mentorship, Mentorship.id == Evaluation.mentorship_id)
        .where(Mentorship.phase.in_(ACTIVE))
    )
    return {(m, p, k) for m, p, k in session.execute(stmt)}


def _existing_keys(session: Session, now: datetime) -> set[str]:
    """Nudge keys created recently enough that the rules could produce them again."""
    stmt = select(Outbox.dedupe_key).where(
        (Outbox.created_at >= now - KEY_LOOKBACK)
        | ((Outbox.kind == "closing") & (Outbox.created_at >= now - CLOSING_KEY_LOOKBACK))
    )
    return set(session.scalars(stmt))


# --- the rules ---------------------------------------------------------------------------


def _tasks_text(tasks: list[tuple[int, str]]) -> str:
    return "; ".join(user_text(body) for _, body in tasks[:3])


def _meeting_nudges(
    plan: _Plan,
    pairs: dict[int, Pair],
    meetings: list[_Meeting],
    checked_in: set[tuple[int, int]],
    open_tasks: dict[int, list[tuple[int, str]]],
    evaluated: set[tuple[int, int, str]],
) -> None:
    now = plan.now
    # The real next meeting (it keeps its wall-clock time across daylight saving, and may have
    # been moved); ``at + interval`` only when it is not booked.
    following: dict[int, datetime] = {}
    for current, after in itertools.pairwise(meetings):
        if current.mentorship_id == after.mentorship_id:
            following[current.id] = after.at
    for mt in meetings:
        pair = pairs.get(mt.mentorship_id)
        if pair is None:
            continue
        interval = timedelta(days=pair.interval_days)
        end = mt.at + timedelta(minutes=mt.minutes)
        tasks = open_tasks.get(pair.id, [])
        total = pair.total_meetings()
        existing = plan.existing
        for person in pair.parties():
            partner = pair.partner_of(person)
            if mt.status == MeetingStatus.PLANNED and mt.at > now:
                if f"reminder:{mt.id}.{mt.version}:{person.id}" in existing:  # cheap test first
                    continue
                day_before = previous_working_day(mt.at.astimezone(person.tz).date(), pair.country)
                nominal = start_of_working_day(day_before, person.tz)
                if nominal <= now:
                    plan.add(
                        key=f"reminder:{mt.id}.{mt.version}:{person.id}",
                        kind="reminder",
                        person=person,
                        country=pair.country,
                        nominal=nominal,
                        expires_at=mt.at,
                        build=partial(_reminder, person, partner, mt, total, tasks),
                    )
                continue
            if mt.at > now:
                continue
            nominal = end + CHECKIN_DELAY
            if nominal <= now < nominal + GRACE and (mt.id, person.id) not in checked_in:
                plan.add(
                    key=f"checkin:{mt.id}:{person.id}",
                    kind="checkin",
                    person=person,
                    country=pair.country,
                    nominal=nominal,
                    build=partial(_checkin, person, partner, mt),
                )
            next_at = following.get(mt.id, mt.at + interval)
            midpoint = mt.at + (next_at - mt.at) / 2
            if midpoint <= now < min(midpoint + GRACE, next_at):
                if tasks and person.id == pair.actor.id:
                    plan.add(
                        key=f"task:{mt.id}:{person.id}",
                        kind="task_reminder",
                        person=person,
                        country=pair.country,
                        nominal=midpoint,
                        expires_at=next_at,
                        build=partial(_task, person, tasks, next_at),
                    )
                plan.add(
                    key=f"reflect:{pair.id}:{mt.seq}:{person.id}",
                    kind="reflect",
                    person=person,
                    country=pair.country,
                    nominal=midpoint,
                    expires_at=next_at,
                    build=partial(_reflect, person, pair.id, next_at),
                )
            if (
                pair.phase == Phase.DEVELOPMENT
                and mt.seq == rules.middle_meeting_seq(total)
                and (pair.id, person.id, EvaluationKind.INTERIM.value) not in evaluated
            ):
                day_after = (mt.at.astimezone(person.tz) + timedelta(days=1)).date()
                nominal = start_of_working_day(day_after, person.tz)
                if nominal <= now < nominal + GRACE:
                    plan.add(
                        key=f"interim:{pair.id}:{person.id}",
                        kind="interim",
                        person=person,
                        country=pair.country,
                        nominal=nominal,
                        build=partial(_interim, person, partner, pair.id),
                    )


def _closing_nudges(
    plan: _Plan, pairs: dict[int, Pair], evaluated: set[tuple[int, int, str]]
) -> None:
    now = plan.now
    for pair in pairs.values():
        if pair.planned_end is None:
            continue
        if pair.phase == Phase.DEVELOPMENT and pair.booked == 0:
            _plan_nudge(plan, pair)
        for person in pair.parties():
            if (pair.id, person.id, EvaluationKind.FINAL.value) in evaluated:
                continue
            opens = rules.closing_opens(pair.planned_end)
            nominal = start_of_working_day(opens, person.tz)
            end = datetime.combine(pair.planned_end, time(23, 59), tzinfo=person.tz)
            if nominal <= now < end:
                partner = pair.partner_of(person)
                plan.add(
                    key=f"closing:{pair.id}:{person.id}",
                    kind="closing",
                    person=person,
                    country=pair.country,
                    nominal=nominal,
                    expires_at=end.astimezone(UTC),
                    build=partial(_closing, person, partner, pair),
                )


def _plan_nudge(plan: _Plan, pair: Pair) -> None:
    """Nothing booked two days after the agreement: ask both to plan their meetings."""
    if pair.accepted_at is None:
        return
    for person in pair.parties():
        day = (pair.accepted_at.astimezone(person.tz) + PLAN_AFTER).date()
        nominal = start_of_working_day(day, person.tz)
        if nominal <= plan.now < nominal + GRACE:
            plan.add(
                key=f"plan:{pair.id}:{person.id}",
                kind="plan",
                person=person,
                country=pair.country,
                nominal=nominal,
                build=partial(_plan_message, person, pair.id),
            )


def _plan_message(person: Recipient, mentorship_id: int) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("scheduling.none_yet"))
        .buttons(
            Button(
                action_id="schedule.plan",
                label=tx._("Plan meetings"),
                value=str(mentorship_id),
                style="primary",
            )
        )
    )


def _book_next_blocks(session: Session, plan: _Plan, pairs: dict[int, Pair]) -> int:
    """Book the next block of meetings before the booking horizon runs out (one insert)."""
    now = plan.now
    new_meetings: list[dict[str, Any]] = []
    for pair in pairs.values():
        if not pair.booked or pair.last_at is None or pair.planned_end is None:
            continue
        if pair.last_at > now + BOOK_AHEAD:
            continue
        tz = pair.actor.tz
        last_local = pair.last_at.astimezone(tz)
        first = last_local + timedelta(days=pair.interval_days)
        if first.date() > pair.planned_end:
            continue
        horizon = rules.horizon_months(pair.duration_months, pair.horizon_months)
        until = min(pair.planned_end, rules.add_months(now.astimezone(tz).date(), horizon))
        dates = rules.series(first.replace(tzinfo=tz), pair.interval_days, until)
        if not dates:
            continue
        for i, when in enumerate(dates, 1):
            new_meetings.append(
                {
                    "mentorship_id": pair.id,
                    "seq": pair.max_seq + i,
                    "uid": f"{uuid.uuid4()}@mentorbot",
                    "scheduled_at": when,
                    "duration_minutes": 60,
                    "status": MeetingStatus.PLANNED.value,
                    "ics_sequence": 0,
                }
            )
        for person in pair.parties():
            plan.add(
                key=f"block:{pair.id}:{pair.max_seq + 1}:{person.id}",
                kind="block",
                person=person,
                country=pair.country,
                nominal=now,
                build=partial(_block, person, pair.id, dates),
            )
    if not new_meetings:
        return 0
    dialect = session.get_bind().dialect.name
    ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Meeting)
    stmt = ins.on_conflict_do_nothing(index_elements=["mentorship_id", "seq"])
    # RETURNING counts what was really inserted (rowcount is unreliable for executemany)
    return len(session.connection().execute(stmt.returning(Meeting.id), new_meetings).all())


def _supervisor_monthly(session: Session, plan: _Plan, pairs: dict[int, Pair]) -> None:
    """On the first working days of a month: each supervisor's progress-only summary, which
    also covers reports still agreeing (phase start): that is when support matters most."""
    now = plan.now
    if now.day > 12:  # the first working day plus GRACE is never later than the 12th
        return
    starting = _load_pairs(session, now, (Phase.START.value,))
    by_supervisor: dict[int, list[Pair]] = defaultdict(list)
    for pair in [*pairs.values(), *starting.values()]:
        if pair.supervisor_id is not None:
            by_supervisor[pair.supervisor_id].append(pair)
    if not by_supervisor:
        return
    supervisors = _supervisors(session)
    due: list[tuple[int, Recipient, list[Pair], str, datetime, str]] = []
    for sid, reports in by_supervisor.items():
        sup = supervisors.get(sid)
        if sup is None:
            continue
        local = now.astimezone(sup.tz)
        country = reports[0].country
        first_day = first_working_day_on_or_after(local.date().replace(day=1), country)
        nominal = start_of_working_day(first_day, sup.tz)
        if nominal <= now < nominal + GRACE:
            due.append((sid, sup, reports, country, nominal, local.strftime("%Y-%m")))
    if not due:
        return
    goals = _shared_goal_titles(
        session,
        [
            p.id
            for *_, reports, _c, _n, _m in due
            for p in reports
            if p.share_goals and p.accepted_at
        ],
    )
    for sid, sup, reports, country, nominal, month in due:
        plan.add(
            key=f"supervisor.monthly:{sid}:{month}",
            kind="supervisor.monthly",
            person=sup,
            country=country,
            nominal=nominal,
            expires_at=nominal + rules.CLOSING_WINDOW,
            build=partial(_monthly, sup, reports, month, goals),
        )


def _shared_goal_titles(session: Session, mentorship_ids: list[int]) -> dict[int, list[str]]:
    """Goal titles of pairs whose actor agreed to share them with the supervisor (one query)."""
    titles: dict[int, list[str]] = defaultdict(list)
    if not mentorship_ids:
        return titles
    for mid, title in session.execute(
        select(Goal.mentorship_id, Goal.title)
        .where(
            Goal.mentorship_id.in_(mentorship_ids),
            Goal.parent_id.is_(None),
            Goal.status != GoalStatus.DROPPED.value,
        )
        .order_by(Goal.mentorship_id, Goal.position, Goal.id)
    ):
        titles[mid].append(title)
    return titles


def _supervisors(session: Session) -> dict[int, Recipient]:
    """Every person who supervises an actor of a mentorship in progress: one query."""
    sup_ids = (
        select(Person.supervisor_id)
        .join(Mentorship, Mentorship.actor_id == Person.id)
        .where(
            Mentorship.phase.in_((Phase.START.value, *ACTIVE)),
            Person.supervisor_id.is_not(None),
        )
    )
    stmt = select(Person.id, Person.name, Person.locale, Person.timezone).where(
        Person.id.in_(sup_ids), Person.erased_at.is_(None)
    )
    return {row[0]: Recipient(*row) for row in session.execute(stmt)}


def _hr_digest(
    session: Session, plan: _Plan, pairs: dict[int, Pair], meetings: Iterable[_Meeting]
) -> None:
    """Monday morning (first working day of the ISO week): aggregates for each HR person."""
    now = plan.now
    hr_people = [
        Recipient(*row)
        for row in session.execute(
            select(Person.id, Person.name, Person.locale, Person.timezone).where(
                Person.is_hr.is_(True), Person.erased_at.is_(None)
            )
        )
    ]
    if not hr_people:
        return
    week_ago = now - timedelta(days=7)
    four_weeks_ago = now - timedelta(days=28)
    held = sum(1 for m in meetings if m.status == MeetingStatus.HELD and week_ago <= m.at <= now)
    missed_pairs = len(
        {
            m.mentorship_id
            for m in meetings
            if m.status == MeetingStatus.MISSED and four_weeks_ago <= m.at <= now
        }
    )
    unbooked = sum(1 for p in pairs.values() if p.phase == Phase.DEVELOPMENT and not p.booked)
    for person in hr_people:
        local = now.astimezone(person.tz)
        monday = local.date() - timedelta(days=local.weekday())
        first_day = first_working_day_on_or_after(monday, "FI")
        nominal = start_of_working_day(first_day, person.tz)
        week_end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=person.tz)
        if not nominal <= now < week_end:
            continue
        year, week, _ = local.isocalendar()
        iso_week = f"{year}-W{week:02d}"
        plan.add(
            key=f"hr.digest:{person.id}:{iso_week}",
            kind="hr.digest",
            person=person,
            country="FI",
            nominal=nominal,
            expires_at=week_end.astimezone(UTC),
            build=partial(
                _with_open_alerts,
                session,
                person,
                Message().text(
                    person.texts().t(
                        "nudges.hr_digest",
                        week=iso_week,
                        active=len(pairs),
                        held=held,
                        missed_pairs=missed_pairs,
                        unbooked=unbooked,
                    )
                ),
            ),
        )


def _with_open_alerts(session: Session, person: Recipient, message: Message) -> Message:
    """The digest lists the open early-warning alerts (``conversations.early_warnings``)."""
    extra = early_warnings.digest_text(session, person.texts())
    return message.text(extra) if extra else message


# --- rendering ---------------------------------------------------------------------------


def _reminder(
    person: Recipient, partner: Recipient, mt: _Meeting, total: int, tasks: list[tuple[int, str]]
) -> Message:
    tx = person.texts()
    message = Message().text(
        tx.t(
            "nudges.reminder",
            n=mt.seq,
            total=total,
            partner=user_text(partner.name),
            when=person.when(mt.at),
        )
    )
    if tasks:
        message.text(tx.t("nudges.reminder_task", tasks=_tasks_text(tasks)))
    message.text(tx.t("nudges.agenda"))
    return message.buttons(
        Button(
            action_id="schedule.move", label=tx._("Move meeting %(n)s", n=mt.seq), value=str(mt.id)
        )
    )


def _checkin(person: Recipient, partner: Recipient, mt: _Meeting) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.checkin", n=mt.seq, partner=user_text(partner.name)))
        .buttons(
            Button(
                action_id="checkin.start",
                label=tx._("Check in"),
                value=str(mt.id),
                style="primary",
            )
        )
    )


def _task(person: Recipient, tasks: list[tuple[int, str]], next_at: datetime) -> Message:
    tx = person.texts()
    tid, body = tasks[0]
    short = body if len(body) <= 30 else body[:29] + "…"
    return (
        Message()
        .text(tx.t("nudges.task", tasks=_tasks_text(tasks), when=person.when(next_at)))
        .buttons(
            Button(action_id="task.done", label=tx._("Done: %(task)s", task=short), value=str(tid))
        )
    )


def _reflect(person: Recipient, mentorship_id: int, next_at: datetime) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.reflect", when=person.when(next_at)))
        .buttons(Button(action_id="reflect.start", label=tx._("Reflect"), value=str(mentorship_id)))
    )


def _interim(person: Recipient, partner: Recipient, mentorship_id: int) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(tx.t("nudges.interim", partner=user_text(partner.name)))
        .buttons(
            Button(
                action_id="interim.start",
                label=tx._("Interim evaluation"),
                value=str(mentorship_id),
                style="primary",
            )
        )
    )


def _closing(person: Recipient, partner: Recipient, pair: Pair) -> Message:
    tx = person.texts()
    assert pair.planned_end is not None
    return (
        Message()
        .text(
            tx.t("nudges.closing", partner=user_text(partner.name), end=tx.date(pair.planned_end))
        )
        .buttons(
            Button(
                action_id="final.start",
                label=tx._("Final evaluation"),
                value=str(pair.id),
                style="primary",
            )
        )
    )


def _block(person: Recipient, mentorship_id: int, dates: list[datetime]) -> Message:
    tx = person.texts()
    return (
        Message()
        .text(
            tx.t(
                "nudges.block_booked",
                count=len(dates),
                first=person.when(dates[0]),
                last=person.when(dates[-1]),
            )
        )
        .buttons(
            Button(action_id="schedule.ics", label=tx._("Calendar file"), value=str(mentorship_id))
        )
    )


def _monthly(
    sup: Recipient, reports: list[Pair], month: str, goals: dict[int, list[str]]
) -> Message:
    """Progress only (privacy rule 2): phase, meetings, next meeting, whether the agreement and
    the goal discussion happened, and goal titles only where the actor agreed to share them."""
    from conversations.flows.common import phase_label

    tx = sup.texts()
    message = Message().text(tx.t("nudges.monthly_heading", month=month))
    buttons: list[Button] = []
    for pair in sorted(reports, key=lambda p: p.actor.name):
        lines = [
            tx.t(
                "nudges.monthly_report",
                actor=user_text(pair.actor.name),
                mentor=user_text(pair.mentor.name),
                phase=phase_label(tx, pair.phase),
                held=pair.held,
                planned=pair.total_meetings(),
            )
        ]
        if pair.next_at is not None:
            lines.append(tx.t("nudges.monthly_next", when=sup.when(pair.next_at)))
        lines.append(tx.t("nudges.monthly_agreement", accepted=pair.accepted_at is not None))
        if pair.id in goals:
            titles = "; ".join(user_text(t) for t in goals[pair.id])
            lines.append(tx.t("nudges.monthly_goals", goals=titles))
        if pair.discussed:
            lines.append(tx.t("nudges.monthly_discussion_done"))
        else:
            lines.append(tx.t("nudges.monthly_discussion_missing"))
            buttons.append(
                Button(
                    action_id="supervisor.discussed",
                    value=str(pair.id),
                    label=f"{tx._('We discussed the goals')} ({pair.actor.name})",
                )
            )
        message.text(" ".join(lines))
    return message.buttons(*buttons)
