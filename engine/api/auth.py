"""Tenant API keys: Bearer tokens resolved to a tenant, stored and compared only as SHA-256 hashes.

Two sources, checked in this order: the keys of the settings (CONVOFLOW_API_KEYS, _FILE, or the
development key; role `admin`), held in memory, and the keys created with `convoflow key create` in
the database. A database answer is cached per process for CACHE_SECONDS, so a key revoked with
`convoflow key revoke` stops working on every API replica within that time, without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.errors import ApiError, Handler, named, unavailable
from engine.db.keys import TENANT_PATTERN, Identity, identity_of
from engine.service.config import Settings

# /metrics checks its own token (engine/api/metrics.py): API keys are per tenant, metrics are not.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/v1/openapi.json", "/metrics"})
SIGNED_PREFIX = "/v1/inbound/webhook/"  # authenticated by webhook signature instead of a key
# The ops console authenticates by its session cookie (engine/api/console/sessions.py), not a Bearer
# key; its sign-in page and its static files are open to anyone.
CONSOLE_PREFIX = "/console"
CONSOLE_OPEN_PATHS = frozenset({"/console/sign-in"})
CONSOLE_STATIC_PREFIX = "/console/static/"
TENANT = web.RequestKey("tenant", str)
ROLE = web.RequestKey("role", str)
KEY_ID = web.RequestKey("key_id", str)
KEY_HASH = web.RequestKey("key_hash", str)
"""SHA-256 of the key the request speaks with (rate limits count per key)."""
SETTINGS_KEY_ID = "settings"
"""Keys from settings have no id of their own: each is named `settings-<n>`, its place among its
tenant's keys in the setting (an erasure record and the access log said `key settings` for every one
of them; a part of the key's hash would let a weak key be guessed offline from a log)."""
SETTINGS_ROLE = "admin"  # keys from settings were all-powerful before roles existed, and stay so
CACHE_SECONDS = 5.0
MAX_CACHED = 10_000  # answers kept per process; the cache starts over when full (garbage keys flood it)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """sha256(key) -> tenant."""

    def __init__(self, hashes: dict[str, str] | None = None) -> None:
        self._tenant_by_hash: dict[str, str] = {}
        for digest, tenant in (hashes or {}).items():
            self.add_hash(tenant, digest)

    def add_hash(self, tenant: str, digest: str) -> None:
        if not TENANT_PATTERN.match(tenant):
            raise ValueError(f"invalid tenant name {tenant!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"tenant {tenant!r}: key hash must be 64 lowercase hex characters")
        self._tenant_by_hash[digest] = tenant

    def add_key(self, tenant: str, key: str) -> None:
        self.add_hash(tenant, hash_key(key))

    def tenant_for(self, key: str) -> str | None:
        return self.tenant_for_hash(hash_key(key))

    def key_id_for_hash(self, digest: str) -> str:
        """`settings-<n>`: the key's place among its tenant's keys, in the order the setting names them."""
        tenant = self._tenant_by_hash.get(digest)
        mine = [known for known, owner in self._tenant_by_hash.items() if owner == tenant]
        return f"{SETTINGS_KEY_ID}-{mine.index(digest) + 1}" if digest in mine else SETTINGS_KEY_ID

    def tenant_for_hash(self, digest: str) -> str | None:
        found = None
        # Compare against every entry so timing does not reveal how much of a hash matched.
        for known, tenant in self._tenant_by_hash.items():
            if hmac.compare_digest(known, digest):
                found = tenant
        return found

    def __len__(self) -> int:
        return len(self._tenant_by_hash)

    @property
    def tenants(self) -> set[str]:
        """The tenants these keys speak for (each needs a row in the database to own data)."""
        return set(self._tenant_by_hash.values())

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyStore:
        store = cls()
        if settings.api_keys is not None:
            for n, pair in enumerate(settings.api_keys.get_secret_value().split(","), 1):
                tenant, sep, key = pair.strip().partition(":")
                if not sep or not key:
                    raise ValueError(f"CONVOFLOW_API_KEYS entry {n}: expected tenant:key")
                try:
                    store.add_key(tenant, key)
                except ValueError as exc:  # "invalid tenant name ''" named neither the setting nor the entry
                    raise ValueError(f"CONVOFLOW_API_KEYS entry {n}: {exc}") from None
        if settings.api_keys_file is not None:
            store.load_file(settings.api_keys_file)
        return store

    def load_file(self, path: Path) -> None:
        try:
            text = path.read_text()
        except OSError as exc:
            raise ValueError(f"CONVOFLOW_API_KEYS_FILE {path}: {exc.strerror}") from None
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"{path}:{lineno}: expected `tenant sha256-hex`")
            try:
                self.add_hash(parts[0], parts[1])
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from None


