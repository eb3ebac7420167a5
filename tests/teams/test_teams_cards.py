"""Every block of the message model rendered as an Adaptive Card 1.5."""

from __future__ import annotations

import json
from typing import Any

from adapters.teams.cards import card_attachment, escape_markdown, markdown, render
from conversations.messages import Attachment, Button, Form, Input, Message, Option
from conversations.texts import Texts, user_text

TX = Texts("en")


def elements(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind:
                found.append(node)
            for key in ("body", "items", "actions"):
                for child in node.get(key, []):
                    walk(child)

    walk(card)
    return found


def test_teams_card_is_schema_1_5_adaptive_card_attachment() -> None:
    attachment = card_attachment(Message().text("Hi"), TX)

    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert card["body"] == [{"type": "TextBlock", "text": "Hi", "wrap": True}]


def test_teams_light_markdown_becomes_card_markdown() -> None:
    assert markdown("*Meeting 4 of 12* is _tomorrow_\n• one") == (
        "**Meeting 4 of 12** is _tomorrow_\n• one"
    )


def test_teams_user_typed_text_is_escaped_and_markers_removed() -> None:
    typed = "*boss* said [click](http://evil.example) <at>all</at> - ok_"
    text = markdown(f"Your goal: {user_text(typed)}")

    assert "\ue000" not in text and "\ue001" not in text
    assert "**" not in text
    assert "\\[click\\]\\(http://evil.example\\)" in text
    assert "\\*boss\\*" in text
    assert escape_markdown("a_b") == "a\\_b"


def test_teams_user_text_cannot_break_the_card_json() -> None:
    typed = '"}], "actions": [{"type": "Action.OpenUrl"'
    card = render(Message().text(user_text(typed)), TX)

    round_trip = json.loads(json.dumps(card))
    assert len(round_trip["body"]) == 1
    assert elements(round_trip, "Action.OpenUrl") == []


def test_teams_fields_become_a_factset() -> None:
    card = render(Message().fields([("Phase", "development"), ("Next", "Tue 19 Jan")]), TX)

    assert elements(card, "FactSet")[0]["facts"] == [
        {"title": "Phase", "value": "development"},
        {"title": "Next", "value": "Tue 19 Jan"},
    ]


def test_teams_buttons_are_submit_actions_carrying_action_id_and_value() -> None:
    message = Message().buttons(
        Button(action_id="agreement.accept", label="Accept", value="7", style="primary"),
        Button(action_id="agreement.cancel", label="Cancel", value="7", style="danger"),
        Button(action_id="help", label="Help"),
    )
    actions = elements(render(message, TX), "Action.Submit")

    assert [a["title"] for a in actions] == ["Accept", "Cancel", "Help"]
    assert actions[0]["data"] == {"mb_action": "agreement.accept", "mb_value": "7"}
    assert actions[0]["style"] == "positive"
    assert actions[1]["style"] == "destructive"
    assert "style" not in actions[2]


def form() -> Form:
    return Form(
        form_id="checkin.submit",
        title="Check-in",
        value="42",
        submit_label="Save",
        inputs=[
            Input(name="note", label="Note", kind="multiline", required=False, max_length=500),
            Input(name="task", label="Task", kind="text", max_length=200),
            Input(
                name="held",
                label="Held?",
                kind="select",
                options=[Option(value="yes", label="Yes"), Option(value="no", label="No")],
            ),
            Input(name="rapport", label="Rapport", kind="rating"),
            Input(name="date", label="Date", kind="date"),
            Input(name="time", label="Time", kind="time"),
        ],
        values={"task": user_text("Draft *agenda*"), "date": "2027-01-19"},
        errors={"time": "That time has already passed."},
    )


def test_teams_form_inputs_have_the_right_types_validation_and_kept_values() -> None:
    card = render(Message().add(form()), TX)
    by_id = {
        e["id"]: e
        for kind in ("Input.Text", "Input.ChoiceSet", "Input.Date", "Input.Time")
        for e in elements(card, kind)
    }

    assert by_id["note"]["isMultiline"] is True
    assert by_id["note"]["maxLength"] == 500
    assert "isRequired" not in by_id["note"]
    assert by_id["task"]["isRequired"] is True
    assert by_id["task"]["maxLength"] == 200
    assert by_id["task"]["value"] == "Draft *agenda*"
    assert by_id["held"]["style"] == "compact"
    assert by_id["held"]["choices"] == [
        {"title": "Yes", "value": "yes"},
        {"title": "No", "value": "no"},
    ]
    assert [c["value"] for c in by_id["rapport"]["choices"]] == ["1", "2", "3", "4", "5"]
    assert by_id["date"]["type"] == "Input.Date" and by_id["date"]["value"] == "2027-01-19"
    assert by_id["time"]["type"] == "Input.Time"
    assert by_id["time"]["errorMessage"] == "That time has already passed."


def test_teams_form_shows_errors_and_submits_form_id_and_value() -> None:
    card = render(Message().add(form()), TX)

    errors = [t for t in elements(card, "TextBlock") if t.get("color") == "attention"]
    assert [e["text"] for e in errors] == ["That time has already passed."]
    (submit,) = elements(card, "Action.Submit")
    assert submit["title"] == "Save"
    assert submit["data"] == {"mb_form": "checkin.submit", "mb_value": "42"}


def test_teams_calendar_attachment_is_offered_as_its_link() -> None:
    ics = Attachment(
        filename="mentoring-meetings.ics",
        mime_type="text/calendar",
        content="BEGIN:VCALENDAR",
        link="https://bot.example/calendar/abc.ics",
    )
    card = render(Message().add(ics), TX)

    (link,) = elements(card, "Action.OpenUrl")
    assert link["url"] == "https://bot.example/calendar/abc.ics"
    assert "BEGIN:VCALENDAR" not in json.dumps(card)


def test_teams_calendar_attachment_without_link_points_to_schedule() -> None:
    ics = Attachment(filename="m.ics", mime_type="text/calendar", content="BEGIN:VCALENDAR")
    card = render(Message().add(ics), TX)

    assert "**schedule**" in elements(card, "TextBlock")[0]["text"]
    assert "BEGIN:VCALENDAR" not in json.dumps(card)


def test_teams_small_text_file_without_link_is_shown_inline_escaped() -> None:
    export = Attachment(
        filename="my-data.json", mime_type="application/json", content='{"a": "*x*"}'
    )
    texts = [t["text"] for t in elements(render(Message().add(export), TX), "TextBlock")]

    assert texts[0] == "📎 my-data.json"
    assert texts[1] == '{"a": "\\*x\\*"}'


def test_teams_typed_list_markers_at_line_start_are_escaped() -> None:
    assert escape_markdown("- one\n2. two\nthree-four") == "\\- one\n2\\. two\nthree-four"
