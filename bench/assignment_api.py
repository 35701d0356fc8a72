"""The assignment benchmark's HTTP client: the calls an agent desk app and a team lead's dashboard make
(roster, presence, queue, messages, closes, decision trails), each checked for its expected status so
a failed call stops the run instead of skewing a figure."""

from __future__ import annotations

from typing import Any

import aiohttp

from bench import stack


class ApiFailed(RuntimeError):
    """A call the benchmark relies on did not answer as expected."""


def external_id(conversation_id: str) -> str:
    """`conversation:bench:floor-7` or `floor-7` -> `floor-7`.

    The API lists conversation ids since the ops console (main 359b767); before, workflow ids.
    Splitting a conversation id as a workflow id failed the sampler, so nothing was ever closed.
    """
    return conversation_id.rsplit(":", 1)[-1]


class AgentApi:
    """The bench tenant's API at `base`, through one session."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.headers = {"Authorization": f"Bearer {stack.API_KEY}"}

    async def call(self, method: str, path: str, expect: tuple[int, ...], json: Any = None) -> Any:
        async with self.session.request(method, self.base + path, json=json, headers=self.headers) as resp:
            body = await resp.json(content_type=None)
            if resp.status not in expect:
                raise ApiFailed(f"{method} {path}: HTTP {resp.status} {str(body)[:300]}")
            return body

    async def add_agent(
        self, agent_id: str, *, team: str, capacity: int, skills: list[str], presence: str
    ) -> None:
        body = {"id": agent_id, "name": agent_id, "teams": [team], "skills": skills, "capacity": capacity}
        await self.call("POST", "/v1/agents", (200, 201), body)
        await self.presence(agent_id, presence)

    async def presence(self, agent_id: str, status: str) -> None:
        await self.call("PUT", f"/v1/agents/{agent_id}/presence", (200,), {"status": status})

    async def open(self, conversation: str, text: str, language: str = "en") -> None:
        """The first customer message; answered once the conversation handled it (and asked its desk)."""
        body = {
            "message_id": "m-1",
            "channel": "email",
            "sender": {"address": f"{conversation}@example.com"},
            "text": text,
            "language": language,
        }
        await self.call("POST", f"/v1/conversations/{conversation}/messages", (201,), body)

    async def close(self, conversation: str) -> None:
        await self.call("POST", f"/v1/conversations/{conversation}/status", (200,), {"status": "closed"})

    async def agents(self) -> list[dict[str, Any]] | None:
        """The roster with the desk's loads; None when the desk did not answer (no loads to judge)."""
        body = await self.call("GET", "/v1/agents", (200,))
        return body["agents"] if body["desk"] == "answered" else None

    async def queue(self, team: str) -> list[dict[str, Any]]:
        return (await self.call("GET", f"/v1/teams/{team}/queue", (200,)))["entries"]

    async def decisions(self, conversation: str) -> list[dict[str, Any]]:
        return (await self.call("GET", f"/v1/conversations/{conversation}/decisions", (200,)))["decisions"]
