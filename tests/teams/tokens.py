"""Test signing keys, Bot Framework-shaped tokens, and pointing the SDK's JWKS lookup at a double.

The Agents SDK (``JwtTokenValidator``) picks the JWKS URI from the token's issuer — the Bot
Framework's ``https://login.botframework.com/v1/.well-known/keys`` for
``iss=https://api.botframework.com``, else ``https://login.microsoftonline.com/{tenant}/
discovery/v2.0/keys`` — and keeps one ``PyJWKClient`` per URI in a class-level cache.
``use_jwks_double`` puts a ``PyJWKClient`` for the local double in that cache under both URIs,
so the SDK's own validation code runs unchanged and nothing calls Microsoft.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization.authentication_constants import (
    AuthenticationConstants,
)
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
    _JwkClientCacheEntry,
)

BOT_FRAMEWORK_ISSUER = AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER
KID = "mentorbot-test-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def token(
    key: rsa.RSAPrivateKey,
    *,
    audience: str,
    issuer: str = BOT_FRAMEWORK_ISSUER,
    service_url: str = "",
    lifetime: int = 3600,
    issued_ago: int = 0,
    kid: str = KID,
) -> str:
    """A token shaped like the ones Teams' Bot Connector sends to a bot."""
    now = int(time.time()) - issued_ago
    claims = {
        "iss": issuer,
        "aud": audience,
        "serviceurl": service_url,
        "nbf": now,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@contextmanager
def use_jwks_double(jwks_url: str, tenant_id: str) -> Iterator[None]:
    """Point the SDK's JWKS lookups (Bot Framework and Entra) at ``jwks_url``."""
    cache = JwtTokenValidator._jwk_client_manager._cache
    uris = [
        AuthenticationConstants.PUBLIC_ABS_JWKS_URL,
        f"https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys",
    ]
    saved = {uri: cache.get(uri) for uri in uris}
    for uri in uris:
        cache[uri] = _JwkClientCacheEntry(PyJWKClient(jwks_url, cache_keys=False), threading.Lock())
    try:
        yield
    finally:
        for uri, entry in saved.items():
            if entry is None:
                cache.pop(uri, None)
            else:
                cache[uri] = entry


class DoubleTokenProvider:
    """The SDK's token-provider interface, fetching client-credential tokens from the double's
    token endpoint (MSAL needs an https authority, which a local double cannot offer)."""

    def __init__(self, configuration: AgentAuthConfiguration, token_url: str) -> None:
        self._configuration = configuration
        self.token_url = token_url

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._configuration.CLIENT_ID or "",
            "client_secret": self._configuration.CLIENT_SECRET or "",
            "scope": " ".join(scopes) or f"{resource_url}/.default",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.token_url, data=form) as response,
        ):
            response.raise_for_status()
            body = await response.json()
        return str(body["access_token"])

    def get_token_credential(self) -> Any:
        raise NotImplementedError

    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError

    async def get_agentic_application_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> str | None:
        raise NotImplementedError

    async def get_agentic_instance_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> tuple[str, str]:
        raise NotImplementedError

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        raise NotImplementedError
