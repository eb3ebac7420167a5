"""Rendering the message model as terminal text."""

from __future__ import annotations

from conversations.messages import Actions, Attachment, Divider, Fields, Form, Message, Text
from conversations.texts import strip_user_marks


def render(message: Message, numbering_start: int = 1, ask_forms: bool = False) -> str:
    """Render every block; buttons are numbered from ``numbering_start``.

    With ``ask_forms`` (the interactive console) a form shows only its title: its fields
    are asked one by one right after, so listing them for a ``submit`` line would only
    repeat them.
    """
    lines: list[str] = []
    number = numbering_start
    previous: object = None
    for block in message.blocks:
        if isinstance(block, Text):
            if lines and isinstance(previous, Text):
                lines.append("")
            lines.append(strip_user_marks(block.text))
        elif isinstance(block, Fields):
            width = max(len(strip_user_marks(f.label)) for f in block.fields)
            lines.extend(
                f"  {strip_user_marks(f.label).ljust(width)}  {strip_user_marks(f.value)}"
                for f in block.fields
            )
        elif isinstance(block, Actions):
            labels = []
            for button in block.buttons:
                labels.append(f"[{number}] {strip_user_marks(button.label)}")
                number += 1
            lines.append("  " + "   ".join(labels))
        elif isinstance(block, Form):
            lines.append(
                f"  📝 {strip_user_marks(block.title)}" if ask_forms else render_form(block)
            )
        elif isinstance(block, Divider):
            lines.append("  " + "─" * 40)
        elif isinstance(block, Attachment):
            size = len(block.content.encode("utf-8"))
            lines.append(f"  📎 {block.filename} ({block.mime_type}, {size} bytes)")
            if block.link:
                lines.append(f"     {block.link}")
        previous = block
    return "\n".join(lines)


def render_form(form: Form) -> str:
    lines = [f"  📝 {form.title} — answer with: submit field=value; field=value"]
    for field in form.inputs:
        flags: list[str] = [field.kind]
        if not field.required:
            flags.append("optional")
        if field.options:
            flags.append("/".join(o.value for o in field.options))
        current = form.values.get(field.name)
        shown = f" = {strip_user_marks(current)!r}" if current else ""
        lines.append(
            f"     {field.name}: {strip_user_marks(field.label)} ({', '.join(flags)}){shown}"
        )
        if field.name in form.errors:
            lines.append(f"       ⚠ {strip_user_marks(form.errors[field.name])}")
        elif field.hint:
            lines.append(f"       ℹ {strip_user_marks(field.hint)}")
    lines.append(f"     → {form.submit_label}")
    return "\n".join(lines)
