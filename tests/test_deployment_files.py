"""The cluster layout: a valid Compose file that registers exactly the search attributes the workflow upserts.

A workflow that upserts an unregistered attribute does not fail: it hangs. Docker cannot run on
these machines, so this is checked from the files themselves: `docker compose config` validates a
file against the Compose Specification's JSON schema, and so does this test, with the same schema.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from engine.service.temporal_server import DESK_IN_FLIGHT_UPDATES, TIMER_SHIFT, search_attribute_type_name
from workflows.conversation import search_attributes

ROOT = Path(__file__).resolve().parent.parent


def test_compose_namespace_job_registers_every_search_attribute() -> None:
    script = (ROOT / "deploy/temporal/setup-namespace.sh").read_text()
    registered = dict(re.findall(r"\b(Convo\w+)=(\w+)", script))
    expected = {key.name: search_attribute_type_name(key) for key in search_attributes.ALL}
    assert registered == expected


def test_compose_file_has_the_documented_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "temporal", "temporal-ui", "api", "worker"} <= set(services)
    for part in ("api", "worker", "codec-server"):
        assert services[part]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
        # A cluster refuses to start without a payload keyring: compose demands one.
        keyring = services[part]["environment"]["CONVOFLOW_PAYLOAD_KEYS"]
        assert keyring.startswith("${CONVOFLOW_PAYLOAD_KEYS:?")
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == (
        "service_completed_successfully"
    )


def test_compose_runs_stateless_parts_on_one_postgresql() -> None:
    """API and workers keep nothing on disk: no volume, the database URL on the compose PostgreSQL,
    and they start only after the one-shot `convoflow db upgrade` of the release."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["convoflow-migrate"]["command"] == ["db", "upgrade"]
    for part in ("api", "worker"):
        service = services[part]
        assert "volumes" not in service
        assert service["environment"]["CONVOFLOW_DATABASE_URL"].split("@")[1] == "postgres:5432/convoflow"
        assert service["depends_on"]["convoflow-migrate"]["condition"] == "service_completed_successfully"
    init = services["postgres"]["volumes"]
    assert any(v.startswith("./deploy/postgres/init-convoflow.sh:/docker-entrypoint-initdb.d/") for v in init)
    assert (ROOT / "deploy/postgres/init-convoflow.sh").exists()
    assert set(compose["volumes"]) == {"postgres-data"}


def test_compose_cluster_fires_short_timers_and_takes_desk_updates_as_the_embedded_server() -> None:
    """Every message's handling starts with a 1 ms timer: at Temporal's default timer shift (1 s) a
    cluster would handle each message up to a second after answering it, where `convoflow up` takes
    a few ms; and a desk under a burst would refuse requests past Temporal's 10 updates in flight."""
    config = yaml.safe_load((ROOT / "deploy/temporal/dynamicconfig.yaml").read_text())

    def value(key: str) -> object:
        [setting] = config[key]
        return setting["value"]

    assert value("history.timerProcessorMaxTimeShift") == TIMER_SHIFT
    assert value("history.maxInFlightUpdates") == DESK_IN_FLIGHT_UPDATES


COMPOSE_SCHEMA = json.loads((ROOT / "tests/conformance/compose/compose-spec.json").read_text())


def compose_problems(compose: dict[str, Any]) -> list[str]:
    """What `docker compose config` would refuse: schema errors, and dependencies on missing services."""
    validator = jsonschema.Draft7Validator(COMPOSE_SCHEMA)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    for name, service in compose["services"].items():
        for needed in service.get("depends_on", {}):
            if needed not in compose["services"]:
                problems.append(f"services/{name}/depends_on: no service {needed}")
    return problems


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose_problems(compose) == []
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["replica"] = 4  # a typo of deploy.replicas: Compose refuses it
    broken["services"]["api"]["depends_on"]["temporal-frontend"] = {"condition": "service_healthy"}
    assert compose_problems(broken) == [
        "services/worker: 'replica' does not match any of the regexes: '^x-'",
        "services/api/depends_on: no service temporal-frontend",
    ]


def test_every_secret_the_compose_file_demands_is_documented() -> None:
    """`${VAR:?...}` stops `docker compose up` until VAR is set: README must say so."""
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    readme = (ROOT / "README.md").read_text()
    assert required and {name for name in required if name not in readme} == set()


def test_prometheus_can_scrape_the_compose_cluster_as_readme_configures_it() -> None:
    """README's scrape targets named services the file does not have, the workers served no
    metrics (no port set), no metrics token was set (so another container got 403), and an API
    without the audit key answered every export 503."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    readme = (ROOT / "README.md").read_text()
    targets = re.search(r"static_configs: \[\{targets: \[([^\]]*)\]", readme)
    assert targets is not None
    named = [t.strip().strip('"') for t in targets.group(1).split(",")]
    for target in named:
        host, port = target.split(":")
        assert host in services, target
        environment = services[host]["environment"]
        assert port == "8080" if host == "api" else environment["CONVOFLOW_WORKER_METRICS_PORT"] == port
    for part in ("api", "worker"):
        environment = services[part]["environment"]
        for secret in ("CONVOFLOW_METRICS_TOKEN", "CONVOFLOW_AUDIT_KEY"):
            assert environment[secret].startswith(f"${{{secret}:?"), (part, secret)
        assert services[part]["restart"] == "unless-stopped"
