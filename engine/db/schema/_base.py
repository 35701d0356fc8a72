"""The one `MetaData` every table of the control plane is defined on, and the column types they share.

One metadata object, so foreign keys between areas (every tenant's row points at `tenants`) resolve,
and the migrations compare the database against all tables at once.
"""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData, String

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    }
)
TENANT = String(64)
WHEN = DateTime(timezone=True)
