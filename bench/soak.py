"""Soak: two ``serve`` and two ``clock`` processes on PostgreSQL, simulated weeks, random kills.

    .venv/bin/python -m bench.soak --database-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--pairs 1000] [--weeks 8] [--kills 25] [--seed 1]

What it does, all on 127.0.0.1:

1. creates a fresh database ``mentorbot_soak`` on that server, migrates it, seeds ``--pairs``
   active pairs (people linked to Slack users, meetings every two weeks);
2. starts a local double of Slack's ``chat.postMessage`` that enforces the workspace and
   per-channel limits and records the outbox key of every post (the clocks send there), and a
   double of the rest of Slack's Web API for the ``serve`` processes' direct replies;
3. starts two ``mentorbot clock`` and two ``mentorbot serve`` processes, all reading simulated
   time from one file, and walks the working days of ``--weeks`` weeks (two moments a day, as
   the nudge rules need), while people write ``status`` to the bot through both servers;
4. ``--kills`` times, at random steps, SIGKILLs or SIGTERMs (at random) one of the four
   processes that is up and starts it again; right after each SIGKILL of a clock it notes the
   rows the outbox shows ``sending`` — the stated crash window is among them;
5. runs four more days so that everything due is due, waits for the outbox to drain, stops.

It prints expected and sent nudges (expected: computed from the meetings, as the tests do),
missing ones, duplicates inside and outside the stated window (at most
``MENTORBOT_DELIVERY_CONCURRENCY`` per SIGKILL, none per SIGTERM), rate violations (seconds
over the workspace limit, channel-seconds over the per-channel limit, 429s the double had to
answer), and the peak memory of each process. Exit code 0 only when nothing is missing, no
duplicate is outside the window, a SIGTERM duplicated nothing, and no limit was broken.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import psycopg
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.slack_ingress import SECRET, free_port
from storage.db import make_engine, normalise_url, upgrade
from storage.models import Outbox, OutboxStatus, PlatformIdentity
from testsupport.clock_world import (
    START,
    expected_keys,
    wait_for_sweeps,
    working_day_moments,
)
from testsupport.seed import seed_pairs
from testsupport.slack_api import DoubleConfig, SlackApiDouble
from testsupport.slack_api import ThreadedSlackApi as SlackPostDouble

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 8
PER_CHANNEL = 1.0


@dataclass
class Proc:
    role: str
    args: list[str]
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    health: str | None = None
    peak_mb: float = 0.0
    restarts: int = 0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def ready(self, warm: float) -> bool:
        """Running long enough to have its signal handlers (a server: answering /healthz)."""
        if self.popen is None or self.popen.poll() is not None:
            return False
        if time.monotonic() - self.started_at < warm:
            return False
        if self.health is None:
            return True
        try:
            with urllib.request.urlopen(self.health, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def sample(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def signal(self, sig: signal.Signals) -> int | None:
        assert self.popen is not None
        self.sample()
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(40)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
            return None


@dataclass
class Tally:
    kills: int = 0
    terms: int = 0
    term_failures: list[str] = field(default_factory=list)
    windows: list[set[str]] = field(default_factory=list)  # rows sending at each SIGKILL
    events: int = 0
    event_errors: int = 0


class SoakDouble(SlackPostDouble):
    """The post double, noting each refusal for the limits: when, which channel, and how long
    after that channel's last accepted post (what the report needs to name a cause)."""

    refusals: list[tuple[float, str, float | None]]

    def _allowed(self, channel: str, now: float) -> bool:
        allowed = super()._allowed(channel, now)
        if not allowed:
            last = next((p.at for p in reversed(self.posts) if p.channel == channel), None)
            self.__dict__.setdefault("refusals", []).append(
                (now, channel, None if last is None else now - last)
            )
        return allowed


class ApiThread:
    """The full Slack Web API double (for ``serve``) on its own event loop thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.api = SlackApiDouble()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self.loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _admin_url(base: str) -> str:
    url = make_url(normalise_url(base))
    return url.set(drivername="postgresql", database="postgres").render_as_string(False)


def drop_database(base: str, name: str) -> None:
    """Remove a soak's database (the soak keeps it for a look afterwards; tests do not)."""
    with psycopg.connect(_admin_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(base: str, name: str) -> str:
    url = make_url(normalise_url(base))
    drop_database(base, name)
    with psycopg.connect(_admin_url(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = url.set(database=name).render_as_string(False)
    upgrade(target)
    return target


def count(engine: Engine, *where: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count(Outbox.id)).where(*where)) or 0)


def drained(engine: Engine, now: datetime) -> bool:
    return (
        count(engine, Outbox.status == OutboxStatus.SENDING.value) == 0
        and count(
            engine, Outbox.status == OutboxStatus.PENDING.value, Outbox.next_attempt_at <= now
        )
        == 0
    )


def wait_drained(engine: Engine, now: datetime, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if drained(engine, now):
            return True
        time.sleep(0.2)
    return False


def sending_keys(engine: Engine) -> set[str]:
    """Rows ``sending`` right after a SIGKILL: the killed clock's in-flight sends are among
    them (with the live clock's, which its own records settle)."""
    with Session(engine) as s:
        return set(
            s.scalars(select(Outbox.dedupe_key).where(Outbox.status == OutboxStatus.SENDING.value))
        )


_event_ids = itertools.count(1)


def signed_dm(user: str, text: str) -> tuple[bytes, dict[str, str]]:
    import hashlib
    import hmac

    now = time.time()
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0MENTOR",
            "event_id": f"EvSOAK{next(_event_ids):010d}",
            "event_time": int(now),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user[1:]}",
                "user": user,
                "text": text,
                "ts": f"{now:.6f}",
            },
        }
    ).encode()
    ts = str(int(now))
    sig = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return body, {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + sig.hexdigest(),
    }


