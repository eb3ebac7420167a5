"""Rendering the message model as Adaptive Cards (schema 1.5).

Decisions, documented here once:

* The engine's light markdown becomes card markdown (``*bold*`` → ``**bold**``); spans of
  user-typed text are escaped so they render literally.
* Every button is an ``Action.Submit`` whose data carries ``mb_action`` and ``mb_value``; a
  form's one submit action carries ``mb_form`` and ``mb_value``, and Teams adds the input
  values (input ids are the form's field names).
* An attachment is offered as its link (``Action.OpenUrl``), because files in personal chat
  need a consent flow. Without a link a calendar file is explained (``schedule`` lists the
  meetings); any other small text file (the data export) is shown inline.
"""

from __future__ import annotations

import itertools
import json
import re
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
from conversations.texts import Texts, split_user_spans, strip_user_marks

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

ACTION_KEY = "mb_action"
FORM_KEY = "mb_form"
VALUE_KEY = "mb_value"
RESERVED_KEYS = frozenset({ACTION_KEY, FORM_KEY, VALUE_KEY, "msteams"})

INLINE_FILE_LIMIT = 20_000
MAX_CARD_SIZE = 60_000
"""Bytes of card JSON in UTF-16 per activity. Teams refuses a message over about 100 KB
(counted in UTF-16, with the activity around the card) with 413 ``MessageSizeTooBig`` and
advises staying within 80 KB; this leaves room for the activity envelope."""
_STYLES = {"primary": "positive", "danger": "destructive"}
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#>~|<&])")
_BULLET_START = re.compile(r"^(\s*)([-+])", re.MULTILINE)
_NUMBER_START = re.compile(r"^(\s*\d+)\.", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Make a person's text render literally in card markdown (no links, emphasis, lists)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", strip_user_marks(text))
    escaped = _BULLET_START.sub(r"\1\\\2", escaped)
    return _NUMBER_START.sub(r"\1\\.", escaped)


def markdown(text: str) -> str:
    """The engine's light markdown as card markdown; user-typed spans escaped."""
    out: list[str] = []
    for is_user, chunk in split_user_spans(text):
        out.append(escape_markdown(chunk) if is_user else _BOLD.sub(r"**\1**", chunk))
    return "".join(out)


_LIST_ITEM = re.compile(r"^\s*(?:[-+*]|\d+\.)\s")


def paragraphs(text: str) -> str:
    """Teams' card markdown joins lines split by one newline into one paragraph: the engine's
    line breaks become paragraph breaks, except between the items of a markdown list."""
    lines = text.split("\n")
    out = [lines[0]]
    for before, line in itertools.pairwise(lines):
        keep = not before or not line or (_LIST_ITEM.match(before) and _LIST_ITEM.match(line))
        out.append("\n" + line if keep else "\n\n" + line)
    return "".join(out)


def plain(text: str) -> str:
    """Text for places without markdown (labels, titles, choices)."""
    return strip_user_marks(text)


def text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def submit_action(button: Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": plain(button.label),
        "data": {ACTION_KEY: button.action_id, VALUE_KEY: button.value},
    }
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
    return action


def render_input(field: Input, form: Form) -> list[dict[str, Any]]:
    """One form field as an ``Input.*`` element (plus its validation error, if any)."""
    element: dict[str, Any] = {"id": field.name, "label": plain(field.label)}
    current = form.values.get(field.name)
    if field.kind in ("text", "multiline"):
        element["type"] = "Input.Text"
        element["isMultiline"] = field.kind == "multiline"
        if field.max_length:
            element["maxLength"] = field.max_length
        if field.hint:
            element["placeholder"] = plain(field.hint)
    elif field.kind in ("select", "rating"):
        choices = [_option(o.value, plain(o.label)) for o in field.options]
        if not choices and field.kind == "rating":
            choices = [_option(str(n), str(n)) for n in range(1, 6)]
        element["type"] = "Input.ChoiceSet"
        element["style"] = "expanded" if field.kind == "rating" else "compact"
        element["choices"] = choices
    elif field.kind == "date":
        element["type"] = "Input.Date"
    elif field.kind == "time":
        element["type"] = "Input.Time"
    if current:
        element["value"] = plain(current)
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = plain(form.errors.get(field.name, "")) or plain(field.label)
    elements = [element]
    if field.hint and field.kind not in ("text", "multiline"):
        hint = escape_markdown(field.hint)
        elements.append(text_block(hint, isSubtle=True, size="small", spacing="none"))
    if field.name in form.errors:
        elements.append(
            text_block(markdown(form.errors[field.name]), color="attention", spacing="none")
        )
    return elements


def _option(value: str, title: str) -> dict[str, Any]:
    return {"title": title, "value": value}


def render_form(form: Form) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [
        text_block(markdown(form.title), weight="bolder", separator=True, spacing="medium")
    ]
    for field in form.inputs:
        body.extend(render_input(field, form))
    body.append(
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.Submit",
                    "title": plain(form.submit_label),
                    "style": "positive",
                    "data": {FORM_KEY: form.form_id, VALUE_KEY: form.value},
                }
            ],
        }
    )
    return body


