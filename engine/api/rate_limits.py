"""Rate limits per tenant and per API key, answered with 429 and the IETF RateLimit fields.

Policies: each is a quota of requests per window; the defaults come from settings
(CONVOFLOW_RATE_LIMIT_...), and a tenant's own values from `tenants.limits` override them
(engine/db/tenant_limits.py, set with `convoflow tenant limits`, read here cached CACHE_SECONDS).

- "tenant": every request made with one tenant's API keys, together;
- "key": every request made with one API key (partitioned by its SHA-256, as auth.hash_key);
- "rules": a tenant's POSTs under /v1/rules/ (parsing, testing and simulating packs cost the most);
- "webhook": a tenant's signed inbound webhooks, which carry no key. They count once the signature
  verified, so nobody without the secret can use up a tenant's quota (engine/api/inbound_webhook.py).

A request over any policy it falls under answers 429 `{"error": "rate_limited", ...}` with
`Retry-After` (whole seconds) and consumes nothing from its other policies. Every limited response,
admitted or not, carries the fields of draft-ietf-httpapi-ratelimit-headers (sections 3 and 4 of
draft -11, May 2026; the syntax is that of -08 onwards), each a Structured Field list (RFC 9651)
with one item per policy:

    RateLimit-Policy: "tenant";q=6000;w=60, "key";q=3000;w=60
    RateLimit: "tenant";r=5998;t=1, "key";r=2998;t=1

`q` is the quota and `w` its window in seconds; `r` is the quota available now and `t` the
"effective window": here the whole seconds until one more request of quota comes back, rounded up
(at least 1: `t=0` read as "now"), so on a 429 `t` never ends after `Retry-After` (draft section 6).
/healthz, /readyz and /v1/openapi.json are never limited (no tenant reaches them).

Algorithm: GCRA (the generic cell rate algorithm), a token bucket kept as one number per policy and
partition: the theoretical arrival time (TAT) of the next request. A request is admitted when its
TAT, moved on by one interval (window / quota), is at most one window ahead of now. O(1) per request,
one float per active client, and a client idle for a window has a TAT in the past, which is the same
as no entry at all. So the table is bounded safely: it holds at most MAX_TRACKED entries, evicting
the least recently used one, which hands that client its full burst again; that only matters once
more than MAX_TRACKED clients are active within one window. Only authenticated callers reach it
(auth answers 401 for unknown keys before any entry is made), so garbage keys cannot grow it either.

Per process, on purpose: each API process enforces the limits on its own, so N replicas behind a
load balancer admit up to N times each limit (set the limits to the share of one replica, or put a
shared limiter in the ingress proxy). A limit shared through the control-plane database would cost a
write (a row lock under contention) on every request, taken from the very database the limiter is
there to protect, and would make every request fail with the database; in-process GCRA costs a dict
lookup and keeps working when the database is away (then with the limits last read).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.api.auth import KEY_HASH, TENANT
from engine.api.body_limits import RULES_PREFIXES
from engine.api.errors import ApiError, Handler
from engine.db.tenant_limits import TenantLimits, limits_of
from engine.service.config import Settings

log = logging.getLogger("convoflow.api")

CACHE_SECONDS = 5.0  # how long a tenant's own limits are kept before the database is asked again
MAX_TRACKED = 100_000  # (policy, client) entries kept; the least recently used goes first
MAX_CACHED_TENANTS = 10_000  # tenants whose limits are cached; the cache starts over when full
EPSILON = 1e-6  # seconds: float rounding must not turn a whole request of quota into 0.999999
Clock = Callable[[], float]


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A quota of requests per window; the whole quota may be spent at once (the burst)."""

    name: str
    """What the RateLimit fields call it: tenant, key, rules or webhook."""
    quota: int
    window: int
    """Seconds over which a spent quota refills, evenly."""

    @property
    def interval(self) -> float:
        """Seconds one request of quota takes to come back."""
        return self.window / self.quota