async def talk(urls: list[str], users: list[str], n: int, rng: random.Random, tally: Tally) -> None:
    """``n`` people write ``status`` to one of the servers (a server being restarted may
    refuse: Slack would retry, so an error here is counted, not fatal)."""
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one() -> None:
            body, headers = signed_dm(rng.choice(users), "status")
            try:
                async with session.post(rng.choice(urls), data=body, headers=headers) as r:
                    await r.read()
                    tally.events += 1
                    tally.event_errors += r.status != 200
            except (aiohttp.ClientError, TimeoutError):
                tally.event_errors += 1

        await asyncio.gather(*(one() for _ in range(n)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("MENTORBOT_SOAK_DATABASE_URL"))
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="mentorbot_soak", help="database to (re)create")
    parser.add_argument("--workspace-rate", type=float, default=200.0)
    parser.add_argument("--step", type=float, default=0.3, help="least real seconds per moment")
    parser.add_argument("--events", type=int, default=20, help="DMs to the servers per moment")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds a moment may take")
    parser.add_argument(
        "--warm",
        type=float,
        default=8.0,
        help="seconds before a restarted process may be stopped again",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (a PostgreSQL server) is required")
    started = time.monotonic()
    rng = random.Random(args.seed)
    url = fresh_database(args.database_url, args.name)
    engine = make_engine(url)
    seed_pairs(engine, args.pairs, START)
    double = SoakDouble(
        DoubleConfig(per_channel_rate=PER_CHANNEL, workspace_rate=args.workspace_rate)
    ).start()
    events: list[tuple[float, str]] = []  # (time.monotonic(), what): kills, to place refusals
    api = ApiThread()
    clock_file = Path(f"/tmp/mentorbot-soak-{os.getpid()}.now")

    def set_time(when: datetime) -> None:
        tmp = clock_file.with_suffix(".tmp")
        tmp.write_text(when.isoformat(), "utf-8")
        tmp.replace(clock_file)

    set_time(START)
    base = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-soak",
        "MENTORBOT_CLOCK_FILE": str(clock_file),
        "MENTORBOT_LOG_LEVEL": "WARNING",
    }
    clock_env = {
        **base,
        "SLACK_API_URL": double.api_url,
        "MENTORBOT_SWEEP_INTERVAL_SECONDS": "0.3",
        "MENTORBOT_DELIVERY_INTERVAL_SECONDS": "0.2",
        "MENTORBOT_CLOCK_MISFIRE_GRACE": "5",
        "MENTORBOT_DELIVERY_LEASE_SECONDS": "10",
        "MENTORBOT_DELIVERY_BASE_BACKOFF_SECONDS": "1",
        "MENTORBOT_DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "MENTORBOT_SLACK_RATE_PER_CHANNEL": str(PER_CHANNEL),
        "MENTORBOT_SLACK_RATE_WORKSPACE": str(args.workspace_rate),
    }
    procs = [Proc("clock", ["clock"], clock_env) for _ in range(2)]
    ports = [free_port(), free_port()]
    procs += [
        Proc(
            "serve",
            ["serve"],
            {
                **base,
                "PORT": str(port),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_APP_TOKEN": "",
                "SLACK_API_URL": api.api.api_url,
            },
            health=f"http://127.0.0.1:{port}/healthz",
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}/slack/events" for port in ports]
    with Session(engine) as s:
        users = list(s.scalars(select(PlatformIdentity.platform_user_id)))
    tally = Tally()
    end = START + timedelta(weeks=args.weeks)
    moments = list(working_day_moments(START, end + timedelta(days=4)))
    kill_at = set(rng.sample(range(2, max(3, len(moments) - 4)), min(args.kills, len(moments) - 6)))
    slow_steps = 0
    for p in procs:
        p.start()
    time.sleep(3.0)  # the processes start (imports, migrations checked)
    try:
        for i, now in enumerate(moments):
            set_time(now)
            time.sleep(args.step)
            if not wait_for_sweeps(engine, 2, timeout=args.drain):
                slow_steps += 1
            if args.events:
                asyncio.run(talk(urls, users, args.events, rng, tally))
            # a process still importing has no signal handlers yet: only running ones
            ready = [p for p in procs if p.ready(args.warm)]
            if i in kill_at and ready:
                victim = rng.choice(ready)
                sig = rng.choice([signal.SIGKILL, signal.SIGTERM])
                events.append((time.monotonic(), f"{sig.name} {victim.role}"))
                code = victim.signal(sig)
                if sig == signal.SIGKILL:
                    tally.kills += 1
                    if victim.role == "clock":  # before any lease can run out (10 s)
                        earlier = set().union(*tally.windows) if tally.windows else set()
                        tally.windows.append(sending_keys(engine) - earlier)
                else:
                    tally.terms += 1
                    if code != 0:
                        tally.term_failures.append(f"{victim.role} exited {code} on SIGTERM")
                victim.restarts += 1
                victim.start()
            if not wait_drained(engine, now, timeout=args.drain):
                slow_steps += 1
            for p in procs:
                p.sample()
        finished = wait_drained(engine, now, timeout=120)
    finally:
        for p in procs:
            if p.popen is not None and p.popen.poll() is None:
                code = p.signal(signal.SIGTERM)
                if code != 0:
                    tally.term_failures.append(f"{p.role} exited {code} at the end")
    with Session(engine) as s:
        sent = set(
            s.scalars(select(Outbox.dedupe_key).where(Outbox.status == OutboxStatus.SENT.value))
        )
        dead = count(engine, Outbox.status == OutboxStatus.DEAD.value)
    expected = expected_keys_for(engine, end)
    missing = expected - sent
    dups = double.duplicates()
    window = set().union(*tally.windows) if tally.windows else set()
    inside, outside = dups & window, dups - window
    per_kill = max((len(dups & w) for w in tally.windows), default=0)
    over_overall, over_channel = double.violations(PER_CHANNEL, args.workspace_rate)
    double.stop()
    api.stop()
    clock_file.unlink(missing_ok=True)
    engine.dispose()
    print(
        f"soak: {args.pairs} pairs, {args.weeks} simulated weeks ({len(moments)} moments), "
        f"2 clock + 2 serve processes on PostgreSQL, {tally.kills} SIGKILL + {tally.terms} "
        f"SIGTERM, limits {PER_CHANNEL:g}/s per channel and {args.workspace_rate:g}/s workspace"
    )
    kinds = sorted({k.split(":")[0] for k in missing})
    print(
        f"  expected nudges {len(expected)}, sent rows {len(sent)}, missing {len(missing)}"
        + (f" ({', '.join(kinds)})" if missing else "")
    )
    print(f"  posts accepted by the double {len(double.posts)}, dead rows {dead}")
    print(
        f"  duplicates: {len(inside)} inside the SIGKILL window (at most {CONCURRENCY} per "
        f"SIGKILL; the most after one: {per_kill}), {len(outside)} outside"
    )
    print(
        f"  rate violations: {over_overall} seconds over the workspace limit, {over_channel} "
        f"channel-seconds over the channel limit, {double.limited} 429s from the double"
    )
    print(
        f"  people's DMs to the servers: {tally.events} answered, {tally.event_errors} refused "
        f"(a server restarting); steps not swept twice or not drained in {args.drain:g} s: "
        f"{slow_steps}; "
        f"drained at the end: {finished}"
    )
    for n, p in enumerate(procs):
        print(f"  {p.role} {n % 2 + 1}: peak RSS {p.peak_mb:.0f} MB, restarted {p.restarts}x")
    for failure in tally.term_failures:
        print(f"  ! {failure}")
    for at, channel, gap in double.__dict__.get("refusals", []):
        near = [f"{what} {at - t:+.1f} s" for t, what in events if abs(at - t) < 30]
        since = "first post" if gap is None else f"{gap * 1000:.0f} ms after the channel's last"
        print(f"  ! 429 for channel {channel}: {since}; {', '.join(near) or 'no stop near'}")
    print(f"  took {time.monotonic() - started:.0f} s")
    given = sys.argv[1:] if argv is None else argv
    print("reproduce: .venv/bin/python -m bench.soak " + " ".join(given))
    ok = (
        not missing
        and not outside
        and per_kill <= CONCURRENCY
        and not tally.term_failures
        and over_overall == 0
        and over_channel == 0
        and double.limited == 0
        and finished
    )
    return 0 if ok else 1


def expected_keys_for(engine: Engine, until: datetime) -> set[str]:
    """The nudges the rules owe between START and ``until`` (as the process tests compute)."""
    return expected_keys(SimpleNamespace(engine=engine), until)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
