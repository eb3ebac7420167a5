"""Teams: an activity is accepted only for the service its token was issued for.

A token the SDK accepts for this app id, with an activity naming another host as
``serviceUrl``, would otherwise make the bot send its bearer token, trust a member look-up and
answer there. Malformed tokens and bodies get 4xx, never 500.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session, sessionmaker

from tests.teams.driver import TeamsDriver
from tests.teams.test_teams_auth import (  # the configured Teams app of the auth tests
    APP_ID,
    bearer,
    hello,
    key,  # noqa: F401 — fixture
    state,
    teams,  # noqa: F401 — fixture
)
from tests.teams.tokens import token
from testsupport.http import serve_on_loopback


@dataclass
class OtherHost:
    """A server that is not the Bot Connector: records every request that reaches it."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> None:
        async def record(request: web.Request) -> web.Response:
            auth = request.headers.get("Authorization", "")
            self.requests.append((request.method, request.path, auth))
            return web.json_response({"id": "1", "email": "hr@demo.example", "name": "HR"})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        self.runner, self.base_url = await serve_on_loopback(app)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def accepted_afterwards(
    driver: TeamsDriver, factory: sessionmaker[Session], signing_key: rsa.RSAPrivateKey
) -> None:
    """Positive control: the same activity with a token for its own service is handled and
    answered, so the empty state and double read above would have shown a leak."""
    before = state(factory)
    signed = token(signing_key, audience=APP_ID, service_url=driver.double.service_url)
    assert driver.post_raw(hello(driver), bearer(signed)) == 202
    assert state(factory) != before, "an accepted activity changes the state read here"
    assert driver.double.posted and driver.double.token_requests, "the double records replies"


@pytest.fixture
def other_host(teams: TeamsDriver) -> Iterator[OtherHost]:  # noqa: F811
    host = OtherHost()
    teams.loop.run(host.start())
    yield host
    teams.loop.run(host.stop())


def test_teams_activity_naming_another_service_than_its_token_is_refused_and_nothing_goes_there(
    teams: TeamsDriver,  # noqa: F811
    factory: sessionmaker[Session],
    key: rsa.RSAPrivateKey,  # noqa: F811
    other_host: OtherHost,
) -> None:
    before = state(factory)
    signed = token(key, audience=APP_ID, service_url=teams.double.service_url)
    activity = hello(teams)
    activity["serviceUrl"] = other_host.base_url + "/teams/"

    status = teams.post_raw(activity, bearer(signed))

    assert status in (401, 403)
    assert other_host.requests == [], "the bot reached a host its token does not name"
    assert state(factory) == before
    assert teams.double.posted == []
    assert teams.double.token_requests == []
    accepted_afterwards(teams, factory, key)


def test_teams_token_without_a_serviceurl_claim_is_refused(
    teams: TeamsDriver,  # noqa: F811
    factory: sessionmaker[Session],
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    before = state(factory)
    signed = token(key, audience=APP_ID, service_url="")

    assert teams.post_raw(hello(teams), bearer(signed)) in (401, 403)
    assert state(factory) == before
    assert teams.double.posted == []
    accepted_afterwards(teams, factory, key)


def test_teams_activity_for_the_token_service_in_another_letter_case_is_accepted(
    teams: TeamsDriver,  # noqa: F811
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    signed = token(key, audience=APP_ID, service_url=teams.double.service_url.upper())

    assert teams.post_raw(hello(teams), bearer(signed)) == 202


def unsigned_without_kid(signing_key: rsa.RSAPrivateKey, service_url: str) -> str:
    signed = token(signing_key, audience=APP_ID, service_url=service_url)
    header = json.dumps({"alg": "RS256", "typ": "JWT"}).encode()
    encoded = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    return ".".join([encoded, *signed.split(".")[1:]])


def test_teams_token_without_kid_is_a_401_not_a_500(
    teams: TeamsDriver,  # noqa: F811
    factory: sessionmaker[Session],
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    before = state(factory)
    no_kid = unsigned_without_kid(key, teams.double.service_url)
    assert "kid" not in jwt.get_unverified_header(no_kid)

    assert teams.post_raw(hello(teams), bearer(no_kid)) == 401
    assert teams.post_raw(hello(teams), bearer("not.a.jwt")) == 401
    assert state(factory) == before
    accepted_afterwards(teams, factory, key)


def test_teams_body_that_is_not_json_is_a_400_with_a_valid_token(
    teams: TeamsDriver,  # noqa: F811
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    signed = token(key, audience=APP_ID, service_url=teams.double.service_url)

    async def post() -> int:
        headers = {**bearer(signed), "Content-Type": "application/json"}
        async with teams.http.post(teams.url, data=b"{not json", headers=headers) as response:
            return response.status

    assert teams.loop.run(post()) == 400
