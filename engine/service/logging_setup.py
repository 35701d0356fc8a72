"""Log configuration: our own lines at any level, the Temporal SDK never below INFO.

At DEBUG the SDK logs activity completions with their payloads, which hold message text and
addresses: personal data that must stay out of log lines. So whatever level ops choose, the SDK's
loggers keep INFO as their floor. So does aiosqlite, which logs every statement with its parameters
(a CRM lookup's email address, for one) at DEBUG.
"""

from __future__ import annotations

import logging

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


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    apply_sdk_floor()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))


def apply_sdk_floor() -> None:
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    for name in (*DATABASE_LOGGERS, *MAIL_LOGGERS):
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
