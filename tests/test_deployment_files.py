"""The cluster layout must register exactly the search attributes the workflow upserts.

A workflow that upserts an unregistered attribute does not fail: it hangs. Compose cannot run on
these machines, so this is checked from the files themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from engine.service.temporal_server import search_attribute_type_name
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
