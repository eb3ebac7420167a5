"""Form handling: offering a form (stored, so a restart loses nothing) and validating input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from conversations.messages import Form, Message, Option
from conversations.texts import Texts
from conversations.turn import Turn
from storage.models import DialogueState, Person

RATING_MIN, RATING_MAX = 1, 5


def numbers(low: int, high: int) -> list[Option]:
    """Options ``low``…``high`` (inclusive), e.g. months of a duration."""
    return [Option(value=str(n), label=str(n)) for n in range(low, high + 1)]


def rating_options() -> list[Option]:
    """The 1–5 scale of every rating."""
    return numbers(RATING_MIN, RATING_MAX)


def yes_no(tx: Texts, no_label: str | None = None) -> list[Option]:
    """Yes/no options with the values ``yes`` and ``no``."""
    return [
        Option(value="yes", label=tx._("Yes")),
        Option(value="no", label=no_label or tx._("No")),
    ]


def offer(turn: Turn, form: Form, intro: str | None = None) -> None:
    """Reply with ``form`` and remember it as the person's open dialogue."""
    remember(turn.session, turn.person, form, turn.now)
    message = Message()
    if intro:
        message.text(intro)
    turn.reply(message.add(form))


def remember(session: Session, person: Person, form: Form, now: datetime) -> None:
    state = session.get(DialogueState, person.id)
    data = {"form": form.model_dump(mode="json")}
    if state is None:
        session.add(
            DialogueState(person_id=person.id, flow=form.form_id, data=data, updated_at=now)
        )
    else:
        state.flow, state.data, state.updated_at = form.form_id, data, now


def open_form(session: Session, person: Person) -> Form | None:
    state = session.get(DialogueState, person.id)
    if state is None or "form" not in state.data:
        return None
    return Form.model_validate(state.data["form"])


def close(session: Session, person: Person) -> None:
    state = session.get(DialogueState, person.id)
    if state is not None:
        session.delete(state)


@dataclass
class Validator:
    """Collects cleaned values and friendly errors for one submission."""

    tx: Texts
    raw: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def _get(self, name: str) -> str:
        return (self.raw.get(name) or "").strip()

    def text(self, name: str, max_length: int, required: bool = True) -> str | None:
        value = self._get(name)
        if not value:
            if required:
                self.errors[name] = self.tx._("This is needed.")
            return None
        if len(value) > max_length:
            self.errors[name] = self.tx.ngettext(
                "Please keep this under %(num)s character (now %(length)s).",
                "Please keep this under %(num)s characters (now %(length)s).",
                max_length,
                length=len(value),
            )
            self.values[name] = value[:max_length]
            return None
        self.values[name] = value
        return value

    def rating(self, name: str, required: bool = True) -> int | None:
        value = self._get(name)
        if not value and not required:
            return None
        if not value.isdigit() or not RATING_MIN <= int(value) <= RATING_MAX:
            self.errors[name] = self.tx._("Please choose a number from 1 to 5.")
            return None
        self.values[name] = value
        return int(value)

    def choice(self, name: str, allowed: list[str], required: bool = True) -> str | None:
        value = self._get(name).lower()
        if not value and not required:
            return None
        if value not in allowed and _folded(value).replace(" ", "_") in allowed:
            value = _folded(value).replace(" ", "_")  # "too often" for too_often
        if value not in allowed:
            self.errors[name] = self.tx._("Please choose one of the options.")
            return None
        self.values[name] = value
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self._get(name)
        if not value.isdigit() or not low <= int(value) <= high:
            self.errors[name] = self.tx._(
                "Please give a whole number from %(low)s to %(high)s.", low=low, high=high
            )
            return None
        self.values[name] = value
        return int(value)

    def date(self, name: str, today: date, latest: date | None = None) -> date | None:
        value = self._get(name)
        parsed = parse_date(value, today)
        if parsed is None:
            self.errors[name] = self.tx._(
                "That is not a date I understand. Try for example 2027-03-15 or 15.3.2027."
            )
            return None
        if parsed < today:
            self.errors[name] = self.tx._("That date is in the past.")
            return None
        if latest is not None and parsed > latest:
            self.errors[name] = self.tx._(
                "Please choose a date no later than %(latest)s.", latest=self.tx.date(latest)
            )
            return None
        if parsed.weekday() >= 5:
            self.errors[name] = self.tx._("That is a weekend. Please choose a weekday.")
            return None
        self.values[name] = parsed.isoformat()
        return parsed

    def time(self, name: str) -> time | None:
        parsed = parse_time(self._get(name))
        if parsed is None:
            self.errors[name] = self.tx._("Please give a time like 14:00.")
            return None
        self.values[name] = parsed.strftime("%H:%M")
        return parsed


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FI = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})?$")
_TIME = re.compile(r"^(?:klo\s*|kello\s*|at\s+)?(\d{1,2})(?:[:.](\d{2}))?$", re.IGNORECASE)


def parse_date(value: str, today: date) -> date | None:
    """ISO (2027-03-15) or Finnish (15.3.2027, 15.3.) dates; None for anything invalid."""
    value = value.strip()
    try:
        if m := _ISO.match(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _FI.match(value):
            year = int(m[3]) if m[3] else today.year
            candidate = date(year, int(m[2]), int(m[1]))
            if not m[3] and candidate < today:
                candidate = date(year + 1, int(m[2]), int(m[1]))
            return candidate
    except ValueError:
        return None
    return None


def parse_time(value: str) -> time | None:
    """14:00, 14.00, 9.30 or a bare hour (10, klo 13); None for anything else."""
    m = _TIME.match(value.strip())
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _folded(text: str) -> str:
    """Case, surrounding punctuation and ``_``/``-`` between words do not matter."""
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().strip(" .!?,;:").split())


def match_option(options: list[Option], answer: str) -> str | None:
    """The value of the option ``answer`` names by its value or its label (``Ei``, ``ei``,
    ``too often`` and ``too_often`` all name theirs); None when it names none."""
    wanted = _folded(answer)
    if not wanted:
        return None
    for option in options:
        if wanted in (_folded(option.value), _folded(option.label)):
            return option.value
    return None


def understood(form: Form | None, form_id: str, fields: dict[str, str]) -> dict[str, str]:
    """Submitted ``fields`` with every select answer given as an option's label turned into
    the option's value, judged against the open ``form`` when it is the one submitted."""
    if form is None or form.form_id != form_id:
        return fields
    result = dict(fields)
    for field_ in form.inputs:
        answer = result.get(field_.name)
        if field_.options and answer is not None:
            value = match_option(field_.options, answer)
            if value is not None:
                result[field_.name] = value
    return result


def reoffer(turn: Turn, form: Form, v: Validator) -> None:
    """Show the form again with the valid answers kept and the problems explained."""
    form.values = {**{k: val for k, val in v.raw.items() if k not in v.errors}, **v.values}
    for name in v.errors:
        if name in v.values:
            form.values[name] = v.values[name]
    form.errors = dict(v.errors)
    offer(turn, form, intro=turn.tx._("Some answers need another look:"))
