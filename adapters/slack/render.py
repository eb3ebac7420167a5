"""Rendering the engine's ``Message`` model as Slack Block Kit.

Everything here is a pure function of the message: no I/O. Slack's limits are respected by
splitting, never by failing: at most 50 blocks per message (a longer message becomes several
posts), 3,000 characters per section text (long texts become several sections), 10 fields per
section, 25 elements per actions block, 75 characters per button label.

Forms are shown in the DM as a short section with an "open" button (a modal needs the
``trigger_id`` of a click); :func:`modal_view` renders the form itself as a modal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conversations.messages import (
    Actions,
    Attachment,
    Button,
    Divider,
    Fields,
    Form,
    Input,
    Message,
    Text,
)
from conversations.texts import split_user_spans, strip_user_marks

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
MAX_MODAL_TITLE = 24
MAX_MODAL_BLOCKS = 100
MAX_LABEL = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_INPUT_LENGTH = 3000
MAX_PRIVATE_METADATA = 3000

ACTION_PREFIX = "mentorbot."
"""Every button of ours has an action id ``mentorbot.<n>.<engine action id>``."""
OPEN_FORM = "mentorbot_open_form"
"""The action id of the button that opens a form as a modal."""
FORM_CALLBACK = "mentorbot_form"
"""The ``callback_id`` of every modal of ours."""

_ACTION_ID = re.compile(r"^mentorbot\.\d+\.(.+)$", re.DOTALL)


def escape(text: str) -> str:
    """Escape Slack's control characters so text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Light markdown of the engine as Slack mrkdwn; every span is escaped, markers dropped.

    ``*bold*``, ``_italic_`` and "• " bullets mean the same in mrkdwn. Text typed by people
    (between the engine's user-text markers) and template text alike are escaped for ``&``,
    ``<`` and ``>``, so ``<!channel>`` or ``<@U123>`` typed by someone is shown literally.
    """
    return "".join(escape(chunk) for _is_user, chunk in split_user_spans(text))


def plain(text: str) -> str:
    """Text for ``plain_text`` objects: markers dropped (Slack does not interpret plain text)."""
    return strip_user_marks(text)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def namespaced(index: int, action_id: str) -> str:
    return f"{ACTION_PREFIX}{index}.{action_id}"


def engine_action_id(slack_action_id: str) -> str | None:
    """The engine's action id behind one of our Slack action ids; None if it is not ours."""
    m = _ACTION_ID.match(slack_action_id)
    return m[1] if m else None


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split text into chunks of at most ``limit`` characters, at line breaks where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _button(index: int, button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": namespaced(index, button.action_id),
        "text": {"type": "plain_text", "text": clip(plain(button.label), MAX_BUTTON_TEXT)},
    }
    if button.value:
        element["value"] = button.value[:MAX_BUTTON_VALUE]
    if button.style != "default":
        element["style"] = button.style
    return element


def form_reference(form: Form) -> str:
    """What the "open" button carries: which form (the form itself stays with the engine)."""
    return json.dumps({"form_id": form.form_id, "value": form.value}, separators=(",", ":"))


def form_button_blocks(form: Form) -> list[dict[str, Any]]:
    """A form shown in the DM: its title and a button that opens it as a modal."""
    label = plain(form.title) or plain(form.submit_label)
    return [
        _section(f"*{mrkdwn(form.title)}*"),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": OPEN_FORM,
                    "text": {"type": "plain_text", "text": clip(label, MAX_BUTTON_TEXT)},
                    "value": form_reference(form)[:MAX_BUTTON_VALUE],
                    "style": "primary",
                }
            ],
        },
    ]


def blocks_for(message: Message, *, with_forms: bool = True) -> list[dict[str, Any]]:
    """Every block of ``message`` as Block Kit blocks (attachments are uploaded, not blocks)."""
    out: list[dict[str, Any]] = []
    index = 0
    for block in message.blocks:
        if isinstance(block, Text):
            out.extend(_section(chunk) for chunk in split_text(mrkdwn(block.text)))
        elif isinstance(block, Fields):
            texts = [
                clip(f"*{mrkdwn(f.label)}*\n{mrkdwn(f.value)}", MAX_FIELD_TEXT)
                for f in block.fields
            ]
            for start in range(0, len(texts), MAX_FIELDS):
                out.append(
                    {
                        "type": "section",
                        "fields": [
                            {"type": "mrkdwn", "text": t} for t in texts[start : start + MAX_FIELDS]
                        ],
                    }
                )
        elif isinstance(block, Actions):
            elements = []
            for button in block.buttons:
                elements.append(_button(index, button))
                index += 1
            for start in range(0, len(elements), MAX_ACTIONS):
                out.append({"type": "actions", "elements": elements[start : start + MAX_ACTIONS]})
        elif isinstance(block, Divider):
            out.append({"type": "divider"})
        elif isinstance(block, Form) and with_forms:
            out.extend(form_button_blocks(block))
        elif isinstance(block, Attachment) and block.link:
            out.append(_section(f"<{escape(block.link)}|{escape(block.filename)}>"))
    return out


