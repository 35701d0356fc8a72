"""Alembic environment: runs on the connection `engine.db.connection.upgrade` hands it."""

from __future__ import annotations

from alembic import context

from engine.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `convoflow db upgrade` (engine.db.connection.upgrade)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
