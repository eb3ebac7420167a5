"""Memory of ``mentorbot serve`` under bursts of Slack events: the work behind the acks is bounded.

    .venv/bin/python -m bench.serve_memory [--bursts 10000 50000] [--concurrency 400]

Seeds a SQLite database with ``--people`` Slack-linked participants, starts the local double of
Slack's Web API and ``mentorbot serve`` (a subprocess), then for each burst sends that many
signed ``message.im`` events (``status``: a real engine turn each) from ``--concurrency``
connections at once, as fast as the server accepts them, and waits until every reply was
posted to the double. It prints the process's resident memory (``VmRSS``) idle and after each
burst, and its peak (``VmHWM``). Target: RSS after 10,000 and after 50,000 events within 10 %
of each other and at most 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.slack_ingress import (
    REPLIES,
    SECRET,
    TEAM,
    TOKEN,
    closed_loop,
    free_port,
    seed,
    signed_event,
    stop,
    wait_healthy,
)
from testsupport.slack_api import SlackApiDouble


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def posted(api: SlackApiDouble) -> int:
    """Replies the double has seen so far."""
    return sum(1 for call in api.calls if call.method == "chat.postMessage")


async def drained(api: SlackApiDouble, expected: int, stalled: float) -> float | None:
    """Seconds until ``expected`` replies were posted to the double; None only when no new
    reply came for ``stalled`` seconds (a slow machine is waited for, a stuck server not)."""
    started = last_change = time.perf_counter()
    seen = posted(api)
    while seen < expected:
        await asyncio.sleep(0.5)
        now, count = time.perf_counter(), posted(api)
        if count != seen:
            seen, last_change = count, now
        elif now - last_change > stalled:
            return None
    return time.perf_counter() - started


async def progress(api: SlackApiDouble, pid: int, label: str, every: float) -> None:
    """A line every ``every`` seconds while a burst runs: replies so far and the RSS, so a
    long burst shows its figures as it goes."""
    started = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        rss, peak = memory_mb(pid)
        print(
            f"    {label}: {time.perf_counter() - started:.0f} s, {posted(api):,} replies "
            f"posted in all, RSS {rss:.0f} MB (peak so far {peak:.0f} MB)",
            flush=True,
        )


async def burst(url: str, users: list[str], n: int, concurrency: int) -> int:
    """``n`` events from ``concurrency`` connections as fast as the server takes them; a
    request may wait for its ack as long as the backlog needs (Slack would retry after 3 s:
    the same event id, de-duplicated). No overall time limit: a burst takes what it takes."""
    errors = 0
    left = iter(range(n))
    timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def connection() -> None:
            nonlocal errors
            for i in left:
                body, headers = signed_event(users[i % len(users)], "status")
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    errors += response.status != 200

        await asyncio.gather(*(connection() for _ in range(concurrency)))
    return errors


async def main(args: argparse.Namespace) -> int:
    api = SlackApiDouble(team_id=TEAM)
    api.calls = REPLIES  # the warm-up's closed loop waits for each event's reply here
    await api.start()
    after: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        users = seed(db, args.people, api)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "PORT": str(port),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "",
            "SLACK_API_URL": api.api_url,
            "MENTORBOT_LOG_LEVEL": "WARNING",
        }
        mentorbot = str(Path(sys.executable).with_name("mentorbot"))
        serve = subprocess.Popen([mentorbot, "serve"], env=env, cwd=tmp)
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_healthy(url, serve)
            await closed_loop("warm-up", url + "/slack/events", users, 100, 10)
            await drained(api, 100, args.drain_timeout)
            idle, _ = memory_mb(serve.pid)
            print(
                f"serve memory: {args.people} people, bursts from {args.concurrency} connections",
                flush=True,
            )
            print(f"  idle after warm-up: RSS {idle:.0f} MB", flush=True)
            for n in args.bursts:
                before = posted(api)
                started = time.perf_counter()
                watch = asyncio.create_task(
                    progress(api, serve.pid, f"burst of {n:,}", args.report_every)
                )
                try:
                    errors = await burst(url + "/slack/events", users, n, args.concurrency)
                    took = await drained(api, before + n, args.drain_timeout)
                finally:
                    watch.cancel()
                elapsed = time.perf_counter() - started
                rss, peak = memory_mb(serve.pid)
                after.append(rss)
                print(
                    f"  after {n:,} events: RSS {rss:.0f} MB (peak so far {peak:.0f} MB); "
                    f"{n - errors:,} acked, {errors} errors; every reply posted: "
                    f"{took is not None}; {n / elapsed:.0f} events/s end to end "
                    f"({elapsed:.0f} s)",
                    flush=True,
                )
        finally:
            stop(serve)
            await api.stop()
    spread = (max(after) - min(after)) / min(after) if after else 0.0
    ok = spread <= 0.10 and max(after) <= 200
    print(f"  spread between bursts {spread:.1%}; target within 10 % and <= 200 MB: {ok}")
    print("reproduce: .venv/bin/python -m bench.serve_memory " + " ".join(sys.argv[1:]))
    return 0 if ok else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--concurrency", type=int, default=400)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=300.0,
        help="give up waiting for the replies only after this many seconds without a new one",
    )
    parser.add_argument(
        "--report-every", type=float, default=60.0, help="seconds between progress lines"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args(sys.argv[1:]))))
