"""The workflow calls activities by their contract (engine/contracts/activities.py); the adapters
implement them under the same names, and the worker registers every one of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from activities.assignment_desk import DeskActivities
from activities.channels import ChannelActivities
from activities.conversation_events import ConversationEventActivities
from activities.crm import CrmActivities
from activities.handled_records import HandledRecordActivities
from activities.kpi_facts import KpiFactActivities
from activities.roster import RosterActivities
from activities.rule_decisions import RuleActivities
from engine.contracts import activities as contracts
from engine.service.config import Settings
from engine.service.worker import Adapters

IMPLEMENTATIONS = [
    (contracts.RuleDecisions, RuleActivities),
    (contracts.Crm, CrmActivities),
    (contracts.Channels, ChannelActivities),
    (contracts.Desk, DeskActivities),
    (contracts.RosterReads, RosterActivities),
    (contracts.KpiFacts, KpiFactActivities),
    (contracts.ConversationEvents, ConversationEventActivities),
    (contracts.HandledRecordWrites, HandledRecordActivities),
]


def activity_name(fn: Any) -> str:
    return fn.__temporal_activity_definition.name


def methods_of(contract: type) -> list[str]:
    return [n for n, v in vars(contract).items() if callable(v) and not n.startswith("_")]


@pytest.mark.parametrize(("contract", "implementation"), IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_contract_method_is_implemented_under_its_name(contract: type, implementation: type) -> None:
    for name in methods_of(contract):
        implemented = vars(implementation).get(name)
        assert implemented is not None, f"{implementation.__name__} does not implement {name}"
        assert activity_name(implemented) == activity_name(getattr(contract, name))


def test_the_worker_registers_every_activity_the_workflow_calls(tmp_path: Path) -> None:
    registered = {activity_name(a) for a in Adapters.from_settings(Settings(data_dir=tmp_path)).activities()}
    called = {activity_name(getattr(c, n)) for c, _ in IMPLEMENTATIONS for n in methods_of(c)}
    assert called == registered
