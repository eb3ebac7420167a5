"""Read-only look-ups the Slack adapter needs from the engine's stored state.

A modal can only be opened with the ``trigger_id`` of a click, so a form the engine sent as a
DM message is shown as an "open" button; when it is clicked, the adapter needs the form
itself. The engine keeps every person's open form (``conversations.forms``) so a restart
loses nothing; this module reads it back. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from conversations import forms
from conversations.messages import Form
from conversations.texts import DEFAULT_LOCALE
from storage.queries import identity


@dataclass(frozen=True)
class OpenForm:
    """The person's locale and, if any, the form they have open."""

    locale: str
    form: Form | None


def open_form(factory: sessionmaker[Session], platform: str, user_id: str) -> OpenForm:
    """The form the engine last offered this platform user, if it is still open."""
    with factory() as session:
        found = identity(session, platform, user_id)
        if found is None or found.person.erased_at is not None:
            return OpenForm(DEFAULT_LOCALE, None)
        return OpenForm(found.person.locale, forms.open_form(session, found.person))


def locale_of(factory: sessionmaker[Session], platform: str, user_id: str) -> str:
    """The person's language, or the default for someone not linked yet."""
    with factory() as session:
        found = identity(session, platform, user_id)
        return found.person.locale if found is not None else DEFAULT_LOCALE


def stored_channel(factory: sessionmaker[Session], platform: str, user_id: str) -> str | None:
    """The DM channel the engine stored for this platform user (``PlatformIdentity.address``)."""
    with factory() as session:
        found = identity(session, platform, user_id)
        channel = found.address.get("channel") if found is not None else None
        return channel if isinstance(channel, str) and channel else None
