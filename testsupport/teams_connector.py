"""A local double of the Bot Connector service (and the token/JWKS endpoints), over real HTTP.

It answers what the Agents SDK calls, with the real response shapes:

* ``POST {serviceUrl}v3/conversations/{id}/activities[/{replyToId}]`` → ``{"id": …}``
* ``PUT  {serviceUrl}v3/conversations/{id}/activities/{activityId}`` → ``{"id": …}``
* ``GET  {serviceUrl}v3/conversations/{id}/members/{userId}`` → a Teams channel account
* ``POST /botframework.com/oauth2/v2.0/token`` (client credentials) → an access token
* ``GET  /keys`` → the JWKS that signs test tokens for ``/api/messages``

Faults are planned per request: ``plan(status, headers, delay)`` answers the next activity
POSTs that way before returning to normal.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from testsupport.http import serve_on_loopback

SERVICE_PATH = "/emea/"
MESSAGE_SIZE_LIMIT = 100 * 1024
"""Teams refuses a bot message over about 100 KB, counted in UTF-16: 413 MessageSizeTooBig."""


@dataclass
class Member:
    id: str
    name: str
    email: str
    aad_object_id: str
    tenant_id: str

    def account(self) -> dict[str, Any]:
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": self.tenant_id,
            "userRole": "user",
        }


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Posted:
    """One activity the bot sent, as it stands now (updates replace the content)."""

    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None
    updated: int = 0


class ConnectorDouble:
    """Records what the bot sends; roster, issued tokens and faults are set by the test."""

    def __init__(self) -> None:
        self.members: dict[str, dict[str, Member]] = defaultdict(dict)  # conversation → user
        self.posted: list[Posted] = []
        self.attempts = 0
        self.too_big = 0
        self.faults: list[Fault] = []
        self.tokens: set[str] = set()
        self.require_token = False
        self.token_requests: list[dict[str, str]] = []
        self.jwks: dict[str, Any] = {"keys": []}
        self._ids = itertools.count(1_700_000_000_001)
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    # --- the test's side ------------------------------------------------------------

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE_PATH

    def add_member(self, conversation_id: str, member: Member) -> None:
        self.members[conversation_id][member.id] = member

    def plan(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def in_conversation(self, conversation_id: str) -> list[Posted]:
        return [p for p in self.posted if p.conversation_id == conversation_id]

    # --- the server ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(SERVICE_PATH + "v3/conversations/{cid}/activities", self.post_activity)
        app.router.add_post(
            SERVICE_PATH + "v3/conversations/{cid}/activities/{aid}", self.post_activity
        )
        app.router.add_put(
            SERVICE_PATH + "v3/conversations/{cid}/activities/{aid}", self.put_activity
        )
        app.router.add_get(SERVICE_PATH + "v3/conversations/{cid}/members/{uid}", self.member)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self.token)
        app.router.add_get("/keys", self.keys)
        self.runner, self.base_url = await serve_on_loopback(app)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if not self.require_token:
            return None
        header = request.headers.get("Authorization", "")
        if header.removeprefix("Bearer ") in self.tokens:
            return None
        return web.json_response(
            {"error": {"code": "Unauthorized", "message": "Authorization has been denied."}},
            status=401,
        )

    async def _fault(self) -> web.Response | None:
        self.attempts += 1
        if not self.faults:
            return None
        fault = self.faults.pop(0)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status < 300:
            return None
        return web.json_response(
            {"error": {"code": "ServiceError", "message": f"planned {fault.status}"}},
            status=fault.status,
            headers=fault.headers,
        )

    async def post_activity(self, request: web.Request) -> web.Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        failed = await self._fault()
        if failed is not None:
            return failed
        raw = await request.text()
        if len(raw.encode("utf-16-le")) > MESSAGE_SIZE_LIMIT:
            self.too_big += 1
            return web.json_response(
                {"error": {"code": "MessageSizeTooBig", "message": "Message size too big"}},
                status=413,
            )
        activity = json.loads(raw)
        activity_id = str(next(self._ids))
        self.posted.append(
            Posted(
                conversation_id=request.match_info["cid"],
                activity_id=activity_id,
                activity=activity,
                reply_to_id=request.match_info.get("aid"),
            )
        )
        return web.json_response({"id": activity_id}, status=201)

    async def put_activity(self, request: web.Request) -> web.Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        activity = await request.json()
        for posted in self.posted:
            if posted.conversation_id == cid and posted.activity_id == aid:
                posted.activity = activity
                posted.updated += 1
                return web.json_response({"id": aid})
        return web.json_response(
            {"error": {"code": "ActivityNotFoundInConversation", "message": "Unknown activity"}},
            status=404,
        )

    async def member(self, request: web.Request) -> web.Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        cid, uid = request.match_info["cid"], request.match_info["uid"]
        found = self.members.get(cid, {}).get(uid)
        if found is None:
            return web.json_response(
                {
                    "error": {
                        "code": "MemberNotFoundInConversation",
                        "message": "The member is not in the conversation.",
                    }
                },
                status=404,
            )
        return web.json_response(found.account())

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    async def keys(self, request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(self.jwks), content_type="application/json")
