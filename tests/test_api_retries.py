"""A caller's retry is always safe: a 503 says when to retry, and retrying never duplicates anything."""

from __future__ import annotations

from temporalio.client import Client

from activities.outbox import Outbox
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.conftest import serve_api
from tests.replay import replay_every_run


def acknowledgements(outbox: Outbox) -> int:
    return [m.get("template") for m in outbox.read_all()].count("acknowledgement")


async def test_update_nobody_answers_is_503_with_retry_after_and_the_retry_is_safe(
    client: Client, settings: Settings, tenants: dict[str, str], outbox: Outbox
) -> None:
    impatient = settings.model_copy(update={"update_timeout_seconds": 1.0})
    async with serve_api(client, impatient, tenants) as api:  # no worker polls the queue yet
        first = await api.post_message("t-1", "m-1")
        assert first.status == 503, first.body
        assert int(first.headers["Retry-After"]) > 0
        assert first.body["error"] == "worker_unavailable" and "message_id" in first.body["message"]
        read = await api.get("t-1")
        assert read.status == 503 and int(read.headers["Retry-After"]) > 0

    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        again = await api.post_message("t-1", "m-1")
        assert again.status in (200, 201), again.body
        state = (await api.get("t-1")).body
    assert state["customer_messages"] == 1
    assert acknowledgements(outbox) == 1
    assert await replay_every_run(client, settings.task_queue) == 1
