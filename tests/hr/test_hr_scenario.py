"""HR and supervisors through the console: the whole HR scenario, its key replies and what
it leaves in the database (the Slack and Teams replays compare against the same summary)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.script import parse, run
from bot import demo
from bot.app import console_session
from conversations.texts import strip_user_marks
from tests.hr.scenario import KEY_REPLIES, hr_summary, steps


def test_hr_and_supervisor_run_a_programme_in_chat_from_set_up_to_report(
    factory: sessionmaker[Session],
) -> None:
    demo.seed_people(factory, demo.DEMO_START, "en")
    lines: list[str] = []
    console = console_session(factory, demo.DEMO_START, out=lines.append)
    run(console, parse(steps(), "Europe/Helsinki"))
    transcript = strip_user_marks("\n".join(lines))
    for reply in KEY_REPLIES:
        assert reply in transcript, reply
    assert "something went wrong" not in transcript.lower()
    summary = hr_summary(factory)
    assert summary["pairs"] == [
        ("mikko@demo.example", "aino@demo.example", "closed", None),
        ("mikko@demo.example", "aino@demo.example", "start", None),  # the new round
        ("ville@demo.example", "emma@demo.example", "start", None),
        (
            "ville@demo.example",
            "leo@demo.example",
            "cancelled",
            "Leo moved to another unit and has no time for mentoring now.",
        ),
    ]
    assert [a[:3] for a in summary["announcements"]] == [
        ("mentors", 2, True),
        ("channel", 1, True),
    ]
    assert summary["delivered"][("announcement", "sent", "channel")] == 1
    assert summary["signups"] == [("mikko@demo.example", True)]
    assert summary["invitations"] == [("emma@demo.example", "new_employee", "yes")]
    handled = [a for a in summary["alerts"] if a[1]]
    assert ("no_meetings", True, "helena@demo.example") in handled
    assert summary["audit"]["announcement.send"] == 2 and summary["audit"]["pair.end"] == 1
    # HR acted on the disputed meeting and on the continuation request from the queue
    acted = [(kind, detail, note) for kind, detail, note in summary["queue"] if note]
    assert ("meeting_dispute", None, "recorded held") in acted
    assert ("continuation", "new_goals", "paired") in acted
    assert summary["audit"]["queue.close"] == 2 and summary["audit"]["pairs.list"] >= 3
