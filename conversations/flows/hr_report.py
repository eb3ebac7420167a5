"""``report`` for HR in chat: a short summary of a programme's results, and a signed link to
the full report that ``mentorbot serve`` shows in the browser for 15 minutes.

Both the summary and the link are audited (``report.view``); opening the link is audited
again by the web process (``report.open``). Without a public URL and a signing secret (the
console) the summary says where the full report comes from instead.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations.hr_admin import actor_label, audit
from conversations.messages import Button, Message
from conversations.registry import action, command
from conversations.report_link import LIFETIME, make_link
from conversations.results import chat_summary, programme_results
from conversations.roles import HR
from conversations.turn import Turn
from storage.models import Programme

MAX_BUTTONS = 10


@command("report", role=HR)
def report(turn: Turn, rest: str) -> None:
    all_programmes = list(turn.session.scalars(select(Programme).order_by(Programme.name)))
    chosen = [p for p in all_programmes if rest and p.name.lower() == rest.strip().lower()]
    if not chosen and len(all_programmes) == 1:
        chosen = all_programmes
    if not chosen:
        if not all_programmes:
            turn.refuse(turn.tx.t("hr.no_programmes"))
        turn.reply(
            Message()
            .text(turn.tx.t("hr.which_programme"))
            .buttons(
                *[
                    Button(action_id="hr.report", label=p.name, value=str(p.id))
                    for p in all_programmes[:MAX_BUTTONS]
                ]
            )
        )
        return
    _report(turn, chosen[0])


@action("hr.report", role=HR)
def report_button(turn: Turn, value: str) -> None:
    programme = turn.session.get(Programme, int(value)) if value.isdigit() else None
    if programme is None:
        turn.refuse(turn.tx.t("common.stale_button"))
    assert programme is not None
    _report(turn, programme)


def _report(turn: Turn, programme: Programme) -> None:
    results = programme_results(turn.session, programme, turn.now)
    link = None
    if turn.public_url and turn.report_secret:
        path = make_link(turn.report_secret, programme.id, turn.person.id, turn.now)
        link = f"{turn.public_url}{path}"
    audit(
        turn.session,
        turn.now,
        actor_label(turn.person),
        "report.view",
        None,
        programme=programme.name,
        link=link is not None,
    )
    tx = turn.tx
    summary = chat_summary(tx, results)
    if link is None:
        turn.say(summary + "\n" + tx.t("hr_report.no_link"))
        return
    minutes = int(LIFETIME.total_seconds() // 60)
    turn.say(summary + "\n" + tx.t("hr_report.link", url=link, count=minutes))
