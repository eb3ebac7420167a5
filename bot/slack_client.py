"""A Slack Web API client that tells Slack which outbox row a message comes from.

Every call made while the delivery worker sends a row carries the row's dedupe key in the
``X-Mentorbot-Outbox-Key`` header (Slack ignores unknown headers). Operators can correlate a
post with its outbox row in proxy logs, and the tests' Slack double uses it to prove that
every nudge was posted exactly once.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery import OUTBOX_KEY

OUTBOX_KEY_HEADER = "X-Mentorbot-Outbox-Key"


class KeyedWebClient(AsyncWebClient):
    """``AsyncWebClient`` adding the current outbox key (if any) to each request's headers.

    It also keeps one HTTP session (connection pool) for all calls, created on first use
    inside the running event loop, instead of a new session per call.
    """

    async def api_call(
        self, api_method: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> AsyncSlackResponse:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        key = OUTBOX_KEY.get()
        if key is not None:
            headers = {**(headers or {}), OUTBOX_KEY_HEADER: key}
        return await super().api_call(api_method, headers=headers, **kwargs)
