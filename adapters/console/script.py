"""Transcript scripts: a whole conversation as text, replayed without a terminal.

    # a comment
    time 2027-01-11 09:00          (local time of the console's timezone)
    time +14d                      (also +3h, +30m, +2w)
    as aino@example.com: status
    as aino@example.com: click Propose goals      (a button label, action id or number)
    as aino@example.com: submit goal1=Lead a team; success1=I run our weekly planning
    channel #mentoring             (someone adds Mentorbot to a shared channel)

In ``submit`` values, ``\\;`` is a literal semicolon and ``\\n`` a line break.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from adapters.console.session import ConsoleError
from conversations.clock import SettableClock


class ScriptError(Exception):
    def __init__(self, line_no: int, line: str, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}: {line.strip()}")
        self.line_no = line_no


@dataclass(frozen=True)
class Step:
    line_no: int
    line: str
    kind: str  # say | click | submit | advance | set_time | channel
    email: str = ""
    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    delta: timedelta | None = None
    when: datetime | None = None


_AS = re.compile(r"^as\s+([^\s:]+@[^\s:]+)\s*:\s*(.*)$", re.IGNORECASE)
_DELTA = re.compile(r"^\+(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_delta(value: str) -> timedelta | None:
    m = _DELTA.match(value.strip())
    return timedelta(**{_UNITS[m[2]]: int(m[1])}) if m else None


def parse_when(value: str, timezone: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return None


def parse_fields(text: str) -> tuple[tuple[str, str], ...] | None:
    parts = re.split(r"(?<!\\);", text)
    fields = []
    for part in parts:
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        if not eq or not name.strip():
            return None
        fields.append((name.strip(), value.strip().replace("\\;", ";").replace("\\n", "\n")))
    return tuple(fields)


def parse(lines: Iterable[str], timezone: str) -> list[Step]:
    """Parse a script; raise ``ScriptError`` with the line number of a malformed line."""
    steps = []
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("time "):
            arg = line[5:].strip()
            delta = parse_delta(arg)
            if delta is not None:
                steps.append(Step(no, line, "advance", delta=delta))
                continue
            when = parse_when(arg, timezone)
            if when is None:
                raise ScriptError(no, raw, "expected 'time +14d' or 'time YYYY-MM-DD HH:MM'")
            steps.append(Step(no, line, "set_time", when=when))
            continue
        if line.lower().startswith("channel "):
            steps.append(Step(no, line, "channel", text=line[8:].strip()))
            continue
        m = _AS.match(line)
        if not m:
            raise ScriptError(
                no, raw, "expected 'as EMAIL: …', 'time …', 'channel #name' or '# comment'"
            )
        email, rest = m[1], m[2].strip()
        if rest.lower().startswith("click "):
            steps.append(Step(no, line, "click", email=email, text=rest[6:].strip()))
        elif rest.lower().startswith("submit"):
            fields = parse_fields(rest[6:])
            if fields is None:
                raise ScriptError(no, raw, "expected 'submit field=value; field=value'")
            steps.append(Step(no, line, "submit", email=email, fields=fields))
        elif rest:
            steps.append(Step(no, line, "say", email=email, text=rest))
        else:
            raise ScriptError(no, raw, "nothing to say")
    return steps


class Driver(Protocol):
    """Whatever plays a scenario: the console, or a test driving Slack or Teams over HTTP.

    ``say``/``click``/``submit`` raise ``ConsoleError`` when a step cannot be carried out.
    """

    clock: SettableClock

    def out(self, line: str) -> None: ...
    def say(self, email: str, text: str) -> None: ...
    def click(self, email: str, target: str) -> None: ...
    def submit(self, email: str, answers: dict[str, str]) -> None: ...
    def advance(self, delta: timedelta) -> None: ...
    def join_channel(self, name: str) -> None: ...


def run(console: Driver, steps: list[Step], echo: bool = True) -> None:
    """Play the steps; a step that cannot be carried out raises ``ScriptError``."""
    for step in steps:
        if echo:
            console.out(f"\n» {step.line}")
        try:
            if step.kind == "advance":
                assert step.delta is not None
                console.advance(step.delta)
            elif step.kind == "set_time":
                assert step.when is not None
                if step.when < console.clock.now():
                    raise ScriptError(step.line_no, step.line, "time cannot move backwards")
                console.advance(step.when - console.clock.now())
            elif step.kind == "say":
                console.say(step.email, step.text)
            elif step.kind == "click":
                console.click(step.email, step.text)
            elif step.kind == "submit":
                console.submit(step.email, dict(step.fields))
            elif step.kind == "channel":
                console.join_channel(step.text)
        except ConsoleError as err:
            raise ScriptError(step.line_no, step.line, str(err)) from err
