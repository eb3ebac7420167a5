"""Handlers declared with the role that may run them, and the registry the engine runs them from.

A flow module marks its handlers with ``@command``, ``@action`` or ``@form``; the mark is
only an attribute on the function, so importing a module registers nothing anywhere. The
engine builds a ``Registry`` from the flow modules it is given and checks the declared role
before any handler runs: a handler cannot forget its guard, and a test can run an engine
with only some flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from conversations.roles import Role, may

if TYPE_CHECKING:
    from conversations.turn import Turn

ActionHandler = Callable[["Turn", str], None]
FormHandler = Callable[["Turn", str, dict[str, str]], None]
CommandHandler = Callable[["Turn", str], None]

F = TypeVar("F", bound=Callable[..., None])

_MARK = "__mentorbot_handles__"


class Kind(StrEnum):
    COMMAND = "command"
    ACTION = "action"
    FORM = "form"


@dataclass(frozen=True)
class Handler:
    """One declared handler: what it answers (kind and name), who may run it, and the function."""

    kind: Kind
    name: str
    role: Role
    fn: Callable[..., None]


def _declare(kind: Kind, name: str, role: Role) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        declared: list[tuple[Kind, str, Role]] = getattr(fn, _MARK, [])
        setattr(fn, _MARK, [*declared, (kind, name, role)])
        return fn

    return mark


def command(name: str, *, role: Role) -> Callable[[F], F]:
    """A text command by its canonical name (see ``conversations.commands``); gets the rest of
    the text."""
    return _declare(Kind.COMMAND, name, role)


def action(action_id: str, *, role: Role) -> Callable[[F], F]:
    """A button (``action_id``); gets the button's value."""
    return _declare(Kind.ACTION, action_id, role)


def form(form_id: str, *, role: Role) -> Callable[[F], F]:
    """A form submission; gets the form's value and the understood fields."""
    return _declare(Kind.FORM, form_id, role)


def declared_in(module: ModuleType) -> list[Handler]:
    """The handlers a flow module declares, in source order."""
    found: list[Handler] = []
    for value in vars(module).values():
        if callable(value) and getattr(value, "__module__", None) == module.__name__:
            for kind, name, role in getattr(value, _MARK, []):
                found.append(Handler(kind=kind, name=name, role=role, fn=value))
    return found


class Registry:
    """The handlers of a set of flow modules; a name declared twice is a programming error."""

    def __init__(self, modules: Iterable[ModuleType]) -> None:
        self._handlers: dict[tuple[Kind, str], Handler] = {}
        for module in modules:
            for handler in declared_in(module):
                key = (handler.kind, handler.name)
                if key in self._handlers:
                    raise ValueError(f"{handler.kind} {handler.name!r} is declared twice")
                self._handlers[key] = handler

    def all(self) -> list[Handler]:
        return list(self._handlers.values())

    def names(self, kind: Kind) -> list[str]:
        return sorted(name for k, name in self._handlers if k == kind)

    def find(self, kind: Kind, name: str) -> Handler | None:
        return self._handlers.get((kind, name))

    def run(self, turn: Turn, handler: Handler, *args: Any) -> None:
        """Run ``handler`` if the person holds its role; otherwise a refusal, nothing changed."""
        refusal = may(turn.session, turn.person, handler.role)
        if refusal is not None:
            turn.refuse(turn.tx.t(refusal))
        handler.fn(turn, *args)
