"""Who may post to ``/api/messages``: a Bot Framework token, for the service it names.

The Agents SDK validates the JWT (issuer, audience, signature, lifetime), but its own check
that the activity's ``serviceUrl`` belongs to the token only warns unless a host validator is
configured, and the route handles activities itself. Without that check anyone holding a token
the SDK accepts could name their own server as ``serviceUrl``: the bot would send its bearer
token there, trust a member look-up from there (linking a Teams id to any email) and answer
there. So an activity is accepted only when its ``serviceUrl`` has the same origin (scheme,
host, port) as the token's ``serviceurl`` claim, and a token without that claim is refused.

Anything unexpected while validating a token (a header without ``kid``, a token that is not
a JWT) is a 401, never a 500.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.authentication_constants import (
    AuthenticationConstants,
)
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

log = logging.getLogger(__name__)

UNAUTHORIZED = {"error": "invalid token or authentication failed"}
WRONG_SERVICE = {"error": "the activity's serviceUrl is not the service the token was issued for"}


def origin(url: str | None) -> tuple[str, str, int | None] | None:
    """Scheme, lower-cased host and port of an absolute URL; None when it is not one."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.casefold(), port or default


def service_url_allowed(identity: ClaimsIdentity, service_url: str | None) -> bool:
    """Whether the activity's ``serviceUrl`` is the service the token was issued for.

    An anonymous identity (only when anonymous access is enabled for local testing) has no
    claim to compare with and is allowed.
    """
    if identity.allow_anonymous:
        return True
    claimed = origin(identity.get_claim_value(AuthenticationConstants.SERVICE_URL_CLAIM))
    return claimed is not None and claimed == origin(service_url)


async def authorize(
    request: web.Request, config: AgentAuthConfiguration
) -> ClaimsIdentity | web.Response:
    """The caller's validated identity, or the 401 to answer."""
    header = request.headers.get("Authorization")
    if not header:
        if config.ANONYMOUS_ALLOWED:
            return JwtTokenValidator(config).get_anonymous_claims()
        return web.json_response(UNAUTHORIZED, status=401)
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return web.json_response(UNAUTHORIZED, status=401)
    try:
        return await JwtTokenValidator(config).validate_token(token)
    except Exception as err:  # every malformed token is the caller's fault: 401
        log.warning("Teams token refused: %s", type(err).__name__)
        return web.json_response(UNAUTHORIZED, status=401)
