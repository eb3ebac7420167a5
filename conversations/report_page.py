"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no scripts.

The same page is written by ``mentorbot report --html`` and served behind HR's signed link.
Colours carry meaning as HR reads them: green is good (held, done, achieved, completed), amber
asks for a look (missed, overdue, not achieved), grey is neutral (ended early, dropped,
cancelled), blue is what is still ahead. Charts scale to their box, so nothing is cut at A4.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from html import escape
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from conversations.release import MIN_GROUP
from conversations.report_pairs import PairRow
from conversations.results import Results, active_pairs
from conversations.texts import Texts, translations

GOOD, FAIR, AHEAD, WARN, BAD, NEUTRAL = (
    "#2e7d4f",
    "#7fb77e",
    "#3b7bb0",
    "#d98b2b",
    "#c0392b",
    "#9aa5b1",
)
PHASE_COLOURS = {
    "start": AHEAD,
    "development": AHEAD,
    "closing": AHEAD,
    "closed": GOOD,
    "cancelled": NEUTRAL,
}
GOAL_COLOURS = {
    "proposed": AHEAD,
    "agreed": AHEAD,
    "achieved": GOOD,
    "partly": FAIR,
    "not_achieved": WARN,
    "dropped": NEUTRAL,
    "evaluated_pending": NEUTRAL,
}
RATING_COLOURS = {1: BAD, 2: WARN, 3: NEUTRAL, 4: FAIR, 5: GOOD}


