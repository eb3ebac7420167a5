"""The ``web`` process: one aiohttp application for every inbound HTTP path.

Adapters mount their routes here (Slack: ``POST /slack/events``; Teams: ``POST /api/messages``;
the calendar feed: ``GET /calendar/{token}.ics``; HR's report: ``GET /report/…``).
``GET /healthz`` checks the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.app import mount as mount_slack
from adapters.teams.app import mount as mount_teams
from bot.calendar_web import calendar_route
from bot.logs import install_redaction
from bot.pages_web import page_routes
from bot.report_web import report_route, report_secret
from bot.settings import Settings
from bot.surfaces import Surface, log_surfaces, surfaces
from conversations.clock import Clock
from conversations.engine import Engine

log = logging.getLogger(__name__)

ENGINE_KEY = web.AppKey("engine", Engine)
SETTINGS_KEY = web.AppKey("settings", Settings)
FACTORY_KEY = web.AppKey("factory", sessionmaker[Session])


SERVER = "Mentorbot"
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Headers on every response, errors included: no MIME sniffing, no referrer (a feed or
    report link is a secret), a strict CSP on HTML, and a ``Server`` that names no versions."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Server"] = SERVER
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = HTML_POLICY


def create_app(settings: Settings, factory: sessionmaker[Session], clock: Clock) -> web.Application:
    """Compose the web application: health check plus every configured adapter's routes."""
    install_redaction()  # the access log prints paths: /calendar/<token>.ics is a secret
    app = web.Application()
    app.on_response_prepare.append(security_headers)
    app[SETTINGS_KEY] = settings
    app[FACTORY_KEY] = factory
    secret = report_secret(settings)
    app[ENGINE_KEY] = Engine(factory, clock, public_url=settings.public_url, report_secret=secret)
    app.router.add_get("/healthz", healthz)
    app.router.add_routes([calendar_route(factory), report_route(factory, clock, secret)])
    app.router.add_routes(page_routes(settings.terms_url))
    if settings.slack_bot_token:
        mount_slack(app, settings, app[ENGINE_KEY], factory)
    slack_http = next(s for s in surfaces(settings) if s.name == "slack (HTTP)")
    if not slack_http.on:
        app.router.add_post("/slack/events", not_served(slack_http))
    mount_teams(app, settings, app[ENGINE_KEY], factory)
    return app


def not_served(surface: Surface) -> Callable[[web.Request], Awaitable[web.Response]]:
    """404 for a surface that is off, saying why in the log (once per process at WARNING)."""
    told = False

    async def handler(request: web.Request) -> web.Response:
        nonlocal told
        log.log(logging.DEBUG if told else logging.WARNING, "%s %s: 404, %s",
                request.method, request.path, surface.line())  # fmt: skip
        told = True
        return web.json_response({"error": "not configured"}, status=404)

    return handler


async def healthz(request: web.Request) -> web.Response:
    factory = request.app[FACTORY_KEY]

    def ping() -> None:
        with factory() as session:
            session.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except Exception as err:  # the database is down or unreachable
        log.warning("health check failed: %s", err)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok"})


def serve(
    settings: Settings,
    factory: sessionmaker[Session],
    clock: Clock,
    cleanup_ctx: Sequence[Callable[[web.Application], AsyncIterator[None]]] = (),
) -> None:
    """Run the web process on ``PORT`` until interrupted (``cleanup_ctx``: e.g. the clock)."""
    app = create_app(settings, factory, clock)
    log_surfaces(settings)
    app.cleanup_ctx.extend(cleanup_ctx)
    web.run_app(app, port=settings.port, print=log.info)