def render_attachment(block: Attachment, tx: Texts) -> list[dict[str, Any]]:
    if block.link:
        return [
            text_block(
                "📅 "
                + tx._(
                    "Your calendar feed: subscribe to it once in your calendar, and every "
                    "later change reaches it by itself."
                )
            ),
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.OpenUrl",
                        "title": tx._("Open the calendar feed"),
                        "url": block.link,
                    }
                ],
            },
        ]
    if block.mime_type == "text/calendar":
        return [
            text_block(
                markdown(
                    tx._(
                        "Files cannot be sent in this chat, so the calendar file is not "
                        "attached. Say *schedule* to see all your meetings."
                    )
                )
            )
        ]
    if len(block.content) <= INLINE_FILE_LIMIT:
        return [
            text_block(f"📎 {escape_markdown(block.filename)}", weight="bolder"),
            text_block(escape_markdown(block.content), fontType="monospace", size="small"),
        ]
    return [
        text_block(
            tx._("The file %(filename)s is too large to show here.", filename=block.filename)
        )
    ]


def block_body(block: object, tx: Texts) -> list[dict[str, Any]]:
    """One block of the message model as card body elements (kept together in one card)."""
    if isinstance(block, Text):
        return [text_block(paragraphs(markdown(block.text)))]
    if isinstance(block, Fields):
        # a fact is data (names, programme names, dates): never markup
        facts = [
            {"title": escape_markdown(f.label), "value": escape_markdown(f.value)}
            for f in block.fields
        ]
        return [{"type": "FactSet", "facts": facts}]
    if isinstance(block, Actions):
        return [{"type": "ActionSet", "actions": [submit_action(b) for b in block.buttons]}]
    if isinstance(block, Form):
        return render_form(block)
    if isinstance(block, Divider):
        return [{"type": "Container", "separator": True, "spacing": "medium", "items": []}]
    if isinstance(block, Attachment):
        return render_attachment(block, tx)
    return []


def card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }


def render(message: Message, tx: Texts) -> dict[str, Any]:
    """The whole message as one Adaptive Card (size unchecked: see ``render_cards``)."""
    return card([element for block in message.blocks for element in block_body(block, tx)])


def teams_size(content: Any) -> int:
    """How Teams counts a message's size: its JSON encoded as UTF-16."""
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-16-le"))


def render_cards(message: Message, tx: Texts, limit: int = MAX_CARD_SIZE) -> list[dict[str, Any]]:
    """The message as one card, or, when that would pass Teams' size limit, as several cards
    in order: blocks are never cut apart (a form stays with its submit button), except that
    a long text is split between paragraphs (e.g. ``reflections`` with many long entries)."""
    units: list[list[dict[str, Any]]] = []
    for block in message.blocks:
        body = block_body(block, tx)
        if isinstance(block, Text) and teams_size(card(body)) > limit:
            units.extend([text_block(piece)] for piece in split_markdown(body[0]["text"], limit))
        else:
            units.append(body)
    cards: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for unit in units:
        if current and teams_size(card(current + unit)) > limit:
            cards.append(card(current))
            current = []
        current = current + unit
    cards.append(card(current))
    return cards


def split_markdown(text: str, limit: int) -> list[str]:
    """Card markdown in pieces whose cards stay under ``limit``: between paragraphs, and a
    paragraph too long on its own between words."""
    budget = (limit - teams_size(card([text_block("")]))) // 2  # UTF-16: two bytes a unit
    pieces: list[str] = []
    current = ""
    for part in text.split("\n\n"):
        candidate = f"{current}\n\n{part}" if current else part
        if _units(candidate) <= budget:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        if _units(part) <= budget:
            current = part
        else:
            pieces.extend(_cut(part, budget))
    if current:
        pieces.append(current)
    return pieces


def _units(text: str) -> int:
    """UTF-16 code units of ``text`` as a JSON string (escapes included)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-16-le")) // 2


def _cut(text: str, budget: int) -> list[str]:
    """A paragraph longer than ``budget`` in pieces cut between words (a giant word hard)."""
    out: list[str] = []
    current = ""
    for word in re.split(r"(?<=\s)", text):
        while _units(word) > budget:
            if current:
                out.append(current)
                current = ""
            out.append(word[: budget // 3])
            word = word[budget // 3 :]
        if current and _units(current + word) > budget:
            out.append(current)
            current = ""
        current += word
    if current:
        out.append(current)
    return out


def card_attachment(message: Message, tx: Texts) -> dict[str, Any]:
    """The card as a Bot Framework activity attachment."""
    return {"contentType": CARD_CONTENT_TYPE, "content": render(message, tx)}


def card_attachments(message: Message, tx: Texts) -> list[dict[str, Any]]:
    """The message as activity attachments, one per activity, each under Teams' limit."""
    return [{"contentType": CARD_CONTENT_TYPE, "content": c} for c in render_cards(message, tx)]
