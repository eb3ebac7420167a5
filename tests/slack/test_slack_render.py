"""Block Kit rendering: the whole message model, Slack's limits kept by splitting."""

from __future__ import annotations

from adapters.slack.render import (
    engine_action_id,
    modal_errors,
    modal_view,
    mrkdwn,
    render_message,
    view_values,
)
from conversations.messages import Attachment, Button, Form, Input, Message, Option
from conversations.texts import user_text


def _form(**extra: object) -> Form:
    return Form(
        form_id="checkin",
        title="Check-in: meeting 12 of a long relationship",
        value="42",
        submit_label="Save",
        inputs=[
            Input(
                name="held",
                label="Did the meeting happen?",
                kind="select",
                options=[Option(value="yes", label="Yes"), Option(value="no", label="No")],
            ),
            Input(name="usefulness", label="How useful?", kind="rating"),
            Input(
                name="note", label="Private note", kind="multiline", required=False, max_length=4000
            ),
            Input(name="date", label="Date", kind="date"),
            Input(name="time", label="Time", kind="time"),
            Input(name="task", label="Next task", kind="text", max_length=300),
        ],
        **extra,  # type: ignore[arg-type]
    )


def test_bold_italic_and_bullets_pass_through_and_control_characters_are_escaped() -> None:
    text = "*Goals* _soon_\n• one & two " + user_text("<!here> <https://evil|click>")
    assert mrkdwn(text) == (
        "*Goals* _soon_\n• one &amp; two &lt;!here&gt; &lt;https://evil|click&gt;"
    )


def test_long_text_is_split_into_sections_of_at_most_3000_characters() -> None:
    long = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    blocks = render_message(Message().text(long)).posts[0].blocks
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert "\n".join(b["text"]["text"] for b in blocks).count("line ") == 100


def test_more_than_25_buttons_are_split_into_actions_blocks_with_unique_ids() -> None:
    buttons = [Button(action_id="pick", label=f"Option {n}", value=str(n)) for n in range(30)]
    blocks = render_message(Message().buttons(*buttons)).posts[0].blocks
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    ids = [e["action_id"] for b in blocks for e in b["elements"]]
    assert len(set(ids)) == 30
    assert {engine_action_id(i) for i in ids} == {"pick"}


def test_button_label_is_clipped_and_style_kept() -> None:
    button = Button(action_id="x", label="L" * 200, style="danger")
    element = render_message(Message().buttons(button)).posts[0].blocks[0]["elements"][0]
    assert len(element["text"]["text"]) == 75
    assert element["style"] == "danger"


def test_more_than_ten_fields_are_split_into_sections() -> None:
    message = Message().fields([(f"Label {n}", f"value {n}") for n in range(15)])
    blocks = render_message(message).posts[0].blocks
    assert [len(b["fields"]) for b in blocks] == [10, 5]


def test_a_form_in_a_dm_is_an_open_button_and_a_modal_with_every_input_kind() -> None:
    form = _form(values={"held": "yes", "date": "2027-02-02", "time": "14:00", "task": "a<b"})
    blocks = render_message(Message().text("Time to check in").add(form)).posts[0].blocks
    assert blocks[-1]["elements"][0]["action_id"] == "mentorbot_open_form"
    view = modal_view(form, '{"form_id":"checkin","value":"42"}')
    assert view["type"] == "modal" and view["callback_id"] == "mentorbot_form"
    assert len(view["title"]["text"]) <= 24
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert elements["held"]["type"] == "static_select"
    assert elements["held"]["initial_option"]["value"] == "yes"
    assert [o["value"] for o in elements["usefulness"]["options"]] == ["1", "2", "3", "4", "5"]
    assert elements["note"]["multiline"] is True
    assert elements["note"]["max_length"] == 3000
    assert elements["date"] == {
        "type": "datepicker",
        "action_id": "date",
        "initial_date": "2027-02-02",
    }
    assert elements["time"]["initial_time"] == "14:00"
    assert elements["task"]["initial_value"] == "a<b"
    assert {b["block_id"]: b["optional"] for b in view["blocks"]}["note"] is True


def test_validation_errors_map_to_input_blocks() -> None:
    form = _form(errors={"date": "That date is in the past.", "unknown": "x"})
    assert modal_errors(form) == {"date": "That date is in the past."}


def test_submitted_state_values_become_the_engines_fields() -> None:
    state = {
        "held": {"held": {"type": "static_select", "selected_option": {"value": "yes"}}},
        "usefulness": {"usefulness": {"type": "static_select", "selected_option": None}},
        "note": {"note": {"type": "plain_text_input", "value": None}},
        "date": {"date": {"type": "datepicker", "selected_date": "2027-02-02"}},
        "time": {"time": {"type": "timepicker", "selected_time": "14:00"}},
        "task": {"task": {"type": "plain_text_input", "value": "Write it"}},
    }
    assert view_values(state) == {
        "held": "yes",
        "usefulness": "",
        "note": "",
        "date": "2027-02-02",
        "time": "14:00",
        "task": "Write it",
    }


def test_more_than_fifty_blocks_become_several_posts_and_files_are_kept_apart() -> None:
    message = Message()
    for n in range(60):
        message.text(f"{n}").divider()
    message.add(Attachment(filename="m.ics", mime_type="text/calendar", content="BEGIN:VCALENDAR"))
    rendered = render_message(message)
    assert [len(p.blocks) for p in rendered.posts] == [50, 50, 20]
    assert [f.filename for f in rendered.files] == ["m.ics"]
