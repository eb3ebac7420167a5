"""Serving an aiohttp application on a free loopback port: how every double and every app
under test is started, so tests and benchmarks reach them over real HTTP."""

from __future__ import annotations

from aiohttp import web


async def serve_on_loopback(
    app: web.Application, *, access_log: bool = True
) -> tuple[web.AppRunner, str]:
    """Start ``app`` on 127.0.0.1 at a port the system picks; the runner (to clean up) and
    the base URL. ``access_log=False`` for doubles whose requests nobody reads in a log."""
    runner = web.AppRunner(app) if access_log else web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
