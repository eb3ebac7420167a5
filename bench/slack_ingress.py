"""Slack ingress: signed DM events against ``mentorbot serve`` and against a bare Bolt app.

Everything runs on 127.0.0.1 and is bounded (request counts and timeouts); nothing calls
slack.com. The script

1. seeds a fresh SQLite database with one programme and ``--people`` participants, already
   linked to Slack users (so every event is a real ``status`` turn of the engine),
2. starts a local double of Slack's Web API (the one the tests use),
3. starts ``mentorbot serve`` (a subprocess, ``SLACK_API_URL`` pointing at the double) and a
   bare slack-bolt ``AsyncApp`` that only acks (a subprocess of this script),
4. sends each of them, with the same load generator, ``--requests`` signed ``message.im``
   events at concurrency ``--concurrency`` (closed loop: throughput), then ``--rate`` events
   per second for ``--seconds`` (open loop: latency at a steady rate),
5. prints throughput, the ratio serve/bare, p50/p99 latency of the acks, and how long the
   engine took to finish the work behind the acks (every reply posted to the double).

    .venv/bin/python bench/slack_ingress.py [--requests 2000] [--concurrency 20]
                                            [--rate 100] [--seconds 10]

Targets: ratio ≥ 0.5; p99 < 100 ms at 100 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Web API double lives with the tests

from testsupport.slack_api import SlackApiDouble  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM = "T0BENCH"


# --- the bare Bolt app (run as a subprocess: --bare PORT API_URL) -------------------------


def run_bare(port: int, api_url: str) -> None:
    """A slack-bolt AsyncApp on aiohttp whose only listener acks DM events."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
    )

    @bolt.event("message")
    async def ack_only() -> None:
        return None

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- load generator -------------------------------------------------------------------------


_event_ids = itertools.count(1)


def signed_event(user: str, text: str) -> tuple[bytes, dict[str, str]]:
    now = time.time()
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0BENCH",
            "type": "event_callback",
            "event_id": f"EvBENCH{next(_event_ids):010d}",
            "event_time": int(now),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": f"{now:.6f}",
                "event_ts": f"{now:.6f}",
            },
        }
    ).encode()
    ts = str(int(now))
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
    }
    return body, headers


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def one(session: aiohttp.ClientSession, url: str, user: str) -> tuple[float, bool]:
    body, headers = signed_event(user, "status")
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        ok = response.status == 200
    return time.perf_counter() - started, ok


