"""A small HTTP client for the API under test, speaking to a real server on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jsonschema


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiClient:
    """Speaks for two tenants, "acme" and "globex", whose real names are unique to the test.

    The Temporal server is shared by the whole session, so unique tenants keep one test's
    conversations out of another's.
    """

    def __init__(self, base_url: str, session: aiohttp.ClientSession, tenants: dict[str, str]) -> None:
        self.base_url = base_url
        self.session = session
        self.tenants = tenants
        self.app: Any = None  # the aiohttp application under test, for tests that inspect its routes
        self._document: dict[str, Any] | None = None

    def workflow_id(self, conversation: str, tenant: str = "acme") -> str:
        return f"conversation:{self.tenants[tenant]}:{conversation}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        tenant: str | None = "acme",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if tenant is not None:
            all_headers["Authorization"] = f"Bearer {api_key(self.tenants[tenant])}"
        async with self.session.request(
            method, self.base_url + path, json=json, data=data, headers=all_headers
        ) as resp:
            # Errors are RFC 9457 problems (application/problem+json), which resp.json() refuses unless told.
            expected = "application/problem+json" if resp.status >= 400 else "application/json"
            assert resp.content_type == expected, f"{resp.status}: {resp.content_type}, not {expected}"
            return Reply(resp.status, await resp.json(content_type=None), dict(resp.headers))

    async def assert_described(self, reply: Reply, method: str, path: str) -> None:
        """The reply is what the served OpenAPI document says `method path` answers with its status:
        the body a generated client's model for it reads (a plain object there reads as a dict)."""
        if self._document is None:
            self._document = (await self.request("GET", "/v1/openapi.json", tenant=None)).body
        answers = self._document["paths"][path][method.lower()]["responses"]
        assert str(reply.status) in answers, f"{method} {path} answered {reply.status}: {list(answers)}"
        [(_, described)] = answers[str(reply.status)]["content"].items()
        assert described["schema"] != {"type": "object"}, f"{method} {path}: any object"
        schema = {**described["schema"], "components": self._document["components"]}
        jsonschema.validate(reply.body, schema, cls=jsonschema.Draft202012Validator)

    async def post_message(
        self,
        conversation: str,
        message_id: str,
        text: str = "Hello, my invoice is wrong",
        *,
        tenant: str = "acme",
        channel: str = "email",
        sender: str = "ada@example.com",
        wait: str | None = "decided",
    ) -> Reply:
        """POST a customer message; by default `?wait=decided`, since most tests read what its rules
        did right after. `wait=None` is the API's default: the answer comes when it is recorded."""
        query = f"?wait={wait}" if wait else ""
        return await self.request(
            "POST",
            f"/v1/conversations/{conversation}/messages{query}",
            tenant=tenant,
            json={"message_id": message_id, "channel": channel, "sender": {"address": sender}, "text": text},
        )

    async def get(self, conversation: str, *, tenant: str = "acme") -> Reply:
        return await self.request("GET", f"/v1/conversations/{conversation}", tenant=tenant)


def api_key(tenant: str) -> str:
    return f"key-{tenant}"


async def trail(api: ApiClient, conversation: str) -> list[dict[str, Any]]:
    """The conversation's decision trail, oldest entry first (GET .../decisions)."""
    reply = await api.request("GET", f"/v1/conversations/{conversation}/decisions")
    assert reply.status == 200, reply.body
    return reply.body["decisions"]
