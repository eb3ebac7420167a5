"""The report compares the early-warning rate of matched and hand-made pairs, only for groups
of at least five pairs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from conversations.results import programme_results, render_csv
from storage.db import transaction
from storage.matching import MatchProposal, ProposalStatus
from storage.models import Alert, Phase, Programme

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_matched_pairs_get_a_rate_and_a_small_hand_made_group_is_suppressed(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        admin.create_programme(session, NOW, "Spring", "", admin.ProgrammeFrame())
        programme = session.query(Programme).one()
        mentors = []
        for i in range(7):
            admin.add_person(session, NOW, f"m{i}@example.com", f"Mentor {i}", "en")
            admin.add_person(session, NOW, f"a{i}@example.com", f"Actor {i}", "en")
            mentors.append(
                admin.add_pair(session, NOW, "Spring", f"m{i}@example.com", f"a{i}@example.com")
            )
        for m in mentors[:5]:  # five made by matching, two by hand
            session.add(
                MatchProposal(
                    programme_id=programme.id,
                    mentor_id=m.mentor_id,
                    actor_id=m.actor_id,
                    status=ProposalStatus.ACCEPTED,
                    created_at=NOW,
                    mentorship_id=m.id,
                )
            )
        mentors[0].phase = Phase.CANCELLED  # ended early
        session.add(
            Alert(
                key="low_rapport:x",
                signal="low_rapport",
                severity="severe",
                programme_id=programme.id,
                mentorship_id=mentors[1].id,
                raised_at=NOW,
            )
        )
        session.add(
            Alert(
                key="no_meetings:x",
                signal="no_meetings",
                severity="digest",
                programme_id=programme.id,
                mentorship_id=mentors[2].id,
                raised_at=NOW,
            )
        )
    with factory() as session:
        programme = session.query(Programme).one()
        results = programme_results(session, programme, NOW)
    assert results.matching == {
        "matched_pairs": 5,
        "matched_early_warning_percent": 40.0,
        "hand_made_pairs": 2,
        "hand_made_early_warning_percent": "suppressed (< 5 pairs)",
    }
    assert "matching,matched_early_warning_percent,40.0" in render_csv(results)
