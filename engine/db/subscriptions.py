"""A tenant's event subscriptions (table subscriptions): where its events go, signed with what.

A subscription's secret signs every delivery (Standard Webhooks, engine/webhook_signature.py). It is
shown once, when the subscription is created or its secret rotated; rotation keeps the previous
secret valid until `previous_retires_at`, and during that overlap each delivery carries both
signatures, so a receiver that has not switched yet still verifies. A rotation within an overlap
keeps the secrets before it signing until each one's own time (`earlier_secrets`); a rotation with
no overlap (a leak) retires every one of them at once. Secrets are stored in clear, like
webhook secrets: an HMAC needs the key.

`state` is `active`, or `failing` once an event was given up on after its retry window; a delivery
that succeeds afterwards makes it active again (the dispatcher, engine/service/event_dispatcher.py).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.keys import UnknownTenant
from engine.db.schema import delivery_attempts, event_deliveries, subscriptions
from engine.db.webhook_secrets import new_secret

PENDING = "pending"
"""A delivery not yet sent or given up (engine/db/event_deliveries.py, which imports this module)."""
ACTIVE = "active"
FAILING = "failing"
DEFAULT_OVERLAP = timedelta(hours=24)
MASK = "***"
WORD = re.compile(r"[A-Za-z_.-]{1,32}(;\*\*\*)?")  # a path segment that names, not a token
MAX_EARLIER_SECRETS = 8  # rotations within overlaps: a delivery carries at most 10 signatures


def _aware(when: datetime) -> datetime:
    """An instant kept as text in JSON (columns of WHEN are read back aware by their type)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """A subscription as stored, secrets included: never shown as it is (`shown` leaves them out)."""

    subscription_id: str
    tenant: str
    url: str
    events: list[str]
    description: str
    allow_private: bool
    secret: str
    previous_secret: str | None
    previous_retires_at: datetime | None
    state: str
    failing_since: datetime | None
    created_at: datetime
    earlier_secrets: tuple[tuple[str, datetime], ...] = ()
    """Secrets rotated out before the previous one, each with when it retires, newest first."""
    paused_at: datetime | None = None
    """Paused since: its events queue and none is sent until it resumes."""

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the newest, and every older one in its overlap."""
        return [self.secret] + [secret for secret, _ in self.old_secrets(now)]

    def old_secrets(self, now: datetime) -> list[tuple[str, datetime]]:
        """The rotated-out secrets still signing at `now`, newest first, each with when it retires."""
        older = [(self.previous_secret, self.previous_retires_at), *self.earlier_secrets]
        return [(secret, until) for secret, until in older if secret and until and until > now]

    def shown(self, *, whole_url: bool = False) -> dict[str, Any]:
        """What the API shows: everything but the secrets; the URL's own too unless `whole_url` (for
        the integrators who write subscriptions and must be able to compare them)."""
        return {
            "id": self.subscription_id,
            "url": self.url if whole_url else url_without_secrets(self.url),
            "events": self.events,
            "description": self.description,
            "allow_private": self.allow_private,
            "state": self.state,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "previous_secret_retires_at": (
                self.previous_retires_at.isoformat()
                if self.previous_secret and self.previous_retires_at
                else None
            ),
            "earlier_secrets_retire_at": [until.isoformat() for _, until in self.earlier_secrets],
            "created_at": self.created_at.isoformat(),
            "paused": self.paused_at is not None,
            "paused_at": self.paused_at.isoformat() if self.paused_at else None,
        }


def url_without_secrets(url: str) -> str:
    """`url` with its user information, its path past the first segment and its query values masked:
    a receiver's URL often carries its credentials (`https://user:password@crm/hook?token=...`,
    Slack's `/services/T.../B.../secret`), and ops, who may read subscriptions to watch them fail,
    must not learn them, as no reader learns the signing secret after the create."""
    parts = urlsplit(url)
    _, at, host = parts.netloc.rpartition("@")
    netloc = f"{MASK}@{host}" if at else host  # a user name alone is often the token itself
    first, more, _ = parts.path.lstrip("/").partition("/")
    # A segment's parameters (`;jsessionid=...`) are a credential as a query value is.
    first = first.partition(";")[0] + (f";{MASK}" if ";" in first else "")
    if not more and first and not WORD.fullmatch(first):
        first = MASK  # a lone segment with a digit is a token (`https://webhook.site/<uuid>`)
    path = f"/{first}/{MASK}" if more else f"/{first}" if first else parts.path
    # A query is masked whole: `?<token>` has no name=value, and a name may be the secret itself;
    # a fragment likewise (`#token=...`).
    query = MASK if parts.query else ""
    fragment = MASK if parts.fragment else ""
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query, fragment=fragment))


def read_subscription(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        tenant=row.tenant,
        url=row.url,
        events=list(row.events),
        description=row.description,
        allow_private=bool(row.allow_private),
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_retires_at=row.previous_retires_at,
        state=row.state,
        failing_since=row.failing_since,
        created_at=row.created_at,
        earlier_secrets=tuple(
            (secret, _aware(datetime.fromisoformat(until))) for secret, until in row.earlier_secrets or []
        ),
        paused_at=row.paused_at,
    )


class Subscriptions:
    """The subscriptions of every tenant; each method takes the tenant and filters on it."""

    def __init__(self, database: AsyncEngine) -> None:
        self._database = database

    async def create(
        self, tenant: str, *, url: str, events: list[str], description: str, allow_private: bool
    ) -> Subscription:
        now = datetime.now(UTC)
        made = Subscription(
            subscription_id="sub_" + secrets.token_hex(12),
            tenant=tenant,
            url=url,
            events=events,
            description=description,
            allow_private=allow_private,
            secret=new_secret(),
            previous_secret=None,
            previous_retires_at=None,
            state=ACTIVE,
            failing_since=None,
            created_at=now,
        )
        try:
            async with self._database.begin() as connection:
                await connection.execute(
                    insert(subscriptions).values(
                        subscription_id=made.subscription_id,
                        tenant=tenant,
                        url=url,
                        events=events,
                        description=description,
                        allow_private=allow_private,
                        secret=made.secret,
                        state=ACTIVE,
                        created_at=now,
                    )
                )
        except IntegrityError:  # the tenant's foreign key
            raise UnknownTenant(f"no tenant {tenant!r}") from None
        return made

    async def list_for(self, tenant: str) -> list[Subscription]:
        async with self._database.connect() as connection:
            rows = await connection.execute(
                select(subscriptions)
                .where(subscriptions.c.tenant == tenant)
                .order_by(subscriptions.c.created_at, subscriptions.c.subscription_id)
            )
            return [read_subscription(row) for row in rows]

    async def get(self, tenant: str, subscription_id: str) -> Subscription | None:
        async with self._database.connect() as connection:
            row = (
                await connection.execute(
                    select(subscriptions).where(
                        subscriptions.c.tenant == tenant, subscriptions.c.subscription_id == subscription_id
                    )
                )
            ).first()
        return None if row is None else read_subscription(row)

    async def delete(self, tenant: str, subscription_id: str) -> bool:
        """Remove the subscription with its queue and attempts; False when the tenant has no such one."""
        async with self._database.begin() as connection:
            gone = await connection.execute(
                delete(subscriptions).where(
                    subscriptions.c.tenant == tenant, subscriptions.c.subscription_id == subscription_id
                )
            )
            if gone.rowcount != 1:
                return False
            for table in (event_deliveries, delivery_attempts):
                await connection.execute(delete(table).where(table.c.subscription_id == subscription_id))
        return True

    async def rotate(self, tenant: str, subscription_id: str, overlap: timedelta) -> Subscription | None:
        """A new secret; the current one keeps signing for `overlap`, and older ones still in theirs
        keep their own times (0: every one retired at once, as for a leak)."""
        now = datetime.now(UTC)
        mine = (subscriptions.c.tenant == tenant, subscriptions.c.subscription_id == subscription_id)
        async with self._database.begin() as connection:
            row = (await connection.execute(select(subscriptions).where(*mine).with_for_update())).first()
            if row is None:
                return None
            kept = read_subscription(row).old_secrets(now) if overlap else []
            await connection.execute(
                update(subscriptions)
                .where(*mine)
                .values(  # no overlap: nothing old signs (the view showed a "retires at" already past)
                    previous_secret=row.secret if overlap else None,
                    previous_retires_at=now + overlap if overlap else None,
                    earlier_secrets=[[s, until.isoformat()] for s, until in kept[:MAX_EARLIER_SECRETS]],
                    secret=new_secret(),
                )
            )
        return await self.get(tenant, subscription_id)

    async def change(
        self, tenant: str, subscription_id: str, changes: dict[str, Any], *, paused: bool | None = None
    ) -> Subscription | None:
        """Change url, events, description or allow_private, and pause or resume: the id, the secret
        and the sequences stay, as do the queued events (sent to the new URL; a type no longer
        subscribed stays queued: it was an event of the subscription when it happened)."""
        values = dict(changes)
        if paused is not None:
            values["paused_at"] = datetime.now(UTC) if paused else None
        async with self._database.begin() as connection:
            query = subscriptions.c.tenant == tenant, subscriptions.c.subscription_id == subscription_id
            current = (await connection.execute(select(subscriptions.c.paused_at).where(*query))).first()
            was_paused = current is not None and current.paused_at is not None
            if paused and was_paused:  # paused again: it keeps the instant it was first paused
                values.pop("paused_at")
            now, waiting = datetime.now(UTC), event_deliveries.c
            retry: dict[str, datetime] = {}
            if paused is False and was_paused:  # resumed: each waiting event's whole window from now
                retry |= {"window_starts_at": now, "next_attempt_at": now}
            if "url" in values:  # a mended receiver: what waits for its next retry goes now
                retry |= {"next_attempt_at": now}
            if retry:
                mine = and_(waiting.subscription_id == subscription_id, waiting.state == PENDING)
                await connection.execute(update(event_deliveries).where(mine).values(**retry))
            if values:
                await connection.execute(update(subscriptions).where(*query).values(**values))
            row = (await connection.execute(select(subscriptions).where(*query))).first()
        return read_subscription(row) if row is not None else None

    async def mark(self, subscription_id: str, state: str, at: datetime) -> bool:
        """Set active or failing; True when the state changed (ops are told once per change)."""
        async with self._database.begin() as connection:
            changed = await connection.execute(
                update(subscriptions)
                .where(subscriptions.c.subscription_id == subscription_id, subscriptions.c.state != state)
                .values(state=state, failing_since=at if state == FAILING else None)
            )
            return changed.rowcount == 1

    async def queue_counts(self, subscription_id: str) -> dict[str, int]:
        """How many of the subscription's deliveries are pending, delivered and given up (failed)."""
        c = event_deliveries.c
        async with self._database.connect() as connection:
            rows = await connection.execute(
                select(c.state, func.count()).where(c.subscription_id == subscription_id).group_by(c.state)
            )
            counted = {row[0]: int(row[1]) for row in rows}
        return {state: counted.get(state, 0) for state in ("pending", "delivered", "failed")}
