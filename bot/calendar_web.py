"""``GET /calendar/{token}.ics``: a person's meeting feed for Outlook and Google Calendar."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from conversations.calendar_feed import person_for_token, person_ics


def feed_ics(factory: sessionmaker[Session], token: str, now: datetime) -> str | None:
    """The feed for ``token``, or None when the token is unknown or revoked."""
    with factory() as session:
        person = person_for_token(session, token)
        if person is None:
            return None
        return person_ics(session, person, now)


def calendar_route(factory: sessionmaker[Session]) -> web.RouteDef:
    """The route, bound to a session factory (answers 404 for unknown/revoked tokens)."""

    async def handler(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = await asyncio.to_thread(feed_ics, factory, token, datetime.now(UTC))
        if body is None:
            raise web.HTTPNotFound(text="no such calendar")
        return web.Response(
            body=body.encode("utf-8"),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    return web.get("/calendar/{token}.ics", handler)
