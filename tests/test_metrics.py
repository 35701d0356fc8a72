"""/metrics as Prometheus reads it: a scenario through the API, scraped, parsed by prometheus-client.

What an operator would check on a dashboard: three customer emails counted in, their
acknowledgements out, the rules' decisions and actions, one SLA breach on the urgent one, two
agents online and one away, one conversation waiting in the support queue; and that the endpoint
is closed without the metrics token when one is configured.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from temporalio.client import Client

from engine.service.config import Settings
from engine.service.metrics_server import serve_worker_metrics, temporal_runtime
from engine.service.temporal_client import connect
from engine.service.temporal_server import free_port
from engine.service.worker import build_worker
from tests.api_client import ApiClient, api_key
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.polling import eventually
from tests.test_assignment_desk import add_agent, assigned_to

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(session: aiohttp.ClientSession, url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The sample `name` with exactly these labels (None: not exposed)."""
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
async def metrics_api(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> AsyncIterator[ApiClient]:
    publish(settings, TEST_PACKS / "metrics")
    async with serve_api(client, settings, tenants) as api:
        yield api


async def test_the_scrape_counts_what_the_scenario_did(metrics_api: ApiClient, worker: None) -> None:
    api = metrics_api
    tenant = api.tenants["acme"]
    await add_agent(api, "ana", teams=["support"], skills=[], capacity=1)
    await add_agent(api, "ben", teams=["billing"], skills=[], capacity=5)
    await add_agent(api, "cy", teams=["support"], skills=[], presence="away")
    for conversation, text in (
        ("c1", "urgent: the app is down"),
        ("c2", "the app is slow"),
        ("c3", "my invoice is wrong"),
    ):
        posted = await api.post_message(conversation, f"m-{conversation}", text)
        assert posted.status == 201, posted.body
    again = await api.post_message("c1", "m-c1", "urgent: the app is down")  # the channel repeats itself
    assert again.status == 200 and again.body["duplicate"]
    await assigned_to(api, "c1", "ana")
    await assigned_to(api, "c3", "ben")

    url = api.base_url + "/metrics"
    samples: Samples = {}

    async def settled() -> bool:
        nonlocal samples
        status, text = await scrape(api.session, url)
        assert status == 200, text
        samples = parse(text)
        return (
            value(samples, "convoflow_sla_breaches_total", tenant=tenant, target="first_response") == 1
            and value(samples, "convoflow_open_conversations_all", tenant=tenant) == 3
            and value(samples, "convoflow_queue_depth", tenant=tenant, team="support") == 1
        )

    await eventually(settled, "the breach, three open conversations and one waiting, on /metrics")

    assert value(samples, "convoflow_messages_in_total", tenant=tenant, channel="email") == 3
    assert (
        value(samples, "convoflow_messages_out_total", tenant=tenant, channel="email", kind="auto_reply") == 3
    )
    assert value(samples, "convoflow_sla_warnings_total", tenant=tenant, target="first_response") == 1
    assert value(samples, "convoflow_decisions_total", tenant=tenant, event="conversation.created") == 3
    decided = sum(
        v
        for (name, labels), v in samples.items()
        if name == "convoflow_decisions_total" and ("tenant", tenant) in labels
    )
    assert value(samples, "convoflow_decision_seconds_count", tenant=tenant) == decided
    for kind, count in {"reply": 3, "apply_sla": 3, "route": 3, "assign": 3}.items():
        assert value(samples, "convoflow_actions_total", tenant=tenant, kind=kind) == count, kind
    assert value(samples, "convoflow_open_conversations", tenant=tenant, team="support") == 2
    assert value(samples, "convoflow_open_conversations", tenant=tenant, team="billing") == 1
    assert value(samples, "convoflow_queue_depth", tenant=tenant, team="billing") == 0
    assert value(samples, "convoflow_agents", tenant=tenant, presence="online") == 2
    assert value(samples, "convoflow_agents", tenant=tenant, presence="away") == 1
    assert value(samples, "convoflow_agents", tenant=tenant, presence="offline") == 0
    route = "/v1/conversations/{conversation_id}/messages"
    assert (
        value(samples, "convoflow_http_requests_total", method="POST", route=route, status="201") is not None
    )
    # Nothing personal in any label: no conversation id, no address, no message text.
    label_values = {v for _, labels in samples for _, v in labels}
    assert not label_values & {"c1", "c2", "c3", "ada@example.com", "urgent: the app is down"}
    assert not any(v.startswith("conversation:") for v in label_values)


async def test_with_a_metrics_token_only_the_token_opens_metrics(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    token = "scrape-" + "x" * 20
    guarded = settings.model_copy(
        update={"metrics_token": SecretStr(token), "worker_metrics_port": free_port()}
    )
    async with serve_api(client, guarded, tenants) as api:
        url = api.base_url + "/metrics"
        status, text = await scrape(api.session, url)
        assert status == 401 and "Authorization" in text
        a_tenants_key = api_key(api.tenants["acme"])
        assert (await scrape(api.session, url, a_tenants_key))[0] == 401  # metrics span every tenant
        status, text = await scrape(api.session, url, token)
        assert status == 200 and "# TYPE convoflow_messages_in_total counter" in text
        # A worker process serves its counters on its own port, behind the same token.
        runner = await serve_worker_metrics(guarded)
        assert runner is not None
        try:
            worker_url = f"http://127.0.0.1:{guarded.worker_metrics_port}/metrics"
            assert (await scrape(api.session, worker_url))[0] == 401
            status, text = await scrape(api.session, worker_url, token)
            assert status == 200 and "convoflow_decision_seconds" in text
        finally:
            await runner.cleanup()


async def test_the_temporal_sdk_serves_its_worker_metrics_on_the_configured_address(
    settings: Settings,
) -> None:
    chosen = settings.model_copy(update={"temporal_metrics_address": f"127.0.0.1:{free_port()}"})
    sdk_client = await connect(chosen, runtime=temporal_runtime(chosen))
    url = f"http://{chosen.temporal_metrics_address}/metrics"
    names: set[str] = set()
    async with build_worker(sdk_client, chosen), aiohttp.ClientSession() as session:

        async def polling() -> bool:
            status, text = await scrape(session, url)
            if status == 200:
                names.update(family.name for family in text_string_to_metric_families(text))
            return "temporal_worker_task_slots_available" in names

        await eventually(polling, "the SDK's slot gauge on its metrics address")
    assert any(name.startswith("temporal_") for name in names)


def outside_address() -> str:
    """This host's address on its default route (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            pytest.skip("this host has no network interface besides loopback")
        return probe.getsockname()[0]


async def test_without_a_token_metrics_answer_loopback_clients_only(settings: Settings) -> None:
    open_port = settings.model_copy(
        update={"worker_metrics_host": "0.0.0.0", "worker_metrics_port": free_port()}
    )
    runner = await serve_worker_metrics(open_port)
    assert runner is not None
    try:
        async with aiohttp.ClientSession() as session:
            port = open_port.worker_metrics_port
            assert (await scrape(session, f"http://127.0.0.1:{port}/metrics"))[0] == 200
            # A proxy on this host forwarding a client from elsewhere: not a local scraper.
            for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
                proxied = {header: "203.0.113.9" if header != "Forwarded" else "for=203.0.113.9"}
                async with session.get(f"http://127.0.0.1:{port}/metrics", headers=proxied) as resp:
                    assert resp.status == 403 and "proxy" in await resp.text(), header
            status, text = await scrape(session, f"http://{outside_address()}:{port}/metrics")
            assert status == 403 and "CONVOFLOW_METRICS_TOKEN" in text
    finally:
        await runner.cleanup()
