"""Everything stored about one person, as plain data (the "export my data" right).

Complete means every row that is about the person: their own content, the messages the bot
sent them (as long as the outbox still holds the text), their open form drafts, the audit
entries about them or by them, the alerts on their pairs, their calendar feed links (when
issued and revoked; the secret itself is stored only as a hash) and each pair's end reason.
Nothing of a partner's private content: their notes, reflections and evaluations stay theirs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.matching import export_matching
from storage.models import (
    Alert,
    Announcement,
    AuditLog,
    CalendarFeed,
    CheckIn,
    DialogueState,
    Evaluation,
    Invitation,
    Outbox,
    Person,
    Reflection,
    Task,
    Workshop,
    WorkshopSignup,
)
from storage.queries import mentorships_of, partner, tasks


def person_data(session: Session, person: Person) -> dict[str, Any]:
    """The person's profile, identities, mentorships and their own content only."""
    own_checkins = session.scalars(select(CheckIn).where(CheckIn.person_id == person.id))
    own_reflections = session.scalars(select(Reflection).where(Reflection.person_id == person.id))
    own_evaluations = session.scalars(select(Evaluation).where(Evaluation.person_id == person.id))
    mentorships = []
    pairs = list(mentorships_of(session, person))
    for m in pairs:
        mentorships.append(
            {
                "id": m.id,
                "programme": m.programme.name,
                "role": "mentor" if m.mentor_id == person.id else "actor",
                "partner": partner(m, person).name,
                "phase": m.phase,
                "created_at": m.created_at,
                "started_at": m.started_at,
                "planned_end": m.planned_end,
                "closed_at": m.closed_at,
                "end_reason": m.end_reason,
                "agreement": {
                    "duration_months": m.agreement.duration_months,
                    "meeting_interval_days": m.agreement.meeting_interval_days,
                    "share_goals_with_supervisor": m.agreement.share_goals_with_supervisor,
                    "accepted_by_me_at": m.agreement.mentor_accepted_at
                    if m.mentor_id == person.id
                    else m.agreement.actor_accepted_at,
                    "mentor_comment": m.agreement.mentor_comment,  # written to the actor
                },
                "goals": [
                    {
                        "id": g.id,
                        "parent_id": g.parent_id,
                        "title": g.title,
                        "success": g.success,
                        "status": g.status,
                    }
                    for g in m.goals
                ],
                "meetings": [
                    {"seq": x.seq, "scheduled_at": x.scheduled_at, "status": x.status}
                    for x in m.meetings
                ],
                "tasks": [_task(t) for t in tasks(session, m)],
            }
        )
    return {
        "person": {
            "name": person.name,
            "email": person.email,
            "locale": person.locale,
            "timezone": person.timezone,
            "supervisor": person.supervisor.name if person.supervisor else None,
            "hr": person.is_hr,
            "employment_start": person.employment_start,
            "returning_from_leave": person.returning_from_leave,
            "onboarded_at": person.onboarded_at,
        },
        "identities": [
            {
                "platform": i.platform,
                "user_id": i.platform_user_id,
                "last_seen_at": i.last_seen_at,
                "address": i.address,
            }
            for i in person.identities
        ],
        "mentorships": mentorships,
        "check_ins": [
            {
                "meeting_id": c.meeting_id,
                "held": c.held,
                "usefulness": c.usefulness,
                "rapport": c.rapport,
                "note": c.note,
                "note_shared_at": c.note_shared_at,
                "created_at": c.created_at,
            }
            for c in own_checkins
        ],
        "reflections": [
            {
                "mentorship_id": r.mentorship_id,
                "prompt": r.prompt_key,
                "text": r.text,
                "shared_at": r.shared_at,
                "created_at": r.created_at,
            }
            for r in own_reflections
        ],
        "invitation": [
            {"reason": i.reason, "invited_at": i.invited_at, "answer": i.answer}
            for i in session.scalars(select(Invitation).where(Invitation.person_id == person.id))
        ],
        "workshop_places": [
            {
                "workshop": w.title,
                "starts_at": w.starts_at,
                "signed_up_at": s.signed_up_at,
                "cancelled_at": s.cancelled_at,
            }
            for s, w in session.execute(
                select(WorkshopSignup, Workshop)
                .join(Workshop, Workshop.id == WorkshopSignup.workshop_id)
                .where(WorkshopSignup.person_id == person.id)
            )
        ],
        "evaluations": [
            {
                "mentorship_id": e.mentorship_id,
                "kind": e.kind,
                "goal_ratings": e.goal_ratings,
                "relationship": e.relationship_rating,
                "cadence": e.cadence,
                "goals_realistic": e.goals_realistic,
                "final_discussion_held": e.final_discussion_held,
                "continuation": e.continuation,
                "text": e.text,
                "created_at": e.created_at,
            }
            for e in own_evaluations
        ],
        **_related(session, person, [m.id for m in pairs]),
        **export_matching(session, person.id),
    }


def _related(session: Session, person: Person, mentorship_ids: list[int]) -> dict[str, Any]:
    """The rows about the person outside their own content."""
    email = (person.email or "").lower()
    audit = select(AuditLog).where(
        (AuditLog.subject_person_id == person.id) | (func.lower(AuditLog.actor) == email)
    )
    return {
        "drafts": [
            {"form": d.flow, "data": d.data, "updated_at": d.updated_at}
            for d in session.scalars(
                select(DialogueState).where(DialogueState.person_id == person.id)
            )
        ],
        "messages_to_me": [
            {
                "kind": o.kind,
                "status": o.status,
                "created_at": o.created_at,
                "sent_at": o.sent_at,
                "message": o.payload or None,
                "last_error": o.last_error,
            }
            for o in session.scalars(
                select(Outbox).where(Outbox.person_id == person.id).order_by(Outbox.id)
            )
        ],
        "audit_log": [
            {
                "at": a.at,
                "actor": a.actor,
                "action": a.action,
                "about_me": a.subject_person_id == person.id,
                "detail": a.detail,
            }
            for a in session.scalars(audit.order_by(AuditLog.id))
        ],
        "alerts_on_my_pairs": [
            {
                "mentorship_id": a.mentorship_id,
                "signal": a.signal,
                "severity": a.severity,
                "raised_at": a.raised_at,
                "handled_at": a.handled_at,
                "handled_by": a.handled_by,
            }
            for a in session.scalars(
                select(Alert).where(Alert.mentorship_id.in_(mentorship_ids)).order_by(Alert.id)
            )
        ],
        "calendar_feeds": [
            {"created_at": f.created_at, "revoked_at": f.revoked_at}
            for f in session.scalars(
                select(CalendarFeed).where(CalendarFeed.person_id == person.id)
            )
        ],
        "announcements_written": [
            {"text": a.text, "audience": a.audience, "created_at": a.created_at}
            for a in session.scalars(
                select(Announcement).where(Announcement.author_id == person.id)
            )
        ],
    }


def _task(t: Task) -> dict[str, Any]:
    return {"text": t.text, "status": t.status, "due_at": t.due_at, "done_at": t.done_at}
