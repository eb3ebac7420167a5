"""Learning from results: do matched pairs run into trouble less often than hand-made ones?

The early-warning rate of a group is the share of its pairs with a low-rapport alert or an
early end. A rate is shown only for a group of at least ``MIN_GROUP`` pairs (privacy rule 3:
a small group's rate could point at one pair); below that it says it is suppressed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.release import MIN_GROUP
from storage.matching import MatchProposal, ProposalStatus
from storage.models import Alert, Mentorship, Phase, Programme

WARNING_SIGNALS = ("low_rapport",)
SUPPRESSED = f"suppressed (< {MIN_GROUP} pairs)"


def matching_outcomes(session: Session, programme: Programme) -> dict[str, int | float | str]:
    """Pairs made by matching against pairs made by hand: counts, and each group's
    early-warning rate (percent) when the group has at least ``MIN_GROUP`` pairs."""
    pairs = dict(
        session.execute(
            select(Mentorship.id, Mentorship.phase).where(Mentorship.programme_id == programme.id)
        ).all()
    )
    matched = set(
        session.scalars(
            select(MatchProposal.mentorship_id).where(
                MatchProposal.programme_id == programme.id,
                MatchProposal.status == ProposalStatus.ACCEPTED,
                MatchProposal.mentorship_id.is_not(None),
            )
        )
    )
    alerted = set(
        session.scalars(
            select(Alert.mentorship_id).where(
                Alert.programme_id == programme.id, Alert.signal.in_(WARNING_SIGNALS)
            )
        )
    )
    warned = {m for m, phase in pairs.items() if phase == Phase.CANCELLED or m in alerted}
    out: dict[str, int | float | str] = {}
    for name, group in (
        ("matched", {m for m in pairs if m in matched}),
        ("hand_made", {m for m in pairs if m not in matched}),
    ):
        out[f"{name}_pairs"] = len(group)
        out[f"{name}_early_warning_percent"] = (
            round(100 * len(group & warned) / len(group), 1)
            if len(group) >= MIN_GROUP
            else SUPPRESSED
        )
    return out
