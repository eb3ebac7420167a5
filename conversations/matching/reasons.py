"""A suggestion's reasons and an unmatched person's rule, in plain words in the reader's
language: "both work in Finnish; Mikko offers leadership and planning, which Aino wants"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from babel import Locale
from babel.lists import format_list

from conversations.matching.model import Pair, Rule, Unmatched
from conversations.matching.score import WORKDAY_HOURS
from conversations.texts import Texts, first_name, user_text

UNMATCHED_KEYS = {
    Rule.SELF: "matching.out_self",
    Rule.SUPERVISOR_CHAIN: "matching.out_chain",
    Rule.LANGUAGE: "matching.out_language",
    Rule.DECLINED: "matching.out_declined",
    Rule.ENDED_EARLY: "matching.out_ended",
    Rule.AVOID_TEAM: "matching.out_team",
    Rule.AVOID_LINE: "matching.out_line",
    Rule.CAPACITY: "matching.out_capacity",
    Rule.NO_MENTORS: "matching.out_no_mentors",
}


def language_names(
    tx: Texts, codes: Iterable[str], style: Literal["standard", "or"] = "standard"
) -> str:
    names = Locale.parse(tx.locale).languages
    return str(format_list([names.get(c, c) for c in sorted(codes)], style=style, locale=tx.locale))


def words(tx: Texts, values: Iterable[str]) -> str:
    return str(format_list([user_text(v) for v in sorted(values)], locale=tx.locale))


def pair_reasons(tx: Texts, pair: Pair) -> str:
    """Why this pair fits, as one line of reasons joined with semicolons."""
    actor, mentor = pair.actor, pair.mentor
    common = actor.languages & mentor.languages
    out = [tx.t("matching.why_languages", languages=language_names(tx, common), n=len(common))]
    shared = actor.wants & mentor.offers
    if shared:
        out.append(
            tx.t(
                "matching.why_topics",
                mentor=user_text(first_name(mentor.name)),
                actor=user_text(first_name(actor.name)),
                topics=words(tx, shared),
            )
        )
    if actor.meeting_mode == mentor.meeting_mode and actor.meeting_mode != "either":
        out.append(tx.t(f"matching.why_mode_{actor.meeting_mode}"))
    days = len(actor.working_days & mentor.working_days)
    if days:
        out.append(tx.t("matching.why_days", days=days))
    hours = int(max(0.0, WORKDAY_HOURS - abs(actor.utc_offset - mentor.utc_offset)))
    if hours == WORKDAY_HOURS:
        out.append(tx.t("matching.why_same_hours"))
    elif hours:
        out.append(tx.t("matching.why_hours", n=hours))
    if pair.parts.get("cross_team"):
        out.append(tx.t("matching.why_cross_team"))
    return "; ".join(out)


def unmatched_reason(tx: Texts, unmatched: Unmatched) -> str:
    """The rule that kept a person out: "no mentor shares Swedish"."""
    key = UNMATCHED_KEYS[unmatched.rule]
    if unmatched.rule == Rule.LANGUAGE:
        return tx.t(key, languages=language_names(tx, unmatched.languages, style="or"))
    return tx.t(key)
