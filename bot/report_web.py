"""``GET /report/{programme}/{person}/{expires}/{signature}``: HR's report behind the signed,
15-minute link they get in chat (``conversations.report_link``).

Every answer, the report or a refusal, is ``Cache-Control: no-store`` (a report must not
outlive its link in a browser or proxy cache) and carries the app's security headers
(``bot.web.security_headers``: CSP, nosniff, no referrer). Time comes from the app's clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.pages_web import preferred_language
from bot.settings import Settings
from conversations.clock import Clock
from conversations.report_link import Opened, open_report
from conversations.texts import LOCALES
from storage.db import transaction

NO_STORE = "no-store"


def report_secret(settings: Settings) -> bytes:
    """``MENTORBOT_REPORT_SECRET``; unset, a key derived from the platform secrets.

    Every web process of a deployment has the same Slack signing secret and Teams client
    secret, so a link signed by one process opens in another without extra configuration.
    Only a deployment with neither (the console, a local try-out) signs with a random key
    that lives as long as the process."""
    if settings.report_secret:
        return settings.report_secret.encode("utf-8")
    shared = "\n".join((settings.slack_signing_secret, settings.teams_client_secret))
    if shared.strip():
        return hmac.new(shared.encode("utf-8"), b"mentorbot report links", hashlib.sha256).digest()
    return secrets.token_bytes(32)


def report_route(factory: sessionmaker[Session], clock: Clock, secret: bytes) -> web.RouteDef:
    """The route, bound to the database, the app's clock and the signing secret."""

    def opened(parts: tuple[str, str, str, str], language: str) -> Opened:
        with transaction(factory) as session:
            return open_report(session, secret, parts, clock.now(), language)

    async def handler(request: web.Request) -> web.Response:
        info = request.match_info
        parts = (info["programme"], info["person"], info["expires"], info["signature"])
        language = preferred_language(None, request.headers.get("Accept-Language"), list(LOCALES))
        page = await asyncio.to_thread(opened, parts, language)
        return web.Response(
            text=page.html,
            status=page.status,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Cache-Control": NO_STORE,
                "Content-Language": page.language,
                "X-Robots-Tag": "noindex",
            },
        )

    return web.get("/report/{programme}/{person}/{expires}/{signature}", handler)
