"""Slack ingress: signed DM events against ``mentorbot serve`` and against a bare Bolt app.

Everything runs on 127.0.0.1 and is bounded (request counts and timeouts); nothing calls
slack.com. The script

1. seeds a fresh SQLite database with one programme and ``--people`` participants, already
   linked to Slack users (so every event is a real ``status`` turn of the engine),
2. starts a local double of Slack's Web API (the one the tests use),
3. starts ``mentorbot serve`` (a subprocess, ``SLACK_API_URL`` pointing at the double) and a
   bare slack-bolt ``AsyncApp`` that answers each DM with one ``say()`` (a subprocess too),
4. sends each of them, with the same load generator, ``--requests`` signed ``message.im``
   events at concurrency ``--concurrency`` (closed loop: each sender waits for the reply to
   its event before the next), then ``--rate`` events per second for ``--seconds`` (open
   loop: latency at a steady rate),
5. prints, per app, event→reply throughput and p50/p99 latency, where the reply is the
   ``chat.postMessage`` to the person's DM channel seen at the API double, and the ack
   latency beside it.

    .venv/bin/python bench/slack_ingress.py [--requests 1000] [--concurrency 20]
                                            [--rate 50] [--seconds 10]

Targets: event→reply throughput ≥ 0.3× bare Bolt's in the same run; p99 event→reply
< 250 ms at 50 events/s.
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
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Web API double lives with the tests

from testsupport.slack_api import SlackApiDouble  # noqa: E402

RATIO_TARGET = 0.3
P99_TARGET_MS = 250.0

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM = "T0BENCH"


# --- the bare Bolt app (run as a subprocess: --bare PORT API_URL) -------------------------


def run_bare(port: int, api_url: str) -> None:
    """A slack-bolt AsyncApp on aiohttp whose only listener answers a DM with one ``say()``."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
    )

    @bolt.event("message")
    async def reply(say: Any) -> None:
        await say("ok")

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


class Replies(list[Any]):
    """The double's call log, which also wakes whoever waits for a reply in a DM channel:
    each ``chat.postMessage`` answers the oldest event still waiting in its channel."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, deque[asyncio.Future[float]]] = {}

    def append(self, call: Any) -> None:
        super().append(call)
        if call.method != "chat.postMessage":
            return
        queue = self.waiting.get(str(call.args.get("channel")))
        while queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(time.perf_counter())
                return

    def expect(self, channel: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(channel, deque()).append(future)
        return future


REPLIES = Replies()


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def throughput(self) -> float:
        """Events answered per second (the reply seen at the API double)."""
        return len(self.replies) / self.seconds if self.seconds else 0.0

    @staticmethod
    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def one(session: aiohttp.ClientSession, url: str, user: str, run: Run) -> None:
    """One ``status`` event: its ack and its reply, in seconds from sending it."""
    body, headers = signed_event(user, "status")
    answered = REPLIES.expect(f"D{user}")
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        ok = response.status == 200
    run.acks.append(time.perf_counter() - started)
    try:
        replied = await asyncio.wait_for(answered, timeout=30) if ok else None
    except TimeoutError:
        replied = None
    if replied is None:
        run.errors += 1
    else:
        run.replies.append(replied - started)


async def closed_loop(name: str, url: str, users: list[str], n: int, concurrency: int) -> Run:
    """``n`` events, ``concurrency`` senders; each waits for its reply before the next event.
    Each sender has its own people, so no two events of one person are in flight at once."""
    counter = itertools.count()
    timeout = aiohttp.ClientTimeout(total=30)
    run = Run(name, n, 0.0)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def sender(k: int) -> None:
            own = users[k::concurrency] or [users[k % len(users)]]
            for turn in itertools.count():
                if next(counter) >= n:
                    return
                await one(session, url, own[turn % len(own)], run)

        started = time.perf_counter()
        await asyncio.gather(*(sender(k) for k in range(concurrency)))
        run.seconds = time.perf_counter() - started
    return run


async def open_loop(name: str, url: str, users: list[str], rate: float, seconds: float) -> Run:
    """``rate`` events per second for ``seconds``, each sent on schedule (no waiting)."""
    n = int(rate * seconds)
    timeout = aiohttp.ClientTimeout(total=30)
    run = Run(name, n, 0.0)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout
    ) as session:

        async def fire(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await one(session, url, users[i % len(users)], run)

        started = time.perf_counter()
        await asyncio.gather(*(fire(i, started + i / rate) for i in range(n)))
        run.seconds = time.perf_counter() - started
    return run


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


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def main(args: argparse.Namespace) -> int:
    api = SlackApiDouble(team_id=TEAM)
    api.calls = REPLIES
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

            results: list[Run] = []
            n, c = args.requests, args.concurrency
            results.append(await closed_loop("bare bolt", bare_url + "/slack/events", users, n, c))
            results.append(
                await closed_loop("mentorbot serve", serve_url + "/slack/events", users, n, c)
            )
            rate, secs = args.rate, args.seconds
            results.append(
                await open_loop("bare bolt", bare_url + "/slack/events", users, rate, secs)
            )
            results.append(
                await open_loop("mentorbot serve", serve_url + "/slack/events", users, rate, secs)
            )
        finally:
            stop(serve)
            stop(bare)
            await api.stop()
    report(args, results)
    ratio = results[1].throughput / results[0].throughput
    ok = (
        ratio >= RATIO_TARGET
        and Run.pct(results[3].replies, 99) < P99_TARGET_MS
        and not any(r.errors for r in results)
    )
    return 0 if ok else 1


def report(args: argparse.Namespace, results: list[Run]) -> None:
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
    print(
        "| load | app | events | replies/s | p50 reply (ms) | p99 reply (ms) | p50 ack (ms) "
        "| p99 ack (ms) | errors |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    loads = [f"closed loop, concurrency {args.concurrency}"] * 2 + [
        f"open loop, {args.rate:g} events/s for {args.seconds:g} s"
    ] * 2
    for load, r in zip(loads, results, strict=True):
        print(
            f"| {load} | {r.name} | {r.requests} | {r.throughput:.0f} | "
            f"{Run.pct(r.replies, 50):.1f} | {Run.pct(r.replies, 99):.1f} | "
            f"{Run.pct(r.acks, 50):.1f} | {Run.pct(r.acks, 99):.1f} | {r.errors} |"
        )
    print()
    ratio = results[1].throughput / results[0].throughput
    print(
        f"event→reply throughput mentorbot/bare (closed loop): {ratio:.2f}  "
        f"(target ≥ {RATIO_TARGET})"
    )
    print(
        f"p99 event→reply at {args.rate:g} events/s: {Run.pct(results[3].replies, 99):.1f} ms  "
        f"(target < {P99_TARGET_MS:g} ms)"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="closed-loop events")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="open-loop events/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--people", type=int, default=40, help="linked participants")
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
