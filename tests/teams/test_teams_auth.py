"""``/api/messages`` accepts only tokens the Bot Framework would send this bot (JWT, RS256)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams.connector import TokenProviderFactory
from bot import demo
from bot.settings import Settings
from conversations.clock import SettableClock
from storage.models import Outbox, PlatformIdentity, ProcessedEvent
from tests.teams.driver import TENANT, TeamsDriver, teams_user
from tests.teams.tokens import DoubleTokenProvider, jwks, new_key, token, use_jwks_double
from testsupport.teams_connector import ConnectorDouble, Member

APP_ID = "00000000-aaaa-4bbb-8ccc-000000000001"
CONFIGURED = {
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": APP_ID,
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "test-secret",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": TENANT,
}
AINO = "aino@demo.example"


def double_tokens(double: ConnectorDouble) -> TokenProviderFactory:
    return lambda config: DoubleTokenProvider(
        config, f"{double.base_url}/botframework.com/oauth2/v2.0/token"
    )


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def teams(
    factory: sessionmaker[Session], clock: SettableClock, key: rsa.RSAPrivateKey
) -> Iterator[TeamsDriver]:
    demo.seed(factory, clock.now(), "en")
    driver = TeamsDriver(factory, clock, Settings(**CONFIGURED), double_tokens)  # type: ignore[arg-type]
    driver.double.jwks = jwks(key)
    driver.double.require_token = True
    with use_jwks_double(f"{driver.double.base_url}/keys", TENANT):
        yield driver
    driver.close()


def state(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(PlatformIdentity)) or 0,
            session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0,
            session.scalar(select(func.count()).select_from(Outbox)) or 0,
        )


def hello(teams: TeamsDriver) -> dict[str, Any]:
    user = teams.users.get(AINO)
    if user is None:
        user = teams_user(AINO, "Aino Virtanen")
        teams.users[AINO] = user
        teams.double.add_member(
            user.conversation_id,
            Member(user.user_id, user.name, user.email, user.aad_object_id, TENANT),
        )
    return teams.activity(user, "message", text="hello")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_teams_valid_token_is_accepted_and_the_reply_carries_a_connector_token(
    teams: TeamsDriver, factory: sessionmaker[Session], key: rsa.RSAPrivateKey
) -> None:
    before = state(factory)
    signed = token(key, audience=APP_ID, service_url=teams.double.service_url)

    assert teams.post_raw(hello(teams), bearer(signed)) == 202

    assert state(factory)[:2] == (before[0] + 1, before[1] + 1)
    assert teams.double.token_requests[0]["client_id"] == APP_ID
    assert teams.double.token_requests[0]["grant_type"] == "client_credentials"
    assert teams.seen(AINO), "the reply reached the Bot Connector with a valid token"


def bad_tokens(key: rsa.RSAPrivateKey, service_url: str) -> dict[str, dict[str, str]]:
    other_key = new_key()
    return {
        "missing": {},
        "not a bearer token": {"Authorization": "Basic dXNlcjpwYXNz"},
        "expired": bearer(token(key, audience=APP_ID, issued_ago=7200, lifetime=3600)),
        "wrong audience": bearer(token(key, audience="some-other-bot")),
        "wrong issuer": bearer(
            token(key, audience=APP_ID, issuer="https://sts.evil.example/" + TENANT + "/")
        ),
        "bad signature": bearer(token(other_key, audience=APP_ID, service_url=service_url)),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "not a bearer token", "expired", "wrong audience", "wrong issuer", "bad signature"],
)
def test_teams_rejects_a_request_without_a_valid_token_with_401_and_changes_nothing(
    teams: TeamsDriver, factory: sessionmaker[Session], key: rsa.RSAPrivateKey, case: str
) -> None:
    before = state(factory)
    headers = bad_tokens(key, teams.double.service_url)[case]

    assert teams.post_raw(hello(teams), headers) == 401

    assert state(factory) == before
    assert teams.double.posted == []
    assert teams.double.token_requests == []
