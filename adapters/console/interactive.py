"""The interactive console: type as a person, switch person, move time."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.script import parse_delta, parse_when
from adapters.console.session import ConsoleError, ConsoleSession
from conversations.messages import Form, Input
from conversations.texts import strip_user_marks

HELP = """Console commands (everything else is sent to Mentorbot as the current person):
  /as EMAIL        talk as someone else          /who     the people you can be
  /time +14d       move time (+3h, +30m, +2w)    /time 2027-03-01 10:00   set time
  /now             show the simulated time       /quit    leave
  /channel #name   add Mentorbot to a shared channel (for HR announcements)
  a number         press that button of the last message
When a form appears, answer its fields one by one (Enter keeps the shown value)."""


def run_interactive(
    console: ConsoleSession,
    email: str,
    people: Callable[[], list[tuple[str, str]]],
    timezone: str,
    read: Callable[[str], str] = input,
) -> None:
    console.out(HELP)
    current = email
    while True:
        try:
            line = read(f"\n[{current}] > ").strip()
        except (EOFError, KeyboardInterrupt):
            console.out("")
            return
        if not line:
            continue
        try:
            if line in ("/quit", "/exit"):
                return
            if line == "/help":
                console.out(HELP)
            elif line == "/who":
                for who_email, name in people():
                    console.out(f"  {who_email:40} {name}")
            elif line == "/now":
                console.out(console.clock.now().isoformat(timespec="minutes"))
            elif line.startswith("/channel "):
                console.join_channel(line[9:])
            elif line.startswith("/as "):
                current = line[4:].strip()
                console.say(current, "status")
            elif line.startswith("/time "):
                arg = line[6:].strip()
                delta = parse_delta(arg)
                when = parse_when(arg, timezone)
                if delta is not None:
                    console.advance(delta)
                elif when is not None and when >= console.clock.now():
                    console.advance(when - console.clock.now())
                else:
                    console.out("Use /time +14d or /time YYYY-MM-DD HH:MM (not in the past).")
            elif line.isdigit():
                before = _form_count(console, current)
                console.click(current, line)
                if _form_count(console, current) > before:
                    _fill_form(console, current, read)
            else:
                before = _form_count(console, current)
                console.say(current, line)
                if _form_count(console, current) > before:
                    _fill_form(console, current, read)
        except ConsoleError as err:
            console.out(f"  ({err})")


def _form_count(console: ConsoleSession, email: str) -> int:
    return sum(len(s.message.forms) for s in console.shown.get(email, []))


def _fill_form(console: ConsoleSession, email: str, read: Callable[[str], str]) -> None:
    while True:
        form = console.last_form(email)
        answers = {field.name: _ask(field, form, read) for field in form.inputs}
        before = _form_count(console, email)
        console.submit(email, answers)
        if _form_count(console, email) == before:
            return  # accepted: no form came back


def _ask(field: Input, form: Form, read: Callable[[str], str]) -> str:
    current = form.values.get(field.name, "")
    label = strip_user_marks(field.label)
    if field.options:
        choices = "  ".join(
            f"{i}) {strip_user_marks(o.label)}" for i, o in enumerate(field.options, 1)
        )
        answer = read(f"  {label}\n    {choices}\n    [{current}] > ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(field.options):
            return field.options[int(answer) - 1].value
        return answer or current
    if field.kind == "multiline":
        answer = read(f"  {label} (\\n for a new line) [{current}] > ")
        return answer.replace("\\n", "\n").strip() or current
    answer = read(f"  {label} [{current}] > ").strip()
    return answer or current
