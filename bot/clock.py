"""The ``clock`` process: APScheduler runs the sweep and the delivery worker.

The schedule lives in the data (meetings, agreements, the outbox), not in APScheduler: the
scheduler has an in-memory job store and exactly two jobs, ``sweep`` (every
``MENTORBOT_SWEEP_INTERVAL_SECONDS``) and ``delivery`` (every
``MENTORBOT_DELIVERY_INTERVAL_SECONDS``), each with ``coalesce=True`` and ``max_instances=1``.
Several clock processes may share one PostgreSQL database: the sweep's advisory lock lets one
sweep at a time and delivery workers claim rows with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import DeliveryConfig, DeliveryReport, DeliveryWorker
from bot.ratelimit import Limiter, PlatformLimit, RateLimiter
from bot.settings import Settings, get_settings
from bot.shared_limits import SharedRateLimiter
from conversations.clock import Clock, SystemClock
from conversations.delivery import Sender
from conversations.sweep.orchestration import sweep
from conversations.sweep.plan import SweepReport
from storage.db import transaction

if TYPE_CHECKING:  # the console and the demo sweep through this module without a scheduler
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class FileClock:
    """Test/demo only: "now" is the ISO timestamp in a file, re-read on every call.

    A test moves simulated time for running processes by rewriting the file. While the file
    is missing or unreadable the last good value (or the system time) is used.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: datetime | None = None

    def now(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.path.read_text("utf-8").strip())
        except (OSError, ValueError):
            return self._last or datetime.now(UTC)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        self._last = value.astimezone(UTC)
        return self._last


def clock_from_settings(settings: Settings) -> Clock:
    """The system clock, or a ``FileClock`` when ``MENTORBOT_CLOCK_FILE`` is set."""
    if settings.clock_file:
        return FileClock(Path(settings.clock_file))
    return SystemClock()


def limiter_from_settings(settings: Settings, factory: sessionmaker[Session]) -> Limiter:
    """Per-platform limits: Slack per channel + workspace, Teams per conversation + app;
    shared by every clock through PostgreSQL, in memory on SQLite (one process)."""
    limits = {
        "slack": PlatformLimit(
            per_channel=settings.slack_rate_per_channel,
            overall=settings.slack_rate_workspace,
        ),
        "teams": PlatformLimit(
            per_channel=settings.teams_rate_per_conversation,
            overall=settings.teams_rate_app,
            channel_burst=settings.teams_rate_per_conversation,
        ),
    }
    bind = factory.kw.get("bind")
    if bind is not None and bind.dialect.name == "postgresql":
        return SharedRateLimiter(factory, limits, headroom=settings.rate_headroom)
    return RateLimiter(limits, headroom=settings.rate_headroom)


def reach_platform(senders: Mapping[str, Sender]) -> str | None:
    """Where to reach someone who never wrote to the bot: a platform that can find people
    (Slack, by email) first, else the only one configured (Teams: they wait for the app)."""
    for name, sender in senders.items():
        if getattr(sender, "finds_people", False):
            return name
    return next(iter(senders)) if len(senders) == 1 else None


def worker_from_settings(
    settings: Settings,
    factory: sessionmaker[Session],
    senders: dict[str, Sender],
    default_platform: str | None = None,
) -> DeliveryWorker:
    """The delivery worker; people without a platform identity go to ``default_platform``,
    by default the deployment's ``reach_platform``."""
    return DeliveryWorker(
        factory,
        senders,
        limiter_from_settings(settings, factory),
        DeliveryConfig(
            max_attempts=settings.delivery_max_attempts,
            batch_size=settings.delivery_batch_size,
            concurrency=settings.delivery_concurrency,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            base_backoff=timedelta(seconds=settings.delivery_base_backoff_seconds),
        ),
        default_platform=default_platform or reach_platform(senders),
        rng=random.Random(),
    )


def run_sweep(factory: sessionmaker[Session], now: datetime, wait: bool = True) -> SweepReport:
    """One sweep (``conversations.sweep.orchestration.sweep``) in one transaction, with the
    content retention of the settings (docs/privacy.md).

    ``wait``: when another process is sweeping, wait for it (console, tests) instead of
    skipping this round (the clock passes False).
    """
    with transaction(factory) as session:
        return sweep_in(session, now, wait)


def sweep_in(session: Session, now: datetime, wait: bool = True) -> SweepReport:
    """``run_sweep`` in the caller's transaction (the console reads in it afterwards)."""
    retention_days = get_settings().content_retention_days
    return sweep(session, now, retention_days=retention_days, wait_for_lock=wait)


