"""What adapters may ask about the people they talk to, without reaching into storage.

Adapters translate; they do not query tables. These read-only look-ups give them the few
facts they need: a person's language, how the engine reached them last, the form they have
open (a Slack modal can only open on a click, so the adapter asks for the form then), and the
name and email of a message's recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from conversations import forms
from conversations.messages import Form
from conversations.texts import DEFAULT_LOCALE
from storage.models import Person
from storage.queries import identity, person_by_email


@dataclass(frozen=True)
class OpenForm:
    """The person's locale and, if any, the form they have open."""

    locale: str
    form: Form | None


@dataclass(frozen=True)
class Contact:
    """A message recipient as an adapter shows them."""

    name: str
    email: str | None
    locale: str


def open_form(factory: sessionmaker[Session], platform: str, user_id: str) -> OpenForm:
    """The form the engine last offered this platform user, if it is still open."""
    with factory() as session:
        found = identity(session, platform, user_id)
        if found is None or found.person.erased_at is not None:
            return OpenForm(DEFAULT_LOCALE, None)
        return OpenForm(found.person.locale, forms.open_form(session, found.person))


def linked(factory: sessionmaker[Session], platform: str, user_id: str) -> bool:
    """Whether this platform user is linked to a person (erased or not); an adapter looks a
    user's email up on first contact only, when they are not."""
    with factory() as session:
        return identity(session, platform, user_id) is not None


def locale_of(factory: sessionmaker[Session], platform: str, user_id: str) -> str:
    """The person's language, or the default for someone not linked yet."""
    with factory() as session:
        found = identity(session, platform, user_id)
        return found.person.locale if found is not None else DEFAULT_LOCALE


def stored_address(factory: sessionmaker[Session], platform: str, user_id: str) -> dict[str, Any]:
    """How the engine last reached this platform user (``Inbound.address`` as stored)."""
    with factory() as session:
        found = identity(session, platform, user_id)
        return dict(found.address) if found is not None else {}


def contact(factory: sessionmaker[Session], person_id: int | None) -> Contact | None:
    """Name, email and language of a person, for showing a message addressed to them."""
    if person_id is None:
        return None
    with factory() as session:
        person = session.get(Person, person_id)
        if person is None:
            return None
        return Contact(name=person.name, email=person.email, locale=person.locale)


@dataclass(frozen=True)
class Newcomer:
    """What a terminal needs to greet someone it is about to talk as."""

    name: str
    locale: str
    timezone: str
    onboarded: bool


def by_email(factory: sessionmaker[Session], email: str) -> Newcomer | None:
    """The person with ``email`` (None for a stranger or an erased person)."""
    with factory() as session:
        person = person_by_email(session, email)
        if person is None or person.erased_at is not None:
            return None
        return Newcomer(
            name=person.name,
            locale=person.locale,
            timezone=person.timezone,
            onboarded=person.onboarded_at is not None,
        )
