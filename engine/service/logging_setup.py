"""Log configuration: our own lines at any level, the Temporal SDK never below INFO.

At DEBUG the SDK logs activity completions with their payloads, which hold message text and
addresses: personal data that must stay out of log lines. So whatever level ops choose, the SDK's
loggers keep INFO as their floor. So does aiosqlite, which logs every statement with its parameters
(a CRM lookup's email address, for one) at DEBUG.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

SDK_LOGGERS = ("temporalio",)
# The database drivers log every statement with its parameters (aiosqlite at DEBUG, SQLAlchemy's
# engine at INFO): outbox rows hold message text and addresses, so they never go below WARNING.
DATABASE_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")
# The IMAP client logs untagged server answers at INFO and whole protocol lines (headers of fetched
# mail among them) at DEBUG: never below WARNING either. tnefparse names damaged attributes at WARNING,
# which holds nothing of the mail.
MAIL_LOGGERS = ("aioimaplib",)


# Alembic narrates every migration step at INFO; a start that migrates says so once, in its banner.
QUIET_LOGGERS = ("alembic",)
# aiohttp's server logs a request it cannot parse at ERROR, with a traceback whose message quotes the
# offending bytes (`Invalid header value char: b'X-Name: Ada ...'`): a header holding an address or a
# name would reach the log. Such a request is the client's fault and answered 400.
HTTP_SERVER_LOGGER = "aiohttp.server"


class MalformedRequests(logging.Filter):
    """A request aiohttp could not parse: one WARNING line naming the kind, never its bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args = (
                "malformed HTTP request refused: %s (HTTP %s)",
                (type(exc).__name__, exc.code),
            )
            if record.levelno > logging.WARNING:  # aiohttp's DEBUG lines (a bad method) stay DEBUG
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    apply_sdk_floor()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))


def apply_sdk_floor() -> None:
    """The floors above, and the filter that keeps a malformed request's bytes out of the log."""
    server = logging.getLogger(HTTP_SERVER_LOGGER)
    if not any(isinstance(f, MalformedRequests) for f in server.filters):
        server.addFilter(MalformedRequests())
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    for name in (*DATABASE_LOGGERS, *MAIL_LOGGERS):
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
