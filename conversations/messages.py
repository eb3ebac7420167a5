"""The engine's message model: what people do (``Inbound``) and what the bot says (``Message``).

A ``Message`` is a small tree of blocks with no platform markup; each adapter renders the
whole model (Slack Block Kit, Teams Adaptive Cards, console text). Messages round-trip
through JSON, so the outbox can store them and any process can deliver them later.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class InboundKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    ACTION = "action"
    FORM = "form"
    INSTALLED = "installed"


class Inbound(BaseModel):
    """One thing a person did on a platform."""

    model_config = ConfigDict(frozen=True)

    platform: str
    user: str
    kind: InboundKind
    received_at: datetime
    text: str = ""
    action_id: str = ""
    value: str = ""
    form: dict[str, str] = Field(default_factory=dict)
    event_id: str | None = None
    email: str | None = None
    display_name: str | None = None
    address: dict[str, Any] = Field(default_factory=dict)


class Text(BaseModel):
    """Light markdown: *bold*, _italic_, bullet lines. ``user_text`` marks text typed by people."""

    type: Literal["text"] = "text"
    text: str


class Field_(BaseModel):
    label: str
    value: str


class Fields(BaseModel):
    type: Literal["fields"] = "fields"
    fields: list[Field_]


ButtonStyle = Literal["default", "primary", "danger"]


class Button(BaseModel):
    action_id: str
    label: str
    value: str = ""
    style: ButtonStyle = "default"


class Actions(BaseModel):
    type: Literal["actions"] = "actions"
    buttons: list[Button]


InputKind = Literal["text", "multiline", "select", "rating", "date", "time"]


class Option(BaseModel):
    value: str
    label: str


class Input(BaseModel):
    name: str
    label: str
    kind: InputKind = "text"
    required: bool = True
    max_length: int | None = None
    options: list[Option] = Field(default_factory=list)
    hint: str | None = None


class Form(BaseModel):
    """A form; its submission arrives as ``Inbound(kind=form, action_id=form_id, value=value)``."""

    type: Literal["form"] = "form"
    form_id: str
    title: str
    value: str = ""
    inputs: list[Input]
    submit_label: str
    values: dict[str, str] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)


class Divider(BaseModel):
    type: Literal["divider"] = "divider"


class Attachment(BaseModel):
    type: Literal["attachment"] = "attachment"
    filename: str
    mime_type: str
    content: str
    link: str | None = None


Block = Annotated[
    Text | Fields | Actions | Form | Divider | Attachment, Field(discriminator="type")
]


class Message(BaseModel):
    """What the bot says to one person."""

    blocks: list[Block] = Field(default_factory=list)

    def text(self, text: str) -> Message:
        self.blocks.append(Text(text=text))
        return self

    def fields(self, pairs: list[tuple[str, str]]) -> Message:
        self.blocks.append(Fields(fields=[Field_(label=k, value=v) for k, v in pairs]))
        return self

    def buttons(self, *buttons: Button) -> Message:
        if buttons:
            self.blocks.append(Actions(buttons=list(buttons)))
        return self

    def divider(self) -> Message:
        self.blocks.append(Divider())
        return self

    def add(self, block: Block) -> Message:
        self.blocks.append(block)
        return self

    @property
    def forms(self) -> list[Form]:
        return [b for b in self.blocks if isinstance(b, Form)]

    @property
    def all_buttons(self) -> list[Button]:
        return [btn for b in self.blocks if isinstance(b, Actions) for btn in b.buttons]

    def plain_text(self) -> str:
        """Every human-readable string in the message: the notification fallback a platform
        shows where blocks cannot be (Slack's ``text``), and what tests read. It carries the
        message's content, so it is never logged."""
        parts: list[str] = []
        for b in self.blocks:
            if isinstance(b, Text):
                parts.append(b.text)
            elif isinstance(b, Fields):
                parts.extend(f"{f.label}: {f.value}" for f in b.fields)
            elif isinstance(b, Actions):
                parts.extend(btn.label for btn in b.buttons)
            elif isinstance(b, Form):
                parts.append(b.title)
                parts.extend(i.label for i in b.inputs)
                parts.extend(i.hint for i in b.inputs if i.hint)
                parts.extend(b.values.values())
                parts.extend(b.errors.values())
            elif isinstance(b, Attachment):
                parts.append(b.filename)
                parts.append(b.content)
        return "\n".join(parts)


class Outbound(BaseModel):
    """A message for one person; ``queued`` ones were written to the outbox by the engine.

    ``person_id`` is None only for a reply to someone the bot could not identify.
    """

    person_id: int | None
    message: Message
    queued: bool = False