def build_senders(settings: Settings) -> dict[str, Sender]:
    """The senders this deployment is configured for (Slack when ``SLACK_BOT_TOKEN`` is set,
    Teams when the bot's app id is set or anonymous local testing is on)."""
    senders: dict[str, Sender] = {}
    if settings.slack_bot_token:
        from adapters.slack.sender import SlackSender
        from bot.slack_client import KeyedWebClient

        client = KeyedWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        senders["slack"] = SlackSender(client)
    if settings.teams_client_id or settings.teams_anonymous_allowed:
        from adapters.teams.connector import TeamsConfig
        from adapters.teams.sender import TeamsSender

        senders["teams"] = TeamsSender.from_config(TeamsConfig.from_settings(settings))
    return senders


async def run_clock(
    settings: Settings,
    factory: sessionmaker[Session],
    senders: dict[str, Sender],
    clock: Clock,
    stop: asyncio.Event,
    *,
    default_platform: str | None = None,
    on_delivered: Callable[[DeliveryReport], None] | None = None,
) -> None:
    """Run the sweep and delivery jobs until ``stop`` is set."""
    worker = worker_from_settings(settings, factory, senders, default_platform)
    running: set[asyncio.Task[None]] = set()

    def tracked(job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Remember a job's task while it runs, so a stop can wait for it to finish."""

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                running.add(task)
            try:
                await job()
            finally:
                if task is not None:
                    running.discard(task)

        return run

    async def sweep_job() -> None:
        now = clock.now()
        report = await asyncio.to_thread(run_sweep, factory, now, False)
        if report.locked:
            log.debug("sweep skipped: another process holds the sweep lock")
        elif report.inserted or report.meetings_booked:
            log.info(
                "sweep at %s: %s nudges queued %s, %s meetings booked",
                now.isoformat(),
                report.inserted,
                report.by_kind,
                report.meetings_booked,
            )

    async def delivery_job() -> None:
        report = await worker.deliver_due(clock.now())
        if report.claimed:
            log.info(
                "delivery: %s sent, %s retried, %s dead, %s expired, %s given back",
                report.sent,
                report.retried,
                report.dead,
                report.expired,
                report.released,
            )
        prune = getattr(worker.limiter, "prune", None)
        if prune is not None:
            await asyncio.to_thread(prune)
        if on_delivered is not None:
            on_delivered(report)

    if log.getEffectiveLevel() > logging.DEBUG:  # "skipped: maximum number of running
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # instances" is by design
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.clock_misfire_grace_seconds,
        },
        timezone=UTC,
    )
    start = datetime.now(UTC)
    scheduler.add_job(
        tracked(sweep_job),
        "interval",
        seconds=settings.sweep_interval_seconds,
        next_run_time=start,
        id="sweep",
    )
    scheduler.add_job(
        tracked(delivery_job),
        "interval",
        seconds=settings.delivery_interval_seconds,
        next_run_time=start,
        id="delivery",
    )
    scheduler.start()
    log.info(
        "clock running: sweep every %ss, delivery every %ss",
        settings.sweep_interval_seconds,
        settings.delivery_interval_seconds,
    )
    try:
        await stop.wait()
    finally:
        await shut_down(scheduler, worker, running, settings.shutdown_grace_seconds)


async def shut_down(
    scheduler: AsyncIOScheduler,
    worker: DeliveryWorker,
    running: set[asyncio.Task[None]],
    grace: float,
) -> None:
    """Stop cleanly: no new job and no new claim or send; the sends on the wire finish and
    are recorded, every other claimed row is given back, a running sweep commits."""
    scheduler.pause()  # no new runs (shutting down now would cancel the running jobs)
    worker.request_stop()
    if running:
        _done, pending = await asyncio.wait(set(running), timeout=grace)
        if pending:
            log.warning("stopping with %s job(s) unfinished after %ss", len(pending), grace)
    scheduler.shutdown(wait=False)
    for sender in worker.senders.values():  # close HTTP sessions the senders opened
        session = getattr(getattr(sender, "client", None), "session", None)
        if session is not None and not session.closed:
            await session.close()
    log.info("clock stopped")


def clock_cleanup_ctx(
    settings: Settings,
    factory: sessionmaker[Session],
    senders: dict[str, Sender],
    clock: Clock,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` that runs the clock inside the web process."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_clock(settings, factory, senders, clock, stop))
        yield
        stop.set()
        await task

    return ctx


def main_clock(settings: Settings, factory: sessionmaker[Session]) -> int:
    """``mentorbot clock``: run until SIGINT or SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # each send makes two short database calls in threads (reserve, record): enough
        # threads that the send slots do not queue for them
        loop.set_default_executor(
            ThreadPoolExecutor(max_workers=min(32, settings.delivery_concurrency) + 4)
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_clock(
            settings, factory, build_senders(settings), clock_from_settings(settings), stop
        )

    asyncio.run(main())
    return 0