@dataclass(frozen=True, kw_only=True)
class Policies:
    """A tenant's policies in force; None where a limit is turned off (0)."""

    tenant: Policy | None
    key: Policy | None
    rules: Policy | None
    webhook: Policy | None

    @classmethod
    def of(cls, settings: Settings, own: TenantLimits | None) -> Policies:
        """The deployment's defaults, with each field the tenant set replacing its default."""
        own = own or TenantLimits()
        window = own.window_seconds or settings.rate_limit_window_seconds

        def policy(name: str) -> Policy | None:
            mine = getattr(own, f"{name}_per_minute")
            per_minute = mine if mine is not None else getattr(settings, f"rate_limit_{name}_per_minute")
            if per_minute == 0:
                return None
            return Policy(name=name, quota=max(1, math.ceil(per_minute * window / 60)), window=window)

        return cls(
            tenant=policy("tenant"), key=policy("key"), rules=policy("rules"), webhook=policy("webhook")
        )


@dataclass(frozen=True, kw_only=True)
class Standing:
    """Where one client stands under one policy after a request."""

    policy: Policy
    remaining: int
    window: int
    """The draft's effective window: whole seconds until one more request of quota comes back
    (rounded up, at least 1)."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    admitted: bool
    standings: tuple[Standing, ...]
    retry_after: int = 0
    """Whole seconds to wait before the same request can be admitted (0 when admitted)."""

    def headers(self) -> dict[str, str]:
        """RateLimit-Policy and RateLimit, one list member per policy (and Retry-After on a refusal)."""
        if not self.standings:
            return {}
        headers = {
            "RateLimit-Policy": ", ".join(
                f'"{s.policy.name}";q={s.policy.quota};w={s.policy.window}' for s in self.standings
            ),
            "RateLimit": ", ".join(f'"{s.policy.name}";r={s.remaining};t={s.window}' for s in self.standings),
        }
        if not self.admitted:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class Gcra:
    """The limiter: one theoretical arrival time per (policy, client), at most `max_tracked` of them."""

    def __init__(self, clock: Clock = time.monotonic, max_tracked: int = MAX_TRACKED) -> None:
        self._clock = clock
        self._max_tracked = max_tracked
        self._tat: dict[tuple[str, str], float] = {}  # in least-recently-used order

    def __len__(self) -> int:
        return len(self._tat)

    def admit(self, checks: Sequence[tuple[Policy, str]]) -> Verdict:
        """Admit one request under every (policy, client) given, or under none of them.

        No await inside: on the event loop, checking and spending all the policies is one step.
        """
        now = self._clock()
        arrivals = [max(self._tat.get((p.name, client), now), now) for p, client in checks]
        waits = [tat + p.interval - p.window - now for (p, _), tat in zip(checks, arrivals, strict=True)]
        admitted = all(wait <= EPSILON for wait in waits)
        standings = []
        for (policy, client), tat in zip(checks, arrivals, strict=True):
            if admitted:
                tat += policy.interval
                self._remember((policy.name, client), tat)
            earned = (now + policy.window - tat) / policy.interval  # requests of quota available
            remaining = max(0, math.floor(earned + EPSILON))
            # Until one more comes back, the client can send no more than `remaining`. Rounded up:
            # `t=0` with nothing remaining read as "now", and a client trusting it retried in a loop.
            window = (remaining + 1 - earned) * policy.interval
            standings.append(
                Standing(policy=policy, remaining=remaining, window=max(1, math.ceil(window - EPSILON)))
            )
        if admitted:
            return Verdict(admitted=True, standings=tuple(standings))
        retry_after = max(1, math.ceil(max(waits) - EPSILON))
        # No effective window may end after Retry-After (a shorter one stays true).
        capped = tuple(replace(s, window=min(s.window, retry_after)) for s in standings)
        return Verdict(admitted=False, standings=capped, retry_after=retry_after)

    def _remember(self, slot: tuple[str, str], tat: float) -> None:
        self._tat.pop(slot, None)  # re-inserted last: the dict's order is least recently used first
        self._tat[slot] = tat
        if len(self._tat) > self._max_tracked:
            del self._tat[next(iter(self._tat))]


class TenantPolicyCache:
    """Each tenant's policies in force, read from the database at most once per CACHE_SECONDS.

    When the database cannot be read (down, or a hand-edited value that is not valid) the policies
    last read stay in force, or the deployment's defaults: a limit must not make requests fail.
    """

    def __init__(
        self, settings: Settings, database: AsyncEngine, clock: Clock, ttl: float = CACHE_SECONDS
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Policies]] = {}

    async def of(self, tenant: str) -> Policies:
        now = self._clock()
        cached = self._cache.get(tenant)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            policies = Policies.of(self._settings, await limits_of(self._database, tenant))
        except (OSError, SQLAlchemyError, ValidationError) as exc:
            log.warning("tenant rate limits unreadable (%s); keeping the limits in force", type(exc).__name__)
            policies = cached[1] if cached is not None else Policies.of(self._settings, None)
        if len(self._cache) >= MAX_CACHED_TENANTS:
            self._cache.clear()
        self._cache[tenant] = (now + self._ttl, policies)
        return policies


class RateLimits:
    """The app's limiter and the tenants' policies; one per API process (see the module docstring)."""

    def __init__(self, settings: Settings, database: AsyncEngine, clock: Clock = time.monotonic) -> None:
        self.limiter = Gcra(clock)
        self.policies = TenantPolicyCache(settings, database, clock)

    async def admit(self, request: web.Request, checks: Sequence[tuple[Policy | None, str]]) -> None:
        """Admit the request or raise 429; the verdict's headers go on the response either way."""
        verdict = self.limiter.admit([(policy, client) for policy, client in checks if policy is not None])
        request[VERDICT] = verdict
        if not verdict.admitted:
            raise RateLimited(verdict)


