"""The ops console's sessions in the control-plane database (table console_sessions).

Signing in exchanges an API key for a random session token held in an HttpOnly cookie. The table
keeps only the token's SHA-256 (a leaked database holds no usable cookie) and the hash of the key
signed in with, so the API can end a session whose key was revoked. Every API replica reads the
same table: a browser's next request may land on any of them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.keys import key_hash as token_hash
from engine.db.schema import console_sessions


@dataclass(frozen=True, kw_only=True)
class ConsoleSession:
    """A signed-in browser: whose tenant and role, which key, and the token its forms must carry."""

    tenant: str
    role: str
    key_id: str
    key_hash: str
    csrf_token: str
    expires_at: datetime


class ConsoleSessionStore:
    """Sessions over the process's pooled control-plane engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open(
        self, *, tenant: str, role: str, key_id: str, key_hash: str, lifetime: timedelta
    ) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie's token (shown once, never stored) and the session."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session = ConsoleSession(
            tenant=tenant,
            role=role,
            key_id=key_id,
            key_hash=key_hash,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + lifetime,
        )
        async with self._engine.begin() as connection:
            # Expired rows go when new ones come: the table stays the size of the signed-in browsers.
            await connection.execute(delete(console_sessions).where(console_sessions.c.expires_at < now))
            await connection.execute(
                insert(console_sessions).values(
                    token_hash=token_hash(token),
                    tenant=tenant,
                    role=role,
                    key_id=key_id,
                    key_hash=key_hash,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return token, session

    async def get(self, token: str) -> ConsoleSession | None:
        """The session of a cookie's token; None when unknown or expired."""
        c = console_sessions.c
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(c.tenant, c.role, c.key_id, c.key_hash, c.csrf_token, c.expires_at).where(
                        c.token_hash == token_hash(token)
                    )
                )
            ).first()
        if row is None:
            return None
        if row.expires_at <= datetime.now(UTC):
            return None
        return ConsoleSession(
            tenant=row.tenant,
            role=row.role,
            key_id=row.key_id,
            key_hash=row.key_hash,
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
        )

    async def close(self, token: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(console_sessions).where(console_sessions.c.token_hash == token_hash(token))
            )
