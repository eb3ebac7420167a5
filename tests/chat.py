"""A text-level test backend: people talk to the engine through the console adapter, and
every message each person saw is kept for assertions."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.session import PLATFORM as CONSOLE
from adapters.console.session import ConsoleSession
from bot import admin
from bot.app import console_session
from bot.delivery import deliver_due
from conversations.clock import SettableClock
from conversations.messages import InboundKind, Message
from conversations.texts import strip_user_marks
from storage.db import transaction

ACTOR = "aino@example.com"
MENTOR = "mikko@example.com"
SUPERVISOR = "sanna@example.com"
HR = "helena@example.com"
OTHER_ACTOR = "olli@example.com"
OTHER_MENTOR = "maija@example.com"
PROGRAMME = "Pilot"
_HEADER = re.compile(r"^\S+ .* <([^>]+)>:$")  # the console's "→ Name <email>:" lines


@dataclass
class Chat:
    console: ConsoleSession
    lines: list[str] = field(default_factory=list)

    def messages(self, email: str) -> list[Message]:
        return [s.message for s in self.console.shown.get(email, [])]

    def text_seen_by(self, email: str) -> str:
        """Everything ``email`` was shown, as plain text."""
        return "\n".join(strip_user_marks(m.plain_text()) for m in self.messages(email))

    def everything_seen_by(self, email: str) -> str:
        """All the console ever showed ``email`` (``text_seen_by`` keeps only the latest)."""
        out: list[str] = []
        current = None
        for entry in self.lines:
            for line in entry.split("\n"):
                header = _HEADER.match(line)
                if header:
                    current = header.group(1)
                elif current == email:
                    out.append(strip_user_marks(line))
        return "\n".join(out)

    def last(self, email: str) -> str:
        shown = self.console.shown.get(email, [])
        return strip_user_marks(shown[-1].message.plain_text()) if shown else ""

    def mark(self) -> dict[str, int]:
        return {email: len(shown) for email, shown in self.console.shown.items()}

    def since(self, email: str, mark: dict[str, int]) -> str:
        shown = self.console.shown.get(email, [])[mark.get(email, 0) :]
        return "\n".join(strip_user_marks(s.message.plain_text()) for s in shown)

    def say(self, email: str, text: str) -> None:
        self.console.say(email, text)

    def click(self, email: str, target: str) -> None:
        self.console.click(email, target)

    def submit(self, email: str, **answers: str) -> None:
        self.console.submit(email, answers)

    def press(self, email: str, action_id: str, value: str) -> None:
        """Press a button by id and value, as a forged or stale payload would."""
        self.console._handle(email, InboundKind.ACTION, action_id=action_id, value=value)

    def send_form(self, email: str, form_id: str, value: str, **fields: str) -> None:
        """Submit a form by id directly, as a forged or stale payload would."""
        self.console._handle(email, InboundKind.FORM, action_id=form_id, value=value, form=fields)


def seed_people(
    factory: sessionmaker[Session], now: datetime, locale: str = "en", pair: bool = True
) -> None:
    """A programme with an actor, mentor, supervisor, HR — and a second, unrelated pair."""
    with transaction(factory) as session:
        admin.create_programme(session, now, PROGRAMME, "Grow together", admin.ProgrammeFrame())
        admin.add_person(session, now, HR, "Helena Niemi", locale, hr=True)
        admin.add_person(session, now, SUPERVISOR, "Sanna Koskinen", locale)
        admin.add_person(session, now, MENTOR, "Mikko Laine", locale)
        admin.add_person(session, now, ACTOR, "Aino Virtanen", locale, supervisor_email=SUPERVISOR)
        admin.add_person(session, now, OTHER_MENTOR, "Maija Salo", locale)
        admin.add_person(session, now, OTHER_ACTOR, "Olli Mäki", locale)
        if pair:
            admin.add_pair(session, now, PROGRAMME, MENTOR, ACTOR)
            admin.add_pair(session, now, PROGRAMME, OTHER_MENTOR, OTHER_ACTOR)


def make_chat(factory: sessionmaker[Session], now: datetime, sweeps: bool = True) -> Chat:
    """The console as ``mentorbot console`` wires it: after every step the clock's sweep runs
    and the outbox is delivered. Without ``sweeps`` a step only delivers what the engine
    queued: for tests that are not about timing or nudges, which then skip the sweep's cost."""
    chat_lines: list[str] = []
    if sweeps:
        console = console_session(factory, now, out=chat_lines.append)
    else:
        console = ConsoleSession(factory, SettableClock(now), out=chat_lines.append)

        def deliver() -> None:
            sender = console.sender
            when = console.clock.now()
            asyncio.run(deliver_due(factory, {CONSOLE: sender}, when, default_platform=CONSOLE))

        console.after_step.append(deliver)
    return Chat(console=console, lines=chat_lines)


def onboard(chat: Chat, emails: Iterable[str], language: str = "English") -> None:
    for email in emails:
        chat.say(email, "hello")
        chat.click(email, language)
        chat.submit(email, timezone="Europe/Helsinki")


def agree(chat: Chat, duration: str = "6", share_goals: str = "yes") -> None:
    """Actor proposes goals; both accept: the relationship enters development."""
    chat.click(ACTOR, "Propose goals")
    chat.submit(
        ACTOR,
        goal1="Lead the weekly planning",
        success1="I run it on my own",
        goal2="Know our customers",
        success2="Five customer calls joined",
        duration=duration,
        share_goals=share_goals,
    )
    chat.click(ACTOR, "Accept")
    chat.click(MENTOR, "Accept")


def book(chat: Chat, date: str = "2027-01-19", time: str = "14:00") -> None:
    chat.click(ACTOR, "Plan meetings")
    chat.submit(ACTOR, date=date, time=time)
    chat.click(ACTOR, "Book these meetings")
