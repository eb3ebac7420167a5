"""The signed, expiring link to a programme's report that HR receives in chat.

``/report/{programme}/{person}/{expires}/{signature}``: the programme and the HR person it was
made for, its expiry (Unix seconds) and an HMAC-SHA256 of the three under the server's secret
(``MENTORBOT_REPORT_SECRET``). Nothing is stored: a link is good until it expires (15 minutes)
and only while the person is still HR, which the web process checks on every open. The path,
not a query string, carries the parts so chat surfaces cannot mangle an ``&``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from conversations.hr_admin import actor_label
from conversations.report_page import render_html, render_refusal
from conversations.report_pairs import pair_rows
from conversations.results import programme_results
from conversations.roles import roles_of
from conversations.turn import texts_for
from storage.audit import audit
from storage.models import Person, Programme

LIFETIME = timedelta(minutes=15)
PATH = "/report/{programme}/{person}/{expires}/{signature}"
_DIGITS = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ReportLink:
    programme_id: int
    person_id: int
    expires: int  # Unix seconds

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def sign(secret: bytes, link: ReportLink) -> str:
    """The link's signature: URL-safe base64 of an HMAC-SHA256 (43 characters)."""
    message = f"report\n{link.programme_id}\n{link.person_id}\n{link.expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_link(secret: bytes, programme_id: int, person_id: int, now: datetime) -> str:
    """The path of a fresh link (append it to the public URL)."""
    link = ReportLink(programme_id, person_id, int((now + LIFETIME).timestamp()))
    return PATH.format(
        programme=link.programme_id,
        person=link.person_id,
        expires=link.expires,
        signature=sign(secret, link),
    )


def verify(
    secret: bytes, programme: str, person: str, expires: str, signature: str
) -> ReportLink | None:
    """The link if its parts are well formed and its signature matches, else None.
    Expiry is the caller's to check (it is a different refusal)."""
    if not secret or not _SIGNATURE.fullmatch(signature):
        return None
    if not all(_DIGITS.fullmatch(part) for part in (programme, person, expires)):
        return None
    link = ReportLink(int(programme), int(person), int(expires))
    if not hmac.compare_digest(sign(secret, link), signature):
        return None
    return link


def expired(link: ReportLink, now: datetime) -> bool:
    return now >= link.expires_at


@dataclass(frozen=True)
class Opened:
    """What a report link opens to: an HTTP status, the page, and its language."""

    status: int
    html: str
    language: str


def open_report(
    session: Session, secret: bytes, parts: tuple[str, str, str, str], now: datetime, language: str
) -> Opened:
    """Check a link and render its report, auditing the read. Refusals get a friendly page:
    403 for a forged or mangled link, 410 once expired, 403 when the person is not HR (any
    more), 404 when the programme is gone. ``language`` is for pages before anyone is known."""
    link = verify(secret, *parts)
    if link is None:
        return Opened(403, render_refusal("invalid", language), language)
    if expired(link, now):
        return Opened(410, render_refusal("expired", language), language)
    person = session.get(Person, link.person_id)
    if person is None or person.erased_at is not None or not roles_of(session, person).hr:
        return Opened(403, render_refusal("not_hr", language), language)
    tx = texts_for(person)
    programme = session.get(Programme, link.programme_id)
    if programme is None:
        return Opened(404, render_refusal("gone", tx.locale), tx.locale)
    results = programme_results(session, programme, now)
    page = render_html(
        results,
        tx.locale,
        person.timezone,
        pairs=pair_rows(session, programme.id, now),
        prepared_for=person.name,
    )
    audit(session, now, actor_label(person), "report.open", None, programme=programme.name)
    return Opened(200, page, tx.locale)