def bar_chart(title: str, items: list[tuple[str, int | float, str]], width: int = 460) -> Markup:
    """Horizontal bars as inline SVG: ``(label, value, colour)``; the title is for screen
    readers only (the section's heading is the visible one), labels are escaped."""
    bar_h, gap, top = 22, 8, 6
    label_w = min(240, 16 + 7 * max((len(label) for label, _v, _c in items), default=4))
    height = top + len(items) * (bar_h + gap)
    peak = max((v for _l, v, _c in items), default=0) or 1
    span = width - label_w - 48
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'style="max-width: {round(width * 1.15)}px">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, colour) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(2.0, span * value / peak) if value else 0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="cl">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="cv">{escape(str(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline_chart(title: str, weeks: list[tuple[str, int]]) -> Markup:
    """Vertical bars, one per week (label, meetings held); every label when they fit."""
    col, left, top, bottom = 24, 28, 10, 34
    width = max(360, left + col * len(weeks) + 8)
    plot_h = 120
    height = top + plot_h + bottom
    peak = max((n for _w, n in weeks), default=0) or 1
    every = max(1, len(weeks) // 13 + (1 if len(weeks) % 13 else 0))
    parts = [
        f'<svg class="chart timeline" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'style="max-width: {round(width * 1.5)}px">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" '
        'stroke="#cbd2d9"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="cv">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="cv">0</text>',
    ]
    for i, (label, n) in enumerate(weeks):
        x = left + i * col + 3
        h = plot_h * n / peak
        if n:
            parts.append(
                f'<rect x="{x}" y="{top + plot_h - h:.1f}" width="{col - 6}" height="{h:.1f}" '
                f'rx="2" fill="{GOOD}"><title>{escape(label)}: {n}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + (col - 6) / 2}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'class="cl small">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def short_date(tx: Texts, value: datetime | date | None) -> str:
    if value is None:
        return "—"
    day = value.astimezone(tx.tz).date() if isinstance(value, datetime) else value
    return str(format_date(day, "d.M.yyyy" if tx.locale == "fi" else "d MMM yyyy", tx.locale))


def phase_labels(tx: Texts) -> dict[str, str]:
    _ = tx._
    return {
        "start": _("getting started"),
        "development": _("development"),
        "closing": _("closing"),
        "closed": _("closed"),
        "cancelled": _("ended early"),
    }


def _pair_cells(tx: Texts, row: PairRow) -> dict[str, Any]:
    """One table row as display strings, with a meaning class per cell."""
    _ = tx._
    evaluation = {
        "done": (_("both answered"), "good"),
        "partly": (_("1 of 2"), "ahead"),
        "due": (_("due"), "warn"),
        "not_due": ("—", ""),
    }
    return {
        "mentor": row.mentor,
        "actor": row.actor,
        "phase": phase_labels(tx)[row.phase],
        "phase_class": {"closed": "good", "cancelled": "neutral"}.get(row.phase, "ahead"),
        "week": _("week %(n)s", n=row.week) if row.week else "",
        "meetings": _("%(held)s of %(planned)s", held=row.held, planned=row.planned),
        "overdue": tx.ngettext("%(num)s not recorded", "%(num)s not recorded", row.overdue)
        if row.overdue
        else "",
        "last": short_date(tx, row.last_held),
        "next": short_date(tx, row.next_meeting),
        "tasks": f"{row.tasks_open} / {row.tasks_done}",
        "interim": evaluation[row.interim],
        "final": evaluation[row.final],
        "alerts": str(row.open_alerts) if row.open_alerts else "—",
        "new_round": _("new round asked") if row.new_round else "—",
        "attention": row.needs_attention,
    }


def render_html(
    results: Results,
    locale: str = "en",
    timezone: str = "Europe/Helsinki",
    pairs: list[PairRow] | None = None,
    prepared_for: str | None = None,
) -> str:
    """The report as one self-contained HTML page (``pairs``: the per-pair table)."""
    tx = Texts(locale, timezone)
    _ = tx._
    goal_labels = {
        "proposed": _("proposed"),
        "agreed": _("agreed"),
        "achieved": _("achieved"),
        "partly": _("partly"),
        "not_achieved": _("not achieved"),
        "dropped": _("dropped"),
        "evaluated_pending": _("judged, not yet released"),
    }
    plan_labels = {
        "continue_informally": _("continue informally"),
        "new_goals": _("new goals"),
        "close": _("close"),
    }
    p, m, t = results.participants, results.meetings, results.tasks
    charts = {
        "participants": bar_chart(
            _("Participants by role"),
            [(_("Mentors"), p["mentors"], AHEAD), (_("Actors"), p["actors"], AHEAD)],
        ),
        "phases": bar_chart(
            _("Pairs by phase"),
            [(phase_labels(tx)[k], v, PHASE_COLOURS[k]) for k, v in results.pairs_by_phase.items()],
        ),
        "meetings": bar_chart(
            _("Meetings"),
            [
                (_("held"), m["held"], GOOD),
                (_("missed"), m["missed"], WARN),
                (_("past, not recorded"), m["overdue_unrecorded"], WARN),
                (_("still ahead"), m["planned"] - m["overdue_unrecorded"], AHEAD),
                (_("cancelled"), m["cancelled"], NEUTRAL),
            ],
        ),
        "tasks": bar_chart(
            _("Intermediate tasks"),
            [
                (_("done"), t.get("done", 0), GOOD),
                (_("open"), t.get("open", 0), AHEAD),
                (_("dropped"), t.get("dropped", 0), NEUTRAL),
            ],
        ),
        "goals": bar_chart(
            _("Goals by status"),
            [
                (goal_labels.get(k, k), v, GOAL_COLOURS.get(k, NEUTRAL))
                for k, v in results.goals.items()
            ],
        ),
    }
    week_word = "vk" if tx.locale == "fi" else "W"
    timeline = (
        timeline_chart(
            _("Meetings held per week"),
            [(f"{week_word}{d.isocalendar()[1]}", n) for d, n in results.held_by_week],
        )
        if results.held_by_week
        else None
    )
    ratings = []
    for label, r in (
        (_("Interim evaluation: the relationship"), results.interim_relationship),
        (_("Final evaluation: usefulness"), results.final_usefulness),
        (_("Check-ins: usefulness of meetings"), results.checkin_usefulness),
        (_("Check-ins: rapport"), results.checkin_rapport),
    ):
        chart = (
            bar_chart(
                label,
                [(str(k), v, RATING_COLOURS[k]) for k, v in r.distribution.items()],
                width=360,
            )
            if r.distribution is not None
            else None
        )
        ratings.append({"label": label, "r": r, "chart": chart})
    continuation_chart = (
        bar_chart(
            _("Continuation plans"),
            [(plan_labels.get(k, k), v, AHEAD) for k, v in results.continuation.items()],
        )
        if results.continuation
        else None
    )
    return (
        environment(tx.locale)
        .get_template("report.html")
        .render(
            r=results,
            generated=tx.datetime(results.generated_at),
            prepared_for=prepared_for,
            charts=charts,
            timeline=timeline,
            ratings=ratings,
            continuation_chart=continuation_chart,
            pairs=[_pair_cells(tx, row) for row in pairs] if pairs is not None else None,
            min_group=MIN_GROUP,
            active=active_pairs(results),
            people=p.get("people", p["mentors"] + p["actors"]),
            locale=tx.locale,
        )
    )


def render_refusal(reason: str, locale: str = "en") -> str:
    """The friendly page for a report link that cannot be opened (``reason``: ``invalid``,
    ``expired``, ``not_hr`` or ``gone``)."""
    return (
        environment(Texts(locale).locale)
        .get_template("report_refused.html")
        .render(reason=reason, locale=Texts(locale).locale)
    )


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("conversations", "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True  # as ``make extract`` reads the templates
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env
