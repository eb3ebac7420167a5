"""The interactive console: type as a person, switch person, move time.

A form is asked field by field as soon as one is shown to the person typing, whatever else
was said before: the console follows the form it showed (``ConsoleSession.form_shown_since``),
not a count of messages. ``/cancel`` leaves a form, ``/quit`` (or Ctrl-C, Ctrl-D) leaves the
console, at any prompt.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.script import parse_delta, parse_when
from adapters.console.session import ConsoleError, ConsoleSession
from conversations import directory, forms
from conversations.messages import Form, Input
from conversations.texts import Texts, strip_user_marks

HELP = """Console commands (everything else is sent to Mentorbot as the current person):
  /as EMAIL        talk as someone else          /who     the people you can be
  /time +14d       move time (+3h, +30m, +2w)    /time 2027-03-01 10:00   set time
  /now             show the simulated time       /quit    leave (Ctrl-D and Ctrl-C too)
  /channel #name   add Mentorbot to a shared channel (for HR announcements)
  a number         press that button: buttons are numbered on from [1] in what arrived
                   since you last typed, so each number names one button
When a form appears, answer its fields one by one: Enter keeps the value in [brackets],
/cancel leaves the form (nothing is saved), /quit ends the console."""

QUIT = ("/quit", "/exit", "/lopeta")
CANCEL = ("/cancel", "/peruuta", "/keskeytä")


class _Cancel(Exception):
    """The person left the form."""


class _Quit(Exception):
    """The person left the console."""


Reader = Callable[[str], str]


def run_interactive(
    console: ConsoleSession,
    email: str,
    people: Callable[[], list[tuple[str, str]]],
    timezone: str,
    read: Reader = input,
) -> None:
    """Read lines until /quit, Ctrl-D or Ctrl-C; none of them ends with a traceback."""
    console.out(HELP)
    console.ask_forms = True
    current = email
    try:
        begin(console, current)
        while True:
            line = read(f"\n[{current}] > ").strip()
            if not line:
                continue
            if line.casefold() in QUIT:
                break
            try:
                current = _step(console, current, line, people, timezone, read)
            except ConsoleError as err:
                console.out(f"  ({err})")
    except (_Quit, EOFError, KeyboardInterrupt):
        console.out("")
    console.out(
        _texts(console, current)._(
            "Bye. What was saved stays in the database; an open form was not submitted."
        )
    )


def _texts(console: ConsoleSession, email: str) -> Texts:
    """The console's own words in the language of the person typing."""
    found = directory.by_email(console.factory, email)
    return Texts(found.locale if found else "en")


def begin(console: ConsoleSession, email: str) -> None:
    """Start talking as ``email`` quietly: one status line, and the bot's introduction
    only for someone it has not met (as when a person first opens the bot's chat)."""
    found = directory.by_email(console.factory, email)
    if found is None:
        console.out(f"  ({email} is not known to Mentorbot; /who lists the people)")
        return
    tx = Texts(found.locale, found.timezone)
    console.out(
        "── "
        + tx._(
            "You are %(name)s <%(email)s> · %(when)s (%(zone)s) · type *help* to ask "
            "Mentorbot, /help for the console",
            name=found.name,
            email=email,
            when=tx.datetime(console.clock.now()),
            zone=found.timezone,
        ).replace("*", "")
        + " ──"
    )
    if found.onboarded:
        console.deliver()
    else:
        console.introduce(email)


def _step(
    console: ConsoleSession,
    current: str,
    line: str,
    people: Callable[[], list[tuple[str, str]]],
    timezone: str,
    read: Reader,
) -> str:
    """Carry out one line; return who is typing next."""
    before = console.serial
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
        begin(console, current)
    elif line.startswith("/time "):
        arg = line[6:].strip()
        delta = parse_delta(arg)
        when = parse_when(arg, timezone)
        if delta is not None:
            console.advance(delta)
        elif when is not None and when >= console.clock.now():
            console.advance(when - console.clock.now())
        else:
            console.out(
                _texts(console, current)._(
                    "Use /time +14d or /time YYYY-MM-DD HH:MM (not in the past)."
                )
            )
    elif line.casefold() in CANCEL:
        console.say(current, "/cancel")
    elif line.isdigit():
        console.click(current, line)
    elif any(_same(b.label, line) for b in console.last_buttons(current)):
        console.click(current, line.strip())  # the label of a button on screen presses it
    else:
        console.say(current, line)
    form = console.form_shown_since(current, before)
    if form is not None:
        fill_form(console, current, form, read)
    return current


def _same(label: str, line: str) -> bool:
    return strip_user_marks(label).casefold() == line.strip().casefold()


def fill_form(console: ConsoleSession, email: str, form: Form, read: Reader) -> None:
    """Ask ``form`` field by field and submit it; ask again what the bot sends back."""
    while True:
        tx = _texts(console, email)
        again = [field for field in form.inputs if field.name in form.errors]
        console.out(
            f"  📝 {strip_user_marks(form.title)} — "
            + tx._(
                "field by field: Enter keeps the value in [brackets], /cancel leaves the "
                "form, /quit ends the console"
            )
        )
        try:
            answers = {field.name: _ask(field, form, read, tx) for field in again or form.inputs}
        except _Cancel:
            console.say(email, "/cancel")
            return
        before = console.serial
        console.submit(email, answers, form=form)
        following = console.form_shown_since(email, before)
        if following is None:
            return
        form = following


def _ask(field: Input, form: Form, read: Reader, tx: Texts) -> str:
    current = form.values.get(field.name, "")
    label = strip_user_marks(field.label)
    if not field.required and field.kind in ("text", "multiline"):
        label += " " + tx._("(optional)")
    if field.name in form.errors:
        label = f"⚠ {strip_user_marks(form.errors[field.name])}\n  {label}"
    elif field.hint:
        label = f"ℹ {strip_user_marks(field.hint)}\n  {label}"
    if field.options:
        return _choose(field, current, label, read)
    if field.kind == "multiline":
        answer = _read(read, f"  {label} " + tx._("(\\n for a new line)") + f" [{current}] > ")
        return answer.replace("\\n", "\n").strip() or current
    return _read(read, f"  {label} [{current}] > ").strip() or current


def _choose(field: Input, current: str, label: str, read: Reader) -> str:
    """A select: its options' own numbers, values and labels, or its position in the list."""
    numeric = all(o.value.isdigit() for o in field.options)
    shown = strip_user_marks(next((o.label for o in field.options if o.value == current), current))
    if numeric:
        values = [int(o.value) for o in field.options]
        choices = f"{min(values)}–{max(values)}"
        if choices not in label:
            label += f" ({choices})"
        answer = _read(read, f"  {label} [{shown}] > ").strip()
    else:
        choices = "  ".join(
            f"{i}) {strip_user_marks(o.label)}" for i, o in enumerate(field.options, 1)
        )
        answer = _read(read, f"  {label}\n    {choices}\n    [{shown}] > ").strip()
    if not answer:
        return current
    value = forms.match_option(field.options, answer)
    if value is not None:
        return value
    if not numeric and answer.isdigit() and 1 <= int(answer) <= len(field.options):
        return field.options[int(answer) - 1].value
    return answer  # the bot explains what it expects and asks again


def _read(read: Reader, prompt: str) -> str:
    answer = read(prompt)
    if answer.strip().casefold() in QUIT:
        raise _Quit
    if answer.strip().casefold() in CANCEL:
        raise _Cancel
    return answer
