"""The one `MetaData` every table of the control plane is defined on, and the column types they share.

One metadata object, so foreign keys between areas (every tenant's row points at `tenants`) resolve,
and the migrations compare the database against all tables at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, String
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    }
)
TENANT = String(64)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, written in UTC and read back aware.

    SQLite keeps a datetime as its wall-clock text without the offset: an instant given in another
    zone (a channel's `received_at` of -05:00, an SLA deadline in the calendar's zone) was read back
    as if it were UTC, hours off, and KPI response times with it. PostgreSQL's `timestamptz` keeps the
    instant either way; converting here serves both, for every column of this type.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


WHEN = UtcDateTime()