class RateLimited(ApiError):
    """429, with the policies that refused the request named in the message."""

    def __init__(self, verdict: Verdict) -> None:
        spent = ", ".join(
            f"{s.policy.name} ({s.policy.quota} requests per {s.policy.window} s)"
            for s in verdict.standings
            if s.remaining == 0
        )
        super().__init__(
            429,
            "rate_limited",
            f"rate limit reached: {spent}; retry in {verdict.retry_after} s",
            headers=verdict.headers(),
        )

    def body(self) -> dict:
        return {**super().body(), "fields": []}


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)
VERDICT = web.RequestKey("rate_limit_verdict", Verdict)


def _bearer_digest(request: web.Request) -> str:
    """The SHA-256 of the request's key (auth, or the console's session, set it)."""
    return request[KEY_HASH]


@web.middleware
async def limit_rates(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After auth: limit by tenant and key; put the RateLimit fields on whatever the handler answers."""
    tenant = request.get(TENANT)
    if tenant is not None:
        limits = request.app[RATE_LIMITS]
        policies = await limits.policies.of(tenant)
        checks = [(policies.tenant, tenant), (policies.key, _bearer_digest(request))]
        if request.method == "POST" and request.path.startswith(RULES_PREFIXES):
            checks.append((policies.rules, tenant))
        await limits.admit(request, checks)
    try:
        response = await handler(request)
    except ApiError as exc:
        if (verdict := request.get(VERDICT)) is not None and not isinstance(exc, RateLimited):
            exc.headers = {**verdict.headers(), **exc.headers}
        raise
    if (verdict := request.get(VERDICT)) is not None and not response.prepared:
        response.headers.update(verdict.headers())
    return response


async def limit_webhook(request: web.Request, tenant: str) -> None:
    """Count a signed webhook against its tenant's webhook policy (call once the signature verified)."""
    limits = request.app[RATE_LIMITS]
    policies = await limits.policies.of(tenant)
    await limits.admit(request, [(policies.webhook, tenant)])
