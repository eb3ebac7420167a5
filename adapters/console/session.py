"""A console conversation: people identified by email, simulated time, printed messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.render import render
from conversations import directory
from conversations.channels import remember_channel
from conversations.clock import SettableClock
from conversations.delivery import Recipient, Sent
from conversations.engine import Engine
from conversations.messages import Button, Form, Inbound, InboundKind, Message, Outbound

PLATFORM = "console"
MAX_REMEMBERED = 30  # messages kept per person for look-ups by label; numbers and forms below


class ConsoleError(Exception):
    """A console instruction that cannot be carried out (no such button, no form, …)."""


@dataclass
class Shown:
    email: str
    message: Message
    first_number: int
    serial: int = 0


@dataclass
class Screen:
    """What one person has in front of them now.

    Buttons are numbered on from 1 across every message since the person last acted, so a
    number names exactly one button; a number never reaches an older message's button. The
    form is the one most recently shown, whatever else arrived after it.
    """

    buttons: list[Button] = field(default_factory=list)
    form: Form | None = None
    form_serial: int = 0


@dataclass
class ConsoleSender:
    """Delivers outbox messages by printing them; every person is reachable on the console."""

    console: ConsoleSession
    platform: str = PLATFORM
    sent: int = field(default=0)

    async def send(self, recipient: Recipient, message: Message) -> Sent:
        if recipient.channel_id is not None:  # an announcement in a shared channel
            self.console.show(recipient.name, recipient.name, message, proactive=True)
            self.sent += 1
            return Sent(f"console-{self.sent}")
        self.console.show(
            recipient.email or f"person-{recipient.person_id}",
            recipient.name,
            message,
            proactive=True,
        )
        self.sent += 1
        return Sent(f"console-{self.sent}")


class ConsoleSession:
    """Drives the engine for several people from one terminal or script.

    ``after_step`` callables run after every step and every move of time; the application
    wires the outbox delivery (and the sweep) there.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: SettableClock,
        out: Callable[[str], None] = print,
        timezone: str = "Europe/Helsinki",
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self.factory = factory
        self.clock = clock
        self.engine = Engine(factory, clock)
        self.out = out
        self.sender = ConsoleSender(self)
        self.shown: dict[str, list[Shown]] = {}
        self.screens: dict[str, Screen] = {}
        self.serial = 0  # counts every message shown, so "shown since" needs no list
        self.ask_forms = False  # the interactive console asks forms field by field
        self.after_step: list[Callable[[], None]] = []

    # --- what a person does -------------------------------------------------------------

    def say(self, email: str, text: str) -> None:
        self._handle(email, InboundKind.TEXT, text=text)

    def click(self, email: str, target: str) -> None:
        button = self.find_button(email, target)
        self._handle(email, InboundKind.ACTION, action_id=button.action_id, value=button.value)

    def submit(self, email: str, answers: dict[str, str], form: Form | None = None) -> None:
        """Submit ``form`` (by default the one shown last) with ``answers`` over its values."""
        form = form or self.last_form(email)
        names = {i.name for i in form.inputs}
        unknown = sorted(set(answers) - names)
        if unknown:
            raise ConsoleError(
                f"form '{form.form_id}' has no field {', '.join(unknown)} "
                f"(fields: {', '.join(sorted(names))})"
            )
        fields = {**form.values, **answers}
        self._handle(email, InboundKind.FORM, action_id=form.form_id, value=form.value, form=fields)

    def introduce(self, email: str) -> None:
        """The person opens the bot's chat for the first time (as a Slack app home or a
        Teams install would): the bot introduces itself, nothing is typed in their name."""
        self._handle(email, InboundKind.INSTALLED)

    def deliver(self) -> None:
        """Deliver what is due (the ``after_step`` hooks) without anyone acting."""
        self._after()

    def join_channel(self, name: str) -> None:
        """Someone adds Mentorbot to the shared channel ``name`` (e.g. ``#mentoring``)."""
        channel = name.strip()
        if not channel:
            raise ConsoleError("a channel needs a name, e.g. #mentoring")
        remember_channel(
            self.factory,
            platform=PLATFORM,
            channel_id=channel,
            name=channel,
            address={},
            now=self.clock.now(),
        )
        self.out(f"➕ Mentorbot was added to {channel}")
        self._after()

    # --- time and delivery --------------------------------------------------------------

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        local = self.clock.now().astimezone(self.tz)
        self.out(f"⏱  {local:%a %Y-%m-%d %H:%M} ({self.tz.key})")
        self._after()

    # --- memory of what each person saw -------------------------------------------------

    def show(self, email: str, name: str, message: Message, proactive: bool = False) -> None:
        self.serial += 1
        screen = self.screen(email)
        first = len(screen.buttons) + 1
        screen.buttons.extend(message.all_buttons)
        if message.forms:
            screen.form, screen.form_serial = message.forms[-1], self.serial
        history = self.shown.setdefault(email, [])
        history.append(Shown(email=email, message=message, first_number=first, serial=self.serial))
        del history[:-MAX_REMEMBERED]
        arrow = "🔔" if proactive else "→"
        self.out(f"{arrow} {name} <{email}>:")
        body = render(message, first, self.ask_forms)
        self.out("\n".join("   " + line if line else "" for line in body.splitlines()))

    def screen(self, email: str) -> Screen:
        return self.screens.setdefault(email.lower(), Screen())

    def find_button(self, email: str, target: str) -> Button:
        """A number presses that button of what the person sees now; a label or action id
        may also name a button of an earlier message."""
        wanted = target.strip().casefold()
        if wanted.isdigit():
            buttons = self.screen(email).buttons
            if 1 <= int(wanted) <= len(buttons):
                return buttons[int(wanted) - 1]
            if not buttons:
                raise ConsoleError(f"no numbered button is showing for {email}")
            raise ConsoleError(f"the buttons showing for {email} are 1 to {len(buttons)}")
        for button in reversed(self.screen(email).buttons):
            if wanted in (button.label.casefold(), button.action_id.casefold()):
                return button
        for shown in reversed(self.shown.get(email, [])):
            for button in shown.message.all_buttons:
                if wanted in (button.label.casefold(), button.action_id.casefold()):
                    return button
        raise ConsoleError(f"no button '{target}' has been shown to {email}")

    def last_form(self, email: str) -> Form:
        form = self.screen(email).form
        if form is None:
            raise ConsoleError(f"no form has been shown to {email}")
        return form

    def form_shown_since(self, email: str, serial: int) -> Form | None:
        """The form shown to ``email`` after message number ``serial``, if one was."""
        screen = self.screen(email)
        return screen.form if screen.form is not None and screen.form_serial > serial else None

    def last_buttons(self, email: str) -> list[Button]:
        return list(self.screen(email).buttons)

    # --- plumbing -----------------------------------------------------------------------

    def _handle(self, email: str, kind: InboundKind, **fields: object) -> None:
        self.screen(email).buttons = []  # the person acted: what arrives now is numbered anew
        inbound = Inbound(
            platform=PLATFORM,
            user=email.lower(),
            email=email.lower(),
            kind=kind,
            received_at=self.clock.now(),
            **fields,
        )
        for outbound in self.engine.handle(inbound):
            if not outbound.queued:
                self._print_reply(email, outbound)
        self._after()

    def _print_reply(self, email: str, outbound: Outbound) -> None:
        name = email
        target = email
        recipient = directory.contact(self.factory, outbound.person_id)
        if recipient is not None:
            name, target = recipient.name, recipient.email or email
        self.show(target, name, outbound.message)

    def _after(self) -> None:
        for hook in self.after_step:
            hook()
