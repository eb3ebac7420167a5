"""Logging that carries no content and no secret, at any level (privacy rule 6).

- The platform SDKs log whole message bodies and tokens at DEBUG (``slack_sdk`` prints every
  request, ``msal`` its token exchange), and SQLAlchemy prints result rows at DEBUG: these
  loggers stay at INFO or above even when ``MENTORBOT_LOG_LEVEL=DEBUG``, unless
  ``MENTORBOT_SDK_LOG_LEVEL`` asks for a lower level (only while debugging a platform, never
  in production).
- The calendar feed's URL is its secret: every log record is stripped of
  ``/calendar/<token>.ics`` (the access log prints request paths), and of the signature of
  HR's report links (``/report/…/<signature>``).
- The database engine hides statement parameters (``storage.db.make_engine``).
"""

from __future__ import annotations

import logging
import re

SDK_LOGGERS = (
    "slack_sdk",
    "slack_bolt",
    "microsoft_agents",
    "msal",
    "sqlalchemy",
    "aiohttp.client",
    "urllib3",
    "httpx",
    "httpcore",
)
CHATTY_SDK_LOGGERS = ("microsoft_agents.hosting.core.authorization.connection_manager",)
"""SDK loggers that dump their whole configuration (many lines) at INFO: WARNING unless the
SDK level asks for DEBUG."""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FEED = re.compile(r"/calendar/[^/\s\"'?]+\.ics")
REDACTED_FEED = "/calendar/[redacted].ics"
_REPORT = re.compile(r"(/report/[0-9]+/[0-9]+/[0-9]+/)[^/\s\"'?]+")


def redact(text: str) -> str:
    """The text without calendar feed tokens and report link signatures."""
    return _REPORT.sub(r"\1[redacted]", _FEED.sub(REDACTED_FEED, text))


class RedactSecrets(logging.Filter):
    """Rewrites a record's message so no feed token reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactSecrets()


def install_redaction() -> None:
    """Put the filter on the access log and the root logger's handlers (idempotent)."""
    for logger in (logging.getLogger("aiohttp.access"), logging.getLogger("aiohttp.server")):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def sdk_level(level: str | int, sdk_override: str | int | None) -> int:
    """The SDK loggers' level: the override when set, else never below INFO."""
    if sdk_override:
        return logging.getLevelName(sdk_override) if isinstance(sdk_override, str) else sdk_override
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    return max(int(numeric), logging.INFO)


def configure_logging(level: str | int = "INFO", sdk_override: str | int | None = None) -> None:
    """The process's logging: ``level`` for Mentorbot, INFO or above for the SDKs."""
    if isinstance(level, str):
        level = level.upper()
    if isinstance(sdk_override, str):
        sdk_override = sdk_override.upper()
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(sdk_level(level, sdk_override))
    chatty = sdk_level(level, sdk_override)
    if chatty > logging.DEBUG:
        for name in CHATTY_SDK_LOGGERS:
            logging.getLogger(name).setLevel(max(chatty, logging.WARNING))
    if not sdk_override:  # at INFO SQLAlchemy echoes every statement: noise, not insight
        logging.getLogger("sqlalchemy").setLevel(max(logging.WARNING, sdk_level(level, None)))
    install_redaction()