async def closed_loop(name: str, url: str, users: list[str], n: int, concurrency: int) -> Run:
    """``n`` requests, ``concurrency`` at a time, as fast as the server acks."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def worker() -> None:
            nonlocal errors
            while (i := next(counter)) < n:
                latency, ok = await one(session, url, users[i % len(users)])
                latencies.append(latency)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Run(name, n, elapsed, latencies, errors)


async def open_loop(name: str, url: str, users: list[str], rate: float, seconds: float) -> Run:
    """``rate`` requests per second for ``seconds``, each sent on schedule (no waiting)."""
    n = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout
    ) as session:

        async def fire(i: int, at: float) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            latency, ok = await one(session, url, users[i % len(users)])
            latencies.append(latency)
            errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(fire(i, started + i / rate) for i in range(n)))
        elapsed = time.perf_counter() - started
    return Run(name, n, elapsed, latencies, errors)


# --- servers --------------------------------------------------------------------------------


def seed(db: Path, people: int, api: SlackApiDouble) -> list[str]:
    """A programme with ``people`` participants, linked to Slack users with their DM channel."""
    from bot import admin
    from bot.app import open_database
    from storage.db import transaction
    from storage.models import PlatformIdentity

    factory = open_database(f"sqlite:///{db}")
    now = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    users = []
    with transaction(factory) as session:
        admin.create_programme(session, now, "Bench", "", admin.ProgrammeFrame(duration_months=6))
        persons = []
        for n in range(people):
            email = f"person{n}@bench.example"
            person = admin.add_person(session, now, email, f"Person {n}")
            person.onboarded_at = now
            persons.append(person)
            user = f"UBENCH{n:04d}"
            api.add_user(user, email, f"Person {n}")
            session.add(
                PlatformIdentity(
                    person=person,
                    platform="slack",
                    platform_user_id=user,
                    address={"channel": f"D{user}"},
                    last_seen_at=now,
                )
            )
            users.append(user)
        for n in range(0, people - 1, 2):
            admin.add_pair(
                session, now, "Bench", persons[n].email or "", persons[n + 1].email or ""
            )
    return users


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in {timeout} s")


async def drained(api: SlackApiDouble, expected: int, timeout: float) -> float | None:
    """Seconds until ``expected`` replies were posted to the double (None on timeout)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if len(api.of("chat.postMessage")) >= expected:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    return None


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def main(args: argparse.Namespace) -> int:
    api = SlackApiDouble(team_id=TEAM)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        users = seed(db, args.people, api)
        serve_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "PORT": str(serve_port),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "",
            "SLACK_API_URL": api.api_url,
            "MENTORBOT_LOG_LEVEL": "WARNING",
        }
        mentorbot = str(Path(sys.executable).with_name("mentorbot"))
        serve = subprocess.Popen([mentorbot, "serve"], env=env, cwd=tmp)
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare", str(bare_port), api.api_url], cwd=tmp
        )
        try:
            serve_url = f"http://127.0.0.1:{serve_port}"
            bare_url = f"http://127.0.0.1:{bare_port}"
            await asyncio.gather(wait_healthy(serve_url, serve), wait_healthy(bare_url, bare))
            # warm-up: the first request of each app calls auth.test; the engine warms up
            await closed_loop("warm-up", bare_url + "/slack/events", users, 50, 5)
            await closed_loop("warm-up", serve_url + "/slack/events", users, 50, 5)
            await drained(api, 50, args.drain_timeout)

            results: list[Run] = []
            drain: dict[str, float | None] = {}
            n, c = args.requests, args.concurrency
            results.append(await closed_loop("bare bolt", bare_url + "/slack/events", users, n, c))
            posted = len(api.of("chat.postMessage"))
            results.append(
                await closed_loop("mentorbot serve", serve_url + "/slack/events", users, n, c)
            )
            drain["closed"] = await drained(api, posted + n, args.drain_timeout)
            rate, secs = args.rate, args.seconds
            results.append(
                await open_loop("bare bolt", bare_url + "/slack/events", users, rate, secs)
            )
            posted = len(api.of("chat.postMessage"))
            results.append(
                await open_loop("mentorbot serve", serve_url + "/slack/events", users, rate, secs)
            )
            drain["open"] = await drained(api, posted + int(rate * secs), args.drain_timeout)
        finally:
            stop(serve)
            stop(bare)
            await api.stop()
    report(args, results, drain)
    ratio = results[1].throughput / results[0].throughput
    ok = ratio >= 0.5 and results[3].pct(99) < 100 and not any(r.errors for r in results)
    return 0 if ok else 1


def report(args: argparse.Namespace, results: list[Run], drain: dict[str, float | None]) -> None:
    command = " ".join(
        [".venv/bin/python bench/slack_ingress.py"]
        + [
            f"--{k.replace('_', '-')} {shlex.quote(str(v))}"
            for k, v in vars(args).items()
            if k != "bare" and v is not None
        ]
    )
    print(f"$ {command}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs (load average {load} at the end); "
        f"SQLite; {args.people} linked people; loopback only"
    )
    print()
    print("| load | app | requests | throughput (req/s) | p50 ack (ms) | p99 ack (ms) | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    loads = [f"closed loop, concurrency {args.concurrency}"] * 2 + [
        f"open loop, {args.rate:g} req/s for {args.seconds:g} s"
    ] * 2
    for load, r in zip(loads, results, strict=True):
        print(
            f"| {load} | {r.name} | {r.requests} | {r.throughput:.0f} | {r.pct(50):.1f} | "
            f"{r.pct(99):.1f} | {r.errors} |"
        )
    print()
    ratio = results[1].throughput / results[0].throughput
    print(f"throughput ratio mentorbot/bare (closed loop): {ratio:.2f}  (target ≥ 0.5)")
    print(f"p99 ack at {args.rate:g} req/s: {results[3].pct(99):.1f} ms  (target < 100 ms)")
    for name, seconds in drain.items():
        shown = f"{seconds:.1f} s" if seconds is not None else f"not within {args.drain_timeout} s"
        print(f"engine work behind the acks ({name} loop) finished {shown} after the last ack")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="closed-loop requests")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop requests/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--people", type=int, default=40, help="linked participants")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "API_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.requests > 100_000 or args.rate * args.seconds > 100_000:
        parser.error("keep it bounded: at most 100,000 requests per phase")
    return args


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    if arguments.bare:
        run_bare(int(arguments.bare[0]), arguments.bare[1])
    else:
        raise SystemExit(asyncio.run(main(arguments)))
