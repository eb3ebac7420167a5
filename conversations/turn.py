"""One turn of conversation: the person, their language, the database session and the replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from conversations.messages import Inbound, Message, Outbound
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from conversations.registry import Kind, Registry
from conversations.texts import Texts
from storage.models import Person


class Refusal(Exception):
    """A polite 'no': the turn's changes are rolled back and ``text`` is the reply."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def texts_for(person: Person) -> Texts:
    return Texts(person.locale, person.timezone)


@dataclass
class Turn:
    session: Session
    now: datetime
    person: Person
    inbound: Inbound
    public_url: str | None = None
    report_secret: bytes = b""
    handlers: Registry | None = None
    replies: list[Message] = field(default_factory=list)
    queued: list[Outbound] = field(default_factory=list)
    _tx: Texts | None = field(default=None, init=False, repr=False, compare=False)
    _tx_key: tuple[str | None, str | None] = field(
        default=(None, None), init=False, repr=False, compare=False
    )

    @property
    def tx(self) -> Texts:
        """The person's texts, made once per turn (unless a flow changes their language)."""
        key = (self.person.locale, self.person.timezone)
        if self._tx is None or self._tx_key != key:
            self._tx, self._tx_key = texts_for(self.person), key
        return self._tx

    def reply(self, message: Message) -> None:
        self.replies.append(message)

    def say(self, text: str) -> None:
        self.replies.append(Message().text(text))

    def refuse(self, text: str) -> None:
        raise Refusal(text)

    def run_command(self, name: str, rest: str) -> None:
        """Run another command in this turn (a "did you mean" or "which one" button), under
        the same role check as typing it; an unknown or undeclared name is a stale button."""
        handler = self.handlers.find(Kind.COMMAND, name) if self.handlers else None
        if handler is None or self.handlers is None:
            self.refuse(self.tx.t("common.stale_button"))
        else:
            self.handlers.run(self, handler, rest)

    def send(
        self,
        to: Person,
        message: Message,
        *,
        kind: str,
        dedupe_key: str,
        due_at: datetime | None = None,
    ) -> None:
        """Queue a message for another person in the outbox (delivered where they are)."""
        row = outbox_row(
            person_id=to.id,
            kind=kind,
            message=message,
            dedupe_key=dedupe_key,
            due_at=due_at or self.now,
            now=self.now,
        )
        if insert_ignoring_duplicates(self.session, [row]):
            self.queued.append(Outbound(person_id=to.id, message=message, queued=True))