def fallback_text(message: Message) -> str:
    """The notification text of a post (shown where blocks cannot be); escaped like the
    blocks, because Slack reads it as mrkdwn too."""
    for block in message.blocks:
        if isinstance(block, Text) and block.text.strip():
            return clip(mrkdwn(block.text), MAX_FALLBACK_TEXT)
        if isinstance(block, Form):
            return clip(mrkdwn(block.title), MAX_FALLBACK_TEXT)
    return clip(mrkdwn(message.plain_text()), MAX_FALLBACK_TEXT) or " "


@dataclass
class Post:
    """One ``chat.postMessage``: at most 50 blocks."""

    text: str
    blocks: list[dict[str, Any]]


@dataclass
class Rendered:
    """A message ready for Slack: the posts in order and the files to upload after them."""

    posts: list[Post] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)


def render_message(message: Message, *, with_forms: bool = True) -> Rendered:
    """Render a whole message; more than 50 blocks become several posts."""
    blocks = blocks_for(message, with_forms=with_forms)
    text = fallback_text(message)
    posts = [
        Post(text=text, blocks=blocks[start : start + MAX_BLOCKS])
        for start in range(0, len(blocks), MAX_BLOCKS)
    ]
    files = [b for b in message.blocks if isinstance(b, Attachment)]
    return Rendered(posts=posts, files=files)


# --- forms as modals ---------------------------------------------------------------------


def _option(value: str, label: str) -> dict[str, Any]:
    return {
        "text": {"type": "plain_text", "text": clip(plain(label), MAX_OPTION_TEXT) or value},
        "value": value[:MAX_OPTION_VALUE],
    }


def _element(field_: Input, current: str) -> dict[str, Any]:
    action_id = field_.name
    if field_.kind in ("select", "rating"):
        options = [(o.value, o.label) for o in field_.options] or [
            (str(n), str(n)) for n in range(1, 6)
        ]
        element: dict[str, Any] = {
            "type": "static_select",
            "action_id": action_id,
            "options": [_option(v, label) for v, label in options[:MAX_OPTIONS]],
        }
        chosen = [o for o in element["options"] if o["value"] == current]
        if chosen:
            element["initial_option"] = chosen[0]
        return element
    if field_.kind == "date":
        element = {"type": "datepicker", "action_id": action_id}
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", current):
            element["initial_date"] = current
        return element
    if field_.kind == "time":
        element = {"type": "timepicker", "action_id": action_id}
        if re.fullmatch(r"\d{2}:\d{2}", current):
            element["initial_time"] = current
        return element
    element = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": field_.kind == "multiline",
        "max_length": min(field_.max_length or MAX_INPUT_LENGTH, MAX_INPUT_LENGTH),
    }
    if current:
        element["initial_value"] = plain(current)[:MAX_INPUT_LENGTH]
    return element


def modal_view(form: Form, private_metadata: str) -> dict[str, Any]:
    """The form as a modal; each input's ``block_id`` is the field name (for errors)."""
    blocks: list[dict[str, Any]] = []
    for field_ in form.inputs:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field_.name,
            "label": {"type": "plain_text", "text": clip(plain(field_.label), MAX_LABEL)},
            "element": _element(field_, form.values.get(field_.name, "")),
            "optional": not field_.required,
        }
        hint = form.errors.get(field_.name) or field_.hint  # a reopened form shows its errors
        if hint:
            block["hint"] = {"type": "plain_text", "text": clip(plain(hint), MAX_LABEL)}
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": private_metadata[:MAX_PRIVATE_METADATA],
        "title": {"type": "plain_text", "text": clip(plain(form.title), MAX_MODAL_TITLE)},
        "submit": {
            "type": "plain_text",
            "text": clip(plain(form.submit_label), MAX_MODAL_TITLE),
        },
        "blocks": blocks[:MAX_MODAL_BLOCKS],
    }


def modal_errors(form: Form) -> dict[str, str]:
    """``response_action: errors`` content: field name (= block id) → plain error text."""
    names = {i.name for i in form.inputs}
    return {name: plain(error) for name, error in form.errors.items() if name in names}


def view_values(state_values: dict[str, Any]) -> dict[str, str]:
    """A ``view_submission``'s ``view.state.values`` as the engine's {field: value}."""
    out: dict[str, str] = {}
    for block_id, actions in state_values.items():
        for element in actions.values():
            kind = element.get("type")
            if kind == "static_select":
                chosen = element.get("selected_option") or {}
                value = chosen.get("value") or ""
            elif kind == "datepicker":
                value = element.get("selected_date") or ""
            elif kind == "timepicker":
                value = element.get("selected_time") or ""
            elif kind == "radio_buttons":
                value = (element.get("selected_option") or {}).get("value") or ""
            else:
                value = element.get("value") or ""
            out[block_id] = value
    return out
