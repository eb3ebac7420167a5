"""Delivery benchmark: 5,000 messages through the Slack sender to a local chat.postMessage double.

    .venv/bin/python -m bench.delivery_bench --messages 5000 --workspace-rate 100

The double (``testsupport/slack_api.py``) answers after 20 ms and enforces Slack-like limits
itself: 1 post per second per channel and the workspace budget, answering 429 with
``Retry-After`` when exceeded. The bot's sender is the real ``adapters.slack.sender.SlackSender``
on slack_sdk's ``AsyncWebClient`` pointed at the double (``SLACK_API_URL``), and the bot's rate
limiter is configured with the same limits.

Run 1: every message to its own DM channel — the achieved rate as a fraction of the configured
workspace limit, and the number of 429s the bot provoked (target 0).
Run 2: the double also answers 429 + ``Retry-After: 1`` to 10 % of calls and 500 to 5 % at
random; the worker retries (backoff with jitter) until all are sent — each exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.sender import SlackSender
from bot.delivery import DeliveryConfig, DeliveryWorker
from bot.ratelimit import PlatformLimit, RateLimiter
from bot.slack_client import KeyedWebClient
from conversations.messages import Message
from conversations.outbox import insert_ignoring_duplicates, outbox_row
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Outbox, OutboxStatus, Person
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, ThreadedSlackApi


def queue(factory: sessionmaker[Session], n: int, tag: str) -> set[str]:
    now = datetime.now(UTC)
    with transaction(factory) as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id).limit(n)))
        rows = [
            outbox_row(
                person_id=pid,
                kind="bench",
                message=Message().text(f"Reminder {tag} for person {pid}: meeting tomorrow."),
                dedupe_key=f"bench:{tag}:{pid}",
                due_at=now,
                now=now,
            )
            for pid in ids
        ]
        insert_ignoring_duplicates(s, rows)
    return {r["dedupe_key"] for r in rows}


async def run(
    factory: sessionmaker[Session],
    double: ThreadedSlackApi,
    keys: set[str],
    rate: float,
    deadline_s: float,
) -> float:
    client = KeyedWebClient(token="xoxb-bench", base_url=double.api_url)
    worker = DeliveryWorker(
        factory,
        {"slack": SlackSender(client)},
        RateLimiter({"slack": PlatformLimit(per_channel=1.0, overall=rate)}),
        DeliveryConfig(max_attempts=20, batch_size=500, concurrency=64,
                       base_backoff=timedelta(seconds=1)),
        rng=random.Random(5),
    )  # fmt: skip
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        await worker.deliver_due(datetime.now(UTC))
        with factory() as s:
            left = s.scalar(
                select(func.count(Outbox.id)).where(
                    Outbox.dedupe_key.in_(keys), Outbox.status != OutboxStatus.SENT.value
                )
            )
        if not left:
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    if client.session is not None:
        await client.session.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workspace-rate", type=float, default=100.0)
    parser.add_argument("--latency", type=float, default=0.020)
    args = parser.parse_args(argv)
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='mentorbot-bench-')) / 'delivery.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_pairs(engine, args.messages // 2 + 1, datetime.now(UTC), with_supervisors=False)
    factory = make_session_factory(engine)
    print(
        f"delivery benchmark: {args.messages} messages, double latency "
        f"{args.latency * 1000:.0f} ms, limits 1/s per channel and "
        f"{args.workspace_rate:.0f}/s per workspace (bot and double)"
    )
    for tag, fail_429, fail_500 in (("clean", 0.0, 0.0), ("faulty", 0.10, 0.05)):
        double = ThreadedSlackApi(
            DoubleConfig(
                latency=args.latency,
                per_channel_rate=1.0,
                workspace_rate=args.workspace_rate,
                fail_429=fail_429,
                fail_500=fail_500,
                retry_after=1,
            )
        ).start()
        keys = queue(factory, args.messages, tag)
        budget = 4 * args.messages / args.workspace_rate + 60
        elapsed = asyncio.run(run(factory, double, keys, args.workspace_rate, budget))
        double.stop()
        posted = double.keys()
        delivered = len(set(posted) & keys)
        rate = delivered / elapsed
        print(
            f"  {tag}: {delivered}/{len(keys)} delivered in {elapsed:.1f} s = {rate:.1f}/s "
            f"= {rate / args.workspace_rate:.2f} of the configured limit; "
            f"429s provoked by the bot: {double.limited}; "
            f"injected 429s: {double.status_counts[429] - double.limited}, "
            f"500s: {double.status_counts[500]}; "
            f"duplicates: {len(double.duplicates())}; "
            f"exactly once: {delivered == len(keys) and not double.duplicates()}"
        )
    print("reproduce: .venv/bin/python -m bench.delivery_bench " + " ".join(sys.argv[1:]))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
