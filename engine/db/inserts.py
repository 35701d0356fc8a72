"""Inserts decided by the database's unique constraints (never a read-then-write), per dialect.

Two processes inserting the same key at once cannot both win: the loser's insert does nothing,
which `insert_new` reports as False. SQLite and PostgreSQL spell it the same way (ON CONFLICT DO
NOTHING) but SQLAlchemy builds it per dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing/update` (SQLite and PostgreSQL alike)."""
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_or_ignore(connection: AsyncConnection, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the connection's database. Rows go as execute()'s
    parameters (SQLAlchemy writes multi-row statements itself): a statement carrying its rows in
    `.values(rows)` has no cache key and is compiled again on every call."""
    return upsert(connection, table).on_conflict_do_nothing()


async def insert_new(connection: AsyncConnection, table: Table, values: dict[str, Any]) -> bool:
    """Insert the row unless its unique key is taken; True when this call inserted it."""
    first_key = next(iter(table.primary_key.columns))
    statement = insert_or_ignore(connection, table).values(values).returning(first_key)
    return (await connection.execute(statement)).first() is not None
