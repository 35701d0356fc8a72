"""Every action kind is one class that owns its YAML shape, its checks, the event it raises, its
execution in the workflow and its simulation; the validator, rule tests, simulate and the workflow
all read that one registry."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from engine.rules.actions import ACTIONS, DONE, Action, ActionBase, ActionResult, Simulated, from_record
from engine.rules.actions.base import ActionPort
from engine.rules.validation import LOOP_GUARDS, validate
from engine.service.pack_files import load_source
from tests.test_rule_validation import GOOD_HEADER

ACTION = TypeAdapter(Action)
PORT_METHODS = sorted(
    name for name, value in vars(ActionPort).items() if callable(value) and not name.startswith("_")
)


class RecordingPort:
    """Answers every port call with DONE and remembers which one it was (stands in for the workflow)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        if name not in PORT_METHODS:
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> ActionResult:
            self.calls.append((name, args, kwargs))
            return DONE

        return call


def test_the_registry_lists_every_kind_once() -> None:
    assert len(ACTIONS) == 16
    assert all(cls.kind == kind for kind, cls in ACTIONS.items())


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_each_kind_has_all_its_parts(kind: str) -> None:
    cls = ACTIONS[kind]
    for part in ("execute", "simulate"):
        assert part in vars(cls), f"{kind} does not define its own {part}"
    assert cls.raises is None or cls.raises in LOOP_GUARDS, f"{kind} raises an event the loop check ignores"
    assert vars(cls).get("__doc__"), f"{kind} has no docstring saying what it does"


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_yaml_record_and_model_round_trip(kind: str) -> None:
    written = yaml.safe_load(yaml.safe_dump({kind: ACTIONS[kind].example}))
    action = ACTION.validate_python(written)
    assert type(action) is ACTIONS[kind]
    canonical = action.model_dump(mode="json")
    assert list(canonical) == [kind], "the canonical form is not the one-key form ops write"
    assert ACTION.validate_python(canonical) == action
    assert from_record(action.describe()) == action
    assert action.describe()["type"] == kind


@pytest.mark.parametrize("kind", sorted(ACTIONS))
async def test_execute_goes_through_exactly_one_port_call(kind: str) -> None:
    port = RecordingPort()
    action: ActionBase = ACTION.validate_python({kind: ACTIONS[kind].example})
    assert await action.execute(port) is DONE  # type: ignore[arg-type]
    assert len(port.calls) == 1


def test_simulation_follows_the_actions_in_order() -> None:
    sim = Simulated(tags=["old"])
    for written in (
        {"add_tags": ["billing", "old"]},
        {"remove_tags": ["old"]},
        {"route": "billing"},
        {"set_priority": "urgent"},
        {"snooze": {"minutes": 5}},
        {"close": {}},
    ):
        ACTION.validate_python(written).simulate(sim)
    assert (sim.tags, sim.team, sim.priority, sim.status) == (["billing"], "billing", "urgent", "closed")
    assert sim.tagged and sim.closed and sim.added_tags == ["billing", "old"]


RAISING = sorted(kind for kind, cls in ACTIONS.items() if cls.raises is not None)


def test_snooze_raises_a_status_change() -> None:
    assert "snooze" in RAISING and ACTIONS["snooze"].raises == "status.changed"


@pytest.mark.parametrize("kind", RAISING)
def test_a_rule_that_retriggers_itself_is_rejected(tmp_path: Path, kind: str) -> None:
    event = ACTIONS[kind].raises
    path = tmp_path / "pack.yaml"
    path.write_text(
        GOOD_HEADER
        + textwrap.dedent(f"""
        rules:
          - id: loop
            on: [{event}]
            then: [{yaml.safe_dump({kind: ACTIONS[kind].example}, default_flow_style=True).strip()}]
        """)
    )
    _, problems = validate(load_source(path))
    assert [p.message for p in problems] == [
        f"raises {event}, which triggers this rule again: add a condition on {LOOP_GUARDS[str(event)][0]}"
    ]
    assert problems[0].path == "rules[0].then[0]"


def test_a_guarded_snooze_on_status_change_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(
        GOOD_HEADER
        + textwrap.dedent("""
        rules:
          - id: snooze-when-pending
            on: [status.changed]
            if: {"==": [{"var": "conversation.status"}, "pending"]}
            then: [{snooze: {minutes: 30}}]
        """)
    )
    assert validate(load_source(path))[1] == []


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        # a scalar action's error is located at its key, as ops wrote it (not at a hidden `value`)
        ("{set_priority: extreme}", 'rules[0].then[0].set_priority: unknown value "extreme": Input'),
        ("{add_tags: [ok, '']}", "rules[0].then[0].add_tags[1]: String should have at least 1 character"),
        # a structured action's fields keep their names, `value` included
        ("{update_crm: {value: 1}}", "rules[0].then[0].update_crm.field: Field required"),
    ],
)
def test_action_errors_point_at_what_ops_wrote(tmp_path: Path, action: str, expected: str) -> None:
    path = tmp_path / "pack.yaml"
    rule = f"rules:\n  - id: r\n    on: [conversation.created]\n    then: [{action}]\n"
    path.write_text(GOOD_HEADER + rule)
    _, problems = validate(load_source(path))
    assert len(problems) == 1 and f"{problems[0].path}: {problems[0].message}".startswith(expected)
