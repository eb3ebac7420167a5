"""``Engine.handle(inbound) -> list[Outbound]``: one unit of work per thing a person did."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from conversations import commands, flows, forms
from conversations.clock import Clock
from conversations.messages import Inbound, InboundKind, Message, Outbound
from conversations.outbox import queue_replies, release_and_check_queue
from conversations.registry import Kind, Registry
from conversations.texts import Texts
from conversations.turn import Refusal, Turn, texts_for
from storage.models import Person, PlatformIdentity, ProcessedEvent
from storage.queries import identity, link_identity, person_by_email

log = logging.getLogger(__name__)

PROCESSED_EVENT_TTL = timedelta(days=1)
# Forgetting old event ids is housekeeping, not part of a turn: once a minute is enough.
PRUNE_EVERY = timedelta(minutes=1)
LAST_SEEN_EVERY = timedelta(minutes=5)
"""How stale ``PlatformIdentity.last_seen_at`` may get before a turn writes it again. It only
orders a person's identities (the outbox delivers to the one used last) and shows in exports,
where minutes are all it means; writing it on every turn made a turn that changes nothing
(``status``, ``help``) an UPDATE and a write transaction. The cost: someone switching between
two platforms within five minutes may get the next nudge on the one they used just before."""


class Engine:
    """The conversation engine: platform-neutral, time from an injected clock."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        public_url: str | None = None,
        report_secret: bytes = b"",
        flow_names: tuple[str, ...] = flows.MODULES,
    ) -> None:
        """``public_url`` is where the web process is reached (for calendar-feed and report
        links); ``report_secret`` signs the report links (none are offered without it);
        ``flow_names`` the flows it runs (``conversations.flows.MODULES``; the core ones always)."""
        self.session_factory = session_factory
        self.clock = clock
        self.public_url = public_url.rstrip("/") if public_url else None
        self.report_secret = report_secret
        self.handlers = Registry(flows.modules(flow_names))
        self._pruned_at: datetime | None = None

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Handle one inbound event; replies and queued messages come back as ``Outbound``."""
        outbounds = self._guarded(inbound, if_linked=False)
        assert outbounds is not None
        return outbounds

    def handle_if_linked(self, inbound: Inbound) -> list[Outbound] | None:
        """``handle`` for a platform user already linked to a person (erased or not); None,
        and nothing done (not even the event id recorded), for one who is not, whom the
        adapter then looks up by email and hands to ``handle``. The check is the turn's own
        identity read, so a linked user's event costs no session of its own before the turn."""
        return self._guarded(inbound, if_linked=True)

    def _guarded(self, inbound: Inbound, if_linked: bool) -> list[Outbound] | None:
        try:
            return self._handle(inbound, if_linked)
        except Exception:
            log.exception(
                "handler failed: platform=%s user=%s kind=%s action=%s",
                inbound.platform,
                inbound.user,
                inbound.kind,
                inbound.action_id,
            )
            return [Outbound(person_id=self._person_id(inbound), message=self._apology(inbound))]

    def _handle(self, inbound: Inbound, if_linked: bool) -> list[Outbound] | None:
        now = self.clock.now()
        with self.session_factory() as session:
            try:
                # the event id in a transaction of its own, committed before the turn: a retry
                # is refused by the unique key (across processes too), also after a failed turn
                with session.begin():
                    found = identity(session, inbound.platform, inbound.user)
                    if found is None and if_linked:
                        return None
                    if not storable(inbound):
                        return [_unstorable(found)]
                    if inbound.event_id:
                        self._record_delivery(session, inbound, now)
            except IntegrityError:  # the event id, the block's only write, was there: a retry
                return []
            turn: Turn | None = None
            behind = False
            try:
                with session.begin():
                    person = self._identify(session, inbound, now, found)
                    if person is None:
                        return [Outbound(person_id=None, message=_unknown_person())]
                    turn = Turn(
                        session=session,
                        now=now,
                        person=person,
                        inbound=inbound,
                        public_url=self.public_url,
                        report_secret=self.report_secret,
                        handlers=self.handlers,
                    )
                    # what waited for the person, and replies still queued, go first
                    behind = release_and_check_queue(session, person.id)
                    self._dispatch(turn)
                    if behind:
                        queue_replies(session, person.id, turn.replies, now)
            except Refusal as refusal:
                assert turn is not None
                return [Outbound(person_id=turn.person.id, message=Message().text(refusal.text))]
            replies = [
                Outbound(person_id=turn.person.id, message=m, queued=behind) for m in turn.replies
            ]
            return replies + turn.queued

    def _record_delivery(self, session: Session, inbound: Inbound, now: datetime) -> None:
        """Record the platform's event id (IntegrityError when it was processed before): a
        plain INSERT, as nothing reads the row back; an object added and flushed through the
        unit of work cost ~0.3 ms more CPU per turn."""
        assert inbound.event_id
        if self._pruned_at is None or not now - PRUNE_EVERY < self._pruned_at <= now:
            session.execute(_PRUNE, {"before": now - PROCESSED_EVENT_TTL})
            self._pruned_at = now
        values = {"platform": inbound.platform, "event_id": inbound.event_id, "processed_at": now}
        session.execute(_RECORD, values)

    def _identify(
        self, session: Session, inbound: Inbound, now: datetime, found: PlatformIdentity | None
    ) -> Person | None:
        """The person behind ``found`` (the identity read at the start of the turn), or, for
        a platform user not linked yet, the person with the inbound's email, linked now."""
        if found is not None:
            if not timedelta(0) <= now - found.last_seen_at < LAST_SEEN_EVERY:
                found.last_seen_at = now
            if inbound.address:
                address = {**found.address, **inbound.address}
                if address != found.address:  # a reassigned JSON value is always written
                    found.address = address
            return found.person if found.person.erased_at is None else None
        person = person_by_email(session, inbound.email) if inbound.email else None
        if person is None or person.erased_at is not None:
            return None
        # Two processes may see the same person's first message at once (a DM and a command):
        # insert-or-ignore, then read whichever link won.
        link_identity(
            session,
            person_id=person.id,
            platform=inbound.platform,
            platform_user_id=inbound.user,
            address=dict(inbound.address),
            now=now,
        )
        linked = identity(session, inbound.platform, inbound.user)
        assert linked is not None
        return linked.person if linked.person.erased_at is None else None

    def _dispatch(self, turn: Turn) -> None:
        """Find the handler the inbound is for and run it; the registry checks its role."""
        inbound = turn.inbound
        handlers = self.handlers
        if inbound.kind in (InboundKind.ACTION, InboundKind.FORM):
            kind = Kind.ACTION if inbound.kind == InboundKind.ACTION else Kind.FORM
            handler = handlers.find(kind, inbound.action_id)
            if handler is None:
                turn.say(turn.tx.t("common.stale_button"))
            elif kind == Kind.ACTION:
                handlers.run(turn, handler, inbound.value)
            else:
                fields = forms.understood(
                    forms.open_form(turn.session, turn.person), inbound.action_id, inbound.form
                )
                handlers.run(turn, handler, inbound.value, fields)
            return
        if turn.person.onboarded_at is None:
            turn.run_command("onboarding", "")
        elif inbound.kind == InboundKind.INSTALLED:
            turn.run_command("help", "")
        else:
            name, rest = commands.parse(inbound.text)
            if name is None or handlers.find(Kind.COMMAND, name) is None:
                name = "unknown"
            turn.run_command(name, rest)

    def _person_id(self, inbound: Inbound) -> int | None:
        try:
            with self.session_factory() as session:
                found = identity(session, inbound.platform, inbound.user)
                return found.person_id if found else None
        except Exception:  # the database itself may be what failed
            return None

    def _apology(self, inbound: Inbound) -> Message:
        try:
            with self.session_factory() as session:
                found = identity(session, inbound.platform, inbound.user)
                if found:
                    return Message().text(texts_for(found.person).t("common.apology"))
        except Exception:
            pass
        return Message().text(Texts("en").t("common.apology"))


_RECORD = insert(cast(Table, ProcessedEvent.__table__))  # Core: no unit of work
_PRUNE = delete(ProcessedEvent).where(ProcessedEvent.processed_at < bindparam("before"))

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable(inbound: Inbound) -> bool:
    """No NUL byte, control character or lone surrogate in anything the person typed: the
    database refuses them (PostgreSQL) or they garble the texts shown to others."""
    fields = [inbound.text, inbound.value, inbound.action_id, inbound.display_name or ""]
    fields += [inbound.email or "", *inbound.form.keys(), *inbound.form.values()]
    return not any(_UNSTORABLE.search(f) for f in fields)


def _unstorable(found: PlatformIdentity | None) -> Outbound:
    """The friendly answer to text with characters no database stores (nothing changed)."""
    tx = texts_for(found.person) if found else Texts("en")
    person_id = found.person_id if found else None
    return Outbound(person_id=person_id, message=Message().text(tx.t("common.unstorable_text")))


def _unknown_person() -> Message:
    return (
        Message()
        .text(Texts("en").t("common.unknown_person"))
        .text(Texts("fi").t("common.unknown_person"))
    )
