"""A programme's results for HR: aggregates only, small groups suppressed (privacy rule 3).

``programme_results`` computes the numbers; ``render_csv`` and ``report_page.render_html``
present them (the page adds the per-pair progress table of ``report_pairs``).
Ratings, continuation plans and free-text counts are shown only when at least
``MIN_GROUP`` different people gave them; otherwise the report says they are suppressed.

No differencing (docs/privacy.md, "Results"): every figure derived from private answers —
ratings, goal attainment, continuation plans — counts only answers in *released batches*.
Answers are taken oldest first into a batch that closes once it holds answers of
``MIN_GROUP`` different people; the answers of the open batch wait. Two reports therefore
differ by whole batches, each of at least ``MIN_GROUP`` people, never by one person's answer.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import mean

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from conversations import csv_safe
from conversations.matching.learning import matching_outcomes
from conversations.outreach import NEW_EMPLOYEE_WINDOW, RETURN_AHEAD
from conversations.release import MIN_GROUP, Answer, goal_counts, released
from conversations.report_pairs import held_by_week
from conversations.texts import Texts
from storage.models import (
    ACTIVE_PHASES,
    Alert,
    CheckIn,
    Evaluation,
    EvaluationKind,
    Goal,
    Invitation,
    Meeting,
    MeetingStatus,
    Mentorship,
    Person,
    Phase,
    Programme,
    Reflection,
    Task,
    TaskStatus,
)


@dataclass(frozen=True)
class Ratings:
    """Ratings 1–5 of one kind; ``None`` fields when fewer than ``MIN_GROUP`` people rated."""

    people: int
    answers: int
    average: float | None
    distribution: dict[int, int] | None

    @property
    def suppressed(self) -> bool:
        return self.average is None


@dataclass(frozen=True)
class Results:
    programme: str
    generated_at: datetime
    participants: dict[str, int]
    pairs_by_phase: dict[str, int]
    meetings: dict[str, int]
    tasks: dict[str, int]
    interim_relationship: Ratings
    final_usefulness: Ratings
    checkin_usefulness: Ratings
    checkin_rapport: Ratings
    goals: dict[str, int]
    continuation: dict[str, int] | None
    free_text: dict[str, int] | None
    eligibility: dict[str, int]
    alerts: dict[str, int] = field(default_factory=dict)
    held_by_week: list[tuple[date, int]] = field(default_factory=list)
    matching: dict[str, int | float | str] = field(default_factory=dict)


def _ratings(answers: Iterable[Answer]) -> Ratings:
    """Aggregate of the released ratings; suppressed until a first batch is released."""
    shown = released(answers)
    values = [int(a.value) for a in shown]
    people = len({a.person for a in shown})
    if people < MIN_GROUP:
        return Ratings(people, len(values), None, None)
    dist = Counter(values)
    return Ratings(people, len(values), round(mean(values), 2), {k: dist[k] for k in range(1, 6)})


def programme_results(session: Session, programme: Programme, now: datetime) -> Results:
    """Every number of the report for one programme, privacy rule 3 applied."""
    pid = programme.id
    mentorships = list(session.scalars(select(Mentorship).where(Mentorship.programme_id == pid)))
    ids = [m.id for m in mentorships]
    mentors = {m.mentor_id for m in mentorships}
    actors = {m.actor_id for m in mentorships}
    supervisors = {
        s
        for s in session.scalars(
            select(Person.supervisor_id).where(
                Person.id.in_(actors), Person.supervisor_id.is_not(None)
            )
        )
    }
    phases = Counter(m.phase for m in mentorships)
    meeting_counts = Counter(
        session.scalars(select(Meeting.status).where(Meeting.mentorship_id.in_(ids))).all()
    )
    planned_past = session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.mentorship_id.in_(ids),
            Meeting.status == MeetingStatus.PLANNED.value,
            Meeting.scheduled_at < now,
        )
    )
    task_counts = Counter(
        session.scalars(select(Task.status).where(Task.mentorship_id.in_(ids))).all()
    )
    goal_rows = [
        (pair, status)
        for pair, status in session.execute(
            select(Goal.mentorship_id, Goal.status).where(
                Goal.mentorship_id.in_(ids), Goal.parent_id.is_(None)
            )
        )
    ]
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.mentorship_id.in_(ids))))
    interim = [e for e in evaluations if e.kind == EvaluationKind.INTERIM]
    final = [e for e in evaluations if e.kind == EvaluationKind.FINAL]
    checkins = list(
        session.execute(
            select(
                CheckIn.created_at,
                CheckIn.id,
                CheckIn.person_id,
                CheckIn.usefulness,
                CheckIn.rapport,
            )
            .join(Meeting, Meeting.id == CheckIn.meeting_id)
            .where(Meeting.mentorship_id.in_(ids))
        )
    )
    final_released = released(Answer(e.created_at, e.id, e.person_id, e) for e in final)
    released_pairs = {a.value.mentorship_id for a in final_released}
    continuation = (
        dict(Counter(a.value.continuation for a in final_released if a.value.continuation))
        if len({a.person for a in final_released}) >= MIN_GROUP
        else None
    )
    note_people = {
        p
        for (p,) in session.execute(
            select(CheckIn.person_id)
            .join(Meeting, Meeting.id == CheckIn.meeting_id)
            .where(Meeting.mentorship_id.in_(ids), CheckIn.note.is_not(None))
        )
    }
    reflection_rows = list(
        session.execute(select(Reflection.person_id).where(Reflection.mentorship_id.in_(ids)))
    )
    comment_people = {e.person_id for e in evaluations if e.text}
    writers = note_people | {r[0] for r in reflection_rows} | comment_people
    free_text = (
        {
            "check_in_notes": int(
                session.scalar(
                    select(func.count(CheckIn.id))
                    .join(Meeting, Meeting.id == CheckIn.meeting_id)
                    .where(Meeting.mentorship_id.in_(ids), CheckIn.note.is_not(None))
                )
                or 0
            ),
            "reflections": len(reflection_rows),
            "evaluation_comments": sum(1 for e in evaluations if e.text),
        }
        if len(writers) >= MIN_GROUP
        else None
    )
    eligibility = _eligibility(session, now.date(), actors)
    alert_rows = list(session.execute(select(Alert.handled_at).where(Alert.programme_id == pid)))
    return Results(
        programme=programme.name,
        generated_at=now,
        participants={
            "people": len(mentors | actors),
            "mentors": len(mentors),
            "actors": len(actors),
            "supervisors": len(supervisors),
        },
        pairs_by_phase={p.value: phases.get(p.value, 0) for p in Phase},
        meetings={
            "held": meeting_counts.get(MeetingStatus.HELD.value, 0),
            "missed": meeting_counts.get(MeetingStatus.MISSED.value, 0),
            "planned": meeting_counts.get(MeetingStatus.PLANNED.value, 0),
            "overdue_unrecorded": int(planned_past or 0),
            "cancelled": meeting_counts.get(MeetingStatus.CANCELLED.value, 0),
        },
        tasks={s.value: task_counts.get(s.value, 0) for s in TaskStatus},
        interim_relationship=_ratings(
            Answer(e.created_at, e.id, e.person_id, e.relationship_rating) for e in interim
        ),
        final_usefulness=_ratings(
            Answer(e.created_at, e.id, e.person_id, e.relationship_rating) for e in final
        ),
        checkin_usefulness=_ratings(Answer(at, k, p, u) for at, k, p, u, _r in checkins),
        checkin_rapport=_ratings(Answer(at, k, p, r) for at, k, p, _u, r in checkins),
        goals=goal_counts(goal_rows, released_pairs),
        continuation=continuation,
        free_text=free_text,
        eligibility=eligibility,
        alerts={
            "raised": len(alert_rows),
            "handled": sum(1 for (h,) in alert_rows if h is not None),
        },
        held_by_week=held_by_week(session, pid, now),
        matching=matching_outcomes(session, programme),  # matched vs hand-made pairs
    )


def _eligibility(session: Session, today: date, programme_actors: set[int]) -> dict[str, int]:
    """Invitation uptake. Invitations go to the whole organisation (nobody is invited to one
    programme), so the first four figures are organisation-wide; the last is this programme's
    share: invited or eligible people who are actors in it."""
    eligible = set(
        session.scalars(
            select(Person.id).where(
                Person.erased_at.is_(None),
                or_(
                    Person.employment_start.between(today - NEW_EMPLOYEE_WINDOW, today),
                    Person.returning_from_leave.between(
                        today - NEW_EMPLOYEE_WINDOW, today + RETURN_AHEAD
                    ),
                ),
            )
        )
    )
    invitations = dict(session.execute(select(Invitation.person_id, Invitation.answer)).all())
    opted_in = {p for p, answer in invitations.items() if answer == "yes"}
    paired_anywhere = set(
        session.scalars(select(Mentorship.actor_id).where(Mentorship.actor_id.in_(opted_in)))
    )
    return {
        "eligible": len(eligible),
        "invited": len(invitations),
        "opted_in": len(opted_in),
        "opted_in_waiting": len(opted_in - paired_anywhere),
        "joined_programme": len((eligible | set(invitations)) & programme_actors),
    }


def active_pairs(results: Results) -> int:
    return sum(results.pairs_by_phase.get(p.value, 0) for p in ACTIVE_PHASES)


# --- CSV -----------------------------------------------------------------------------------


def render_csv(results: Results) -> str:
    """``section,metric,value`` rows; suppressed aggregates say ``suppressed (< 5 people)``.
    Text cells that a spreadsheet would evaluate are neutralised (``csv_safe``)."""
    out = io.StringIO()
    w = csv_safe.writer(out, lineterminator="\n")
    w.writerow(["section", "metric", "value"])
    w.writerow(["programme", "name", results.programme])
    w.writerow(["programme", "generated_at", results.generated_at.isoformat()])
    for section, values in (
        ("participants", results.participants),
        ("pairs_by_phase", results.pairs_by_phase),
        ("meetings", results.meetings),
        ("tasks", results.tasks),
        ("goals", results.goals),
        ("eligibility", results.eligibility),
        ("alerts", results.alerts),
        ("matching", results.matching),
    ):
        for key, value in values.items():
            w.writerow([section, key, value])
    suppressed = f"suppressed (< {MIN_GROUP} people)"
    for section, r in _rating_sections(results):
        if r.suppressed:
            w.writerow([section, "average", suppressed])
            continue
        w.writerow([section, "people", r.people])
        w.writerow([section, "answers", r.answers])
        w.writerow([section, "average", r.average])
        for k, v in (r.distribution or {}).items():
            w.writerow([section, f"rating_{k}", v])
    for week, held in results.held_by_week:
        w.writerow(["meetings_held_by_week", week.isoformat(), held])
    for section, maybe in (
        ("continuation", results.continuation),
        ("free_text", results.free_text),
    ):
        if maybe is None:
            w.writerow([section, "counts", suppressed])
        else:
            for key, value in maybe.items():
                w.writerow([section, key, value])
    return out.getvalue()


def _rating_sections(results: Results) -> list[tuple[str, Ratings]]:
    return [
        ("interim_relationship_rating", results.interim_relationship),
        ("final_usefulness_rating", results.final_usefulness),
        ("checkin_usefulness", results.checkin_usefulness),
        ("checkin_rapport", results.checkin_rapport),
    ]


def chat_summary(tx: Texts, results: Results) -> str:
    """The short summary HR gets for ``report`` in chat."""
    r = results
    return tx.t(
        "hr_report.summary",
        programme=r.programme,
        mentors=r.participants["mentors"],
        actors=r.participants["actors"],
        active=active_pairs(r),
        closed=r.pairs_by_phase.get("closed", 0),
        ended=r.pairs_by_phase.get("cancelled", 0),
        held=r.meetings["held"],
        missed=r.meetings["missed"],
        planned=r.meetings["planned"],
        tasks_done=r.tasks.get("done", 0),
        tasks_total=sum(r.tasks.values()),
        goals_achieved=r.goals.get("achieved", 0),
        goals_total=sum(r.goals.values()),
        interim=r.interim_relationship.average,
        final=r.final_usefulness.average,
        min_group=MIN_GROUP,
        alerts_raised=r.alerts.get("raised", 0),
        alerts_handled=r.alerts.get("handled", 0),
    )
