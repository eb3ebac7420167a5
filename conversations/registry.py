"""Where flows register their handlers: text commands, button actions and form submissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conversations.turn import Turn

ActionHandler = Callable[["Turn", str], None]
FormHandler = Callable[["Turn", str, dict[str, str]], None]
CommandHandler = Callable[["Turn", str], None]

ACTIONS: dict[str, ActionHandler] = {}
FORMS: dict[str, FormHandler] = {}
COMMANDS: dict[str, CommandHandler] = {}


def action(action_id: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register the handler of a button (``action_id``); it receives the button's value."""

    def register(fn: ActionHandler) -> ActionHandler:
        ACTIONS[action_id] = fn
        return fn

    return register


def form(form_id: str) -> Callable[[FormHandler], FormHandler]:
    """Register the handler of a form submission; it receives the form's value and fields."""

    def register(fn: FormHandler) -> FormHandler:
        FORMS[form_id] = fn
        return fn

    return register


def command(name: str) -> Callable[[CommandHandler], CommandHandler]:
    """Register a text command by its canonical name (see ``conversations.commands``)."""

    def register(fn: CommandHandler) -> CommandHandler:
        COMMANDS[name] = fn
        return fn

    return register
