"""CRM adapters: who the customer is (enrichment) and what we write back (fields, notes).

The local CRM lives in the control-plane database (activities.local_crm; seeded by
`convoflow crm import`); the REST CRM speaks to any HTTP CRM with a configurable base URL and auth
header. Lookups answer "unknown customer" for a 404, never an error; an unreachable CRM raises, and
the workflow carries on without enrichment and says so in its decision trail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
from temporalio import activity

from activities.http_outcome import raise_for_status, unreachable
from activities.http_session import HttpSession
from activities.local_crm import LocalCrm
from engine.contracts.activities import CRM_WRITE, LOOKUP_CUSTOMER, Crm
from engine.contracts.crm import CrmWrite, Customer, CustomerQuery

__all__ = ["CrmActivities", "LocalCrm", "RestCrm"]

TIMEOUT = aiohttp.ClientTimeout(total=5)


class RestCrm:
    """GET {base}/customers?email=|phone=|external_id=, PATCH {base}/customers/{id}, POST .../notes."""

    def __init__(self, base_url: str, auth_header: str = "Authorization", token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpSession(TIMEOUT, {auth_header: token} if token else {})

    async def lookup(self, query: CustomerQuery) -> Customer | None:
        for column in ("external_id", "email", "phone"):
            value = getattr(query, column)
            if not value:
                continue
            url = f"{self.base_url}/customers?{column}={quote(value)}"
            status, body = await self._call("GET", url)
            if status == 404:
                continue
            return Customer.model_validate(body)
        return None

    async def write(self, change: CrmWrite) -> bool:
        base = f"{self.base_url}/customers/{quote(change.customer_id)}"
        headers = {"Idempotency-Key": change.idempotency_key}
        if change.field:
            await self._call("PATCH", base, {change.field: change.value}, headers)
        if change.note:
            await self._call("POST", f"{base}/notes", {"text": change.note}, headers)
        return True

    async def close(self) -> None:
        await self._http.close()

    async def _call(
        self, method: str, url: str, payload: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        try:
            async with self._http.get().request(method, url, json=payload, headers=headers) as response:
                if response.status == 404:
                    return 404, None
                raise_for_status(response.status, "Crm")
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable("Crm", exc) from None


class CrmActivities(Crm):
    def __init__(self, crm: LocalCrm | RestCrm | None) -> None:
        self._crm = crm

    async def close(self) -> None:
        """Close the REST CRM's HTTP session (the worker calls this when it shuts down)."""
        if isinstance(self._crm, RestCrm):
            await self._crm.close()

    @activity.defn(name=LOOKUP_CUSTOMER)
    async def lookup_customer(self, query: CustomerQuery) -> Customer | None:
        if self._crm is None:
            return None
        return await self._crm.lookup(query)

    @activity.defn(name=CRM_WRITE)
    async def crm_write(self, change: CrmWrite) -> bool:
        if self._crm is None:
            return False
        return await self._crm.write(change)