class DatabaseKeys:
    """Keys of the database, looked up by hash, each answer (also "unknown") cached for CACHE_SECONDS.

    The cache spares the database one query per request; its lifetime bounds how long a revoked key
    keeps working. An unreachable database answers 503 with Retry-After: the key may well be valid.
    """

    def __init__(self, database: AsyncEngine, ttl: float = CACHE_SECONDS) -> None:
        self._database = database
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Identity | None]] = {}

    async def identity_for(self, key: str) -> Identity | None:
        return await self.identity_for_hash(hash_key(key))

    async def identity_for_hash(self, digest: str) -> Identity | None:
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            found = await identity_of(self._database, digest)
        except (OSError, SQLAlchemyError):
            raise unavailable("database_unavailable", "cannot check the API key now; retry") from None
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl, found)
        return found

    def forget(self, key_id: str) -> None:
        """Drop a key revoked through this process: it stops here at once (it answered for up to
        CACHE_SECONDS after its DELETE, on the API that took it); other replicas within the TTL."""
        self._cache = {d: c for d, c in self._cache.items() if c[1] is None or c[1].key_id != key_id}


STORED_KEYS = web.AppKey("stored_keys", DatabaseKeys)


def development_key(data_dir: Path) -> str:
    """The key `make run` prints when no keys are configured, kept in the data dir across restarts."""
    path = data_dir / "dev-api-key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = "dev_" + secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def is_console(path: str) -> bool:
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


def is_open(path: str) -> bool:
    """Paths that answer without any credential (they check their own, or need none)."""
    return (
        path in PUBLIC_PATHS
        or path.startswith(SIGNED_PREFIX)
        or path in CONSOLE_OPEN_PATHS
        or path.startswith(CONSOLE_STATIC_PREFIX)
    )


async def identity_of_hash(keys: KeyStore, stored: DatabaseKeys, digest: str) -> Identity | None:
    """Who a key (by its hash) speaks for now: the settings' keys first, then the database's."""
    tenant = keys.tenant_for_hash(digest)
    if tenant is not None:
        return Identity(tenant=tenant, role=SETTINGS_ROLE, key_id=keys.key_id_for_hash(digest))
    return await stored.identity_for_hash(digest)


REALM = "convoflow"
"""A 401 names its scheme (RFC 9110 requires `WWW-Authenticate` on every 401; clients and proxies
that follow it tried no credentials)."""


def auth_middleware(keys: KeyStore, stored: DatabaseKeys):
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_open(request.path) or is_console(request.path):
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "unauthorized",
                "missing API key: send `Authorization: Bearer <key>`",
                named("Authorization", "missing Bearer token"),
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
            )
        digest = hash_key(token.strip())
        identity = await identity_of_hash(keys, stored, digest)
        if identity is None:
            raise ApiError(
                401,
                "unauthorized",
                "unknown API key",
                named("Authorization", "unknown key"),
                # RFC 6750: a token that was sent and is not valid
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
            )
        request[TENANT] = identity.tenant
        request[ROLE] = identity.role
        request[KEY_ID] = identity.key_id
        request[KEY_HASH] = digest
        return await handler(request)

    return authenticate
