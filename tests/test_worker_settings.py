"""Worker sizing settings: read from the environment, checked at start, passed to the Temporal worker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.conftest import serve_service


def test_worker_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOFLOW_MAX_CACHED_WORKFLOWS", "250")
    monkeypatch.setenv("CONVOFLOW_MAX_CONCURRENT_WORKFLOW_TASKS", "8")
    settings = Settings()
    assert (settings.max_cached_workflows, settings.max_concurrent_workflow_tasks) == (250, 8)
    monkeypatch.delenv("CONVOFLOW_MAX_CACHED_WORKFLOWS")
    monkeypatch.delenv("CONVOFLOW_MAX_CONCURRENT_WORKFLOW_TASKS")
    defaults = Settings()
    assert (defaults.max_cached_workflows, defaults.max_concurrent_workflow_tasks) == (1000, 100)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONVOFLOW_MAX_CACHED_WORKFLOWS", "-1"),
        ("CONVOFLOW_MAX_CACHED_WORKFLOWS", "many"),
        ("CONVOFLOW_MAX_CONCURRENT_WORKFLOW_TASKS", "1"),  # Temporal needs two with a sticky cache
        ("CONVOFLOW_MAX_CONCURRENT_WORKFLOW_TASKS", "0"),
    ],
)
def test_bad_worker_sizes_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    field = variable.removeprefix("CONVOFLOW_").lower()
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


async def test_the_worker_is_built_with_the_configured_sizes(client: Client, settings: Settings) -> None:
    sized = settings.model_copy(update={"max_cached_workflows": 3, "max_concurrent_workflow_tasks": 4})
    worker = build_worker(client, sized)
    config = worker.config()
    assert (config["max_cached_workflows"], config["max_concurrent_workflow_tasks"]) == (3, 4)


async def test_conversations_work_with_no_cache(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """With the cache off every event replays the conversation from history: slower, same answers."""
    uncached = settings.model_copy(update={"max_cached_workflows": 0})
    async with serve_service(client, uncached, tenants) as api:
        assert (await api.post_message("nocache-1", "m-1")).status == 201
        assert (await api.post_message("nocache-1", "m-2", "and again")).status == 200
        assert (await api.post_message("nocache-1", "m-2", "and again")).body["duplicate"] is True
        state = (await api.get("nocache-1")).body
    assert state["customer_messages"] == 2
