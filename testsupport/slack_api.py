"""The local double of Slack's Web API, for tests and benchmarks alike: an aiohttp server on
127.0.0.1 that records every call.

It answers with the response shapes Slack documents (``{"ok": true, ...}``), accepts both
form-encoded and JSON bodies like Slack does, implements the three-step external file upload
(``files.getUploadURLExternal`` → POST to the upload URL → ``files.completeUploadExternal``),
Socket Mode's WebSocket, and can be told to fail the next call of a method (e.g. HTTP 429 with
``Retry-After``). Point ``AsyncWebClient(base_url=double.api_url)`` at it.

For load (``DoubleConfig``), ``chat.postMessage`` answers after a latency, enforces Slack-like
rate limits itself (per channel and for the workspace, 429 with ``Retry-After`` when exceeded),
can inject a share of 429s and 500s at random, and records every accepted post in ``posts``
with the outbox key the bot sent in the ``X-Mentorbot-Outbox-Key`` header.
``ThreadedSlackApi`` serves it from its own thread and event loop, so that separate
``mentorbot`` processes can be driven against it from synchronous code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from testsupport.http import serve_on_loopback
from testsupport.loop import LoopThread
from testsupport.slack_limits import KEY_HEADER, Bucket, DoubleConfig, Post, count_violations


@dataclass
class Call:
    """One Web API call as the bot made it."""

    method: str
    args: dict[str, Any]
    token: str | None

    def blocks(self) -> list[dict[str, Any]]:
        raw = self.args.get("blocks")
        if isinstance(raw, str):
            parsed: list[dict[str, Any]] = json.loads(raw)
            return parsed
        return list(raw or [])

    def view(self) -> dict[str, Any]:
        raw = self.args.get("view")
        if isinstance(raw, str):
            parsed: dict[str, Any] = json.loads(raw)
            return parsed
        return dict(raw or {})


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SlackUser:
    id: str
    email: str | None
    real_name: str


@dataclass
class SlackChannel:
    """A public (``C…``) or private (``G…``) channel and whether the bot is in it."""

    id: str
    name: str
    bot_is_member: bool = True
    is_private: bool = False


class SlackApiDouble:
    """Records calls in ``calls``; ``users`` is the workspace directory for ``users.info``."""

    def __init__(
        self,
        config: DoubleConfig | None = None,
        team_id: str = "T0MENTOR",
        bot_user_id: str = "UBOT",
    ) -> None:
        self.config = config or DoubleConfig()
        self.posts: list[Post] = []
        self.status_counts: Counter[int] = Counter()
        self.limited = 0  # 429s provoked by exceeding the rate limits (not injected)
        self._lock = threading.Lock()  # posts are read from other threads while it serves
        self._rng = random.Random(self.config.seed)
        self._channel_buckets: dict[str, Bucket] = {}
        self._workspace: Bucket | None = None
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, SlackChannel] = {}
        self.uploads: dict[str, bytes] = {}
        self.failures: dict[str, deque[Failure]] = {}
        self.delays: dict[str, float] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and others use GET
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket-mode", self._socket)
        self._runner, self.base_url = await serve_on_loopback(app, access_log=False)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # --- test helpers ------------------------------------------------------------------

    def add_user(self, user_id: str, email: str | None, real_name: str) -> None:
        self.users[user_id] = SlackUser(user_id, email, real_name)

    def add_channel(self, channel_id: str, name: str, bot_is_member: bool = True) -> None:
        """A channel of the workspace (``name`` without ``#``) for ``conversations.info``;
        ``chat.postMessage`` there answers ``not_in_channel`` unless the bot is a member."""
        self.channels[channel_id] = SlackChannel(
            channel_id, name, bot_is_member, is_private=channel_id.startswith("G")
        )

    def fail_next(self, method: str, status: int, error: str, **headers: str) -> None:
        """Make the next call of ``method`` fail with ``{"ok": false, "error": error}``."""
        self.failures.setdefault(method, deque()).append(
            Failure(status, {"ok": False, "error": error}, dict(headers))
        )

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` only after ``seconds`` (a slow Slack)."""
        self.delays[method] = seconds

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        self.calls.clear()

    # --- load read-outs ----------------------------------------------------------------

    def keys(self) -> Counter[str]:
        """How many distinct messages were accepted per outbox key."""
        with self._lock:
            return Counter(p.key for p in {(p.key, p.text): p for p in self.posts}.values())

    def duplicates(self) -> set[str]:
        """Outbox keys of which the same post was accepted more than once."""
        with self._lock:
            seen = Counter((p.key, p.text) for p in self.posts)
        return {key for (key, _), n in seen.items() if n > 1}

    def violations(self, per_channel: float, overall: float) -> tuple[int, int]:
        """Seconds (of the double's clock) in which more posts arrived than the limits allow:
        (in the whole workspace, summed over channels)."""
        with self._lock:
            posts = list(self.posts)
        return count_violations([(p.at, p.channel) for p in posts], per_channel, overall)

    def rate(self) -> float:
        """Accepted posts per second from the first post to the last."""
        with self._lock:
            times = sorted(p.at for p in self.posts)
        if len(times) < 2 or times[-1] == times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    # --- handlers ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        args: dict[str, Any]
        if request.content_type == "application/json":
            args = json.loads(raw or b"{}")
        else:
            args = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        args = {**dict(request.query), **args}  # the SDK sends some arguments as query params
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self.calls.append(Call(method, args, token))
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        queue = self.failures.get(method)
        if queue:
            failure = queue.popleft()
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if method == "chat.postMessage":
            return await self._post(request, args)
        return web.json_response(self._answer(method, args))

    async def _post(self, request: web.Request, args: dict[str, Any]) -> web.Response:
        """``chat.postMessage`` with the latency, faults and rate limits of ``config``."""
        cfg = self.config
        if cfg.latency:
            await asyncio.sleep(cfg.latency)
        channel = str(args.get("channel", ""))
        now = time.monotonic()
        limited = {"Retry-After": str(cfg.retry_after)}
        with self._lock:
            roll = self._rng.random()
            if roll < cfg.fail_429:
                self.status_counts[429] += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=limited
                )
            if roll < cfg.fail_429 + cfg.fail_500:
                self.status_counts[500] += 1
                return web.json_response({"ok": False, "error": "internal_error"}, status=500)
            if not self._allowed(channel, now):
                self.status_counts[429] += 1
                self.limited += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=limited
                )
            answer = self._answer("chat.postMessage", args)
            self.status_counts[200 if answer["ok"] else 400] += 1
            if answer["ok"]:
                self.posts.append(
                    Post(
                        request.headers.get(KEY_HEADER, ""),
                        channel,
                        str(args.get("text", "")),
                        now,
                        blocks=str(args.get("blocks", "")),
                    )
                )
        return web.json_response(answer)

    def _allowed(self, channel: str, now: float) -> bool:
        cfg = self.config
        if cfg.per_channel_rate is not None:
            bucket = self._channel_buckets.get(channel)
            if bucket is None:
                bucket = Bucket(cfg.per_channel_rate, 1.0, 1.0, now)
                self._channel_buckets[channel] = bucket
            if not bucket.take(now):
                return False
        if cfg.workspace_rate is not None:
            if self._workspace is None:
                rate = cfg.workspace_rate
                self._workspace = Bucket(rate, rate, rate, now)
            if not self._workspace.take(now):
                return False
        return True

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then collect the app's acknowledgements of envelopes."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.sockets),
                "debug_info": {"host": "applink-double", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0MENTOR"},
            }
        )
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self.sockets.remove(ws)
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push one Socket Mode envelope (``events_api``, ``interactive``, ``slash_commands``)."""
        envelope_id = f"env-{next(self._ids):08d}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}")

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://mentorbot-test.slack.com/",
                "team": "Mentorbot test",
                "user": "mentorbot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B0MENTOR",
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            ws_url = self.base_url.replace("http://", "ws://")
            return {"ok": True, "url": f"{ws_url}/socket-mode"}
        if method == "chat.postMessage":
            target = self.channels.get(str(args.get("channel")))
            if target is not None and not target.bot_is_member:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"1790000000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {
                    "type": "message",
                    "user": self.bot_user_id,
                    "text": args.get("text", ""),
                    "ts": ts,
                },
            }
        if method == "conversations.info":
            channel = self.channels.get(str(args.get("channel")))
            if channel is None or (channel.is_private and not channel.bot_is_member):
                return {"ok": False, "error": "channel_not_found"}
            return {
                "ok": True,
                "channel": {
                    "id": channel.id,
                    "name": channel.name,
                    "is_channel": not channel.is_private,
                    "is_group": False,
                    "is_im": False,
                    "is_private": channel.is_private,
                    "is_archived": False,
                    "is_general": False,
                    "is_member": channel.bot_is_member,
                    "created": 1790000000,
                    "creator": "U0CREATOR",
                    "name_normalized": channel.name,
                    "context_team_id": self.team_id,
                },
            }
        if method == "conversations.open":
            user = str(args.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}"}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {
                "ok": True,
                "user": {
                    "id": user.id,
                    "team_id": self.team_id,
                    "name": user.real_name.lower().replace(" ", "."),
                    "real_name": user.real_name,
                    "is_bot": False,
                    "profile": {
                        "real_name": user.real_name,
                        "display_name": user.real_name.split()[0],
                        **({"email": user.email} if user.email else {}),
                    },
                },
            }
        if method == "users.lookupByEmail":
            wanted = str(args.get("email", "")).lower()
            for user in self.users.values():
                if user.email and user.email.lower() == wanted:
                    return {"ok": True, "user": {"id": user.id, "team_id": self.team_id}}
            return {"ok": False, "error": "users_not_found"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = args.get("view")
            parsed = json.loads(view) if isinstance(view, str) else dict(view or {})
            return {
                "ok": True,
                "view": {**parsed, "id": f"V{next(self._ids):08d}", "team_id": self.team_id},
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = args.get("files")
            parsed_files = json.loads(files) if isinstance(files, str) else list(files or [])
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title", "")} for f in parsed_files],
            }
        return {"ok": True}


class ThreadedSlackApi:
    """The double served from its own thread and event loop: for synchronous code that drives
    ``mentorbot`` processes (clock, serve) against it, or a client on another loop."""

    def __init__(self, config: DoubleConfig | None = None) -> None:
        self.api = SlackApiDouble(config)
        self._thread: LoopThread | None = None

    def start(self) -> ThreadedSlackApi:
        self._thread = LoopThread()
        self._thread.run(self.api.start(), timeout=10)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.run(self.api.stop(), timeout=10)
            self._thread.close()
            self._thread = None

    @property
    def api_url(self) -> str:
        return self.api.api_url

    @property
    def config(self) -> DoubleConfig:
        return self.api.config

    @property
    def posts(self) -> list[Post]:
        return self.api.posts

    @property
    def status_counts(self) -> Counter[int]:
        return self.api.status_counts

    @property
    def limited(self) -> int:
        return self.api.limited

    def keys(self) -> Counter[str]:
        return self.api.keys()

    def duplicates(self) -> set[str]:
        return self.api.duplicates()

    def violations(self, per_channel: float, overall: float) -> tuple[int, int]:
        return self.api.violations(per_channel, overall)

    def rate(self) -> float:
        return self.api.rate()
