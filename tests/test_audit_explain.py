"""`convoflow audit explain|whatif|export-events` on conversations driven through the API with the shipped
default pack, as an auditor and an ops engineer would run them from a shell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.cli_run import Run, cli
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.test_lifecycle import PACKS, set_status, state

ACK_RULES = {"acknowledge-open": "acknowledgement", "acknowledge-after-hours": "acknowledgement_after_hours"}


@pytest.fixture
def default_pack(shell: Settings) -> str:
    """The shipped default pack, active for the test's tenants; its hash."""
    return publish(shell, PACKS / "default")


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """A copy of the default pack whose acknowledgements send another template."""
    folder = tmp_path / "candidate"
    shutil.copytree(PACKS / "default", folder)
    pack = folder / "pack.yaml"
    text = pack.read_text(encoding="utf-8")
    for template in ACK_RULES.values():
        old = f"reply: {{template: {template}}}"
        assert old in text, f"the default pack no longer has {old!r}"
        text = text.replace(old, "reply: {template: idle_reminder}")
    pack.write_text(text, encoding="utf-8")
    (folder / "tests.yaml").unlink()  # its cases expect the shipped acknowledgements
    return folder


async def conversation(api: ApiClient, name: str) -> None:
    """A customer writes twice: creation (acknowledged, tagged, SLA) and a follow-up message."""
    first = await api.post_message(name, "m-1", "My invoice is wrong, I was charged twice")
    assert first.status == 201, first.body
    second = await api.post_message(name, "m-2", "Any news on my refund?")
    assert second.status == 200, second.body


def as_json(run: Run) -> dict:
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


async def test_explain_names_the_acknowledgements_event_rule_values_pack_and_outbox_key(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    outbox: OutboxRows,
    default_pack: str,
    tenants: dict[str, str],
    worker: None,
) -> None:
    await conversation(api, "ex-1")
    (ack,) = [row for row in outbox.read_all(tenants["acme"]) if row["kind"] == "auto_reply"]

    explained = as_json(await cli(capsys, "audit", "explain", "ex-1", "--tenant", tenants["acme"], "--json"))
    assert explained["workflow_id"] == api.workflow_id("ex-1")
    (reply,) = [e for e in explained["effects"] if e["effect"] == "message"]
    assert reply["event"] == "conversation.created" and reply["seq"] == 1 and reply["outcome"] == "done"
    assert reply["rule"] in ACK_RULES and reply["action"] == {
        "type": "reply",
        "template": ACK_RULES[reply["rule"]],
        "auto": True,
    }
    opened = reply["rule"] == "acknowledge-open"
    assert reply["reads"] == {"business_hours.open": opened}, "the value the rule read, as it was then"
    assert reply["condition"] == (
        {"var": "business_hours.open"} if opened else {"!": {"var": "business_hours.open"}}
    )
    assert reply["pack_hash"] == default_pack and reply["pack"] == "default"
    assert reply["key"] == ack["idempotency_key"] and reply["outbound"] is True
    assert reply["at"] and reply["detail"].startswith(f"template {ACK_RULES[reply['rule']]}")
    assert {e["event"] for e in explained["effects"]} >= {"conversation.created"}
    assert all(e["rule"] and e["pack_hash"] == default_pack for e in explained["effects"])

    text = await cli(capsys, "audit", "explain", "ex-1", "--tenant", tenants["acme"])
    assert text.returncode == 0, text.stderr
    assert (
        f"rule      {reply['rule']}" in text.stdout and f"key       {ack['idempotency_key']}" in text.stdout
    )
    assert f"read      business_hours.open = {json.dumps(opened)}" in text.stdout

    other = await cli(capsys, "audit", "explain", "ex-1", "--tenant", tenants["globex"])
    assert other.returncode == 2 and "no conversation 'ex-1'" in other.stderr, "another tenant's is not found"


async def test_explain_lists_the_survey_sent_to_the_customer_with_its_outbox_key(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    outbox: OutboxRows,
    shell: Settings,
    tenants: dict[str, str],
    worker: None,
) -> None:
    """ "Every effect" left out the survey message: the workflow sends it when the survey comes due,
    no action of that event's decision, so an auditor found an outbox row explain never named."""
    publish(shell, TEST_PACKS / "kpi")
    first = await api.post_message("ex-s", "m-1", "My invoice is wrong")
    assert first.status == 201, first.body
    await set_status(api, "ex-s", "solved")

    def surveys() -> list[dict]:
        return [row for row in outbox.read_all(tenants["acme"]) if row["kind"] == "survey"]

    async def surveyed() -> bool:
        return len(surveys()) == 1

    await eventually(surveyed, "the survey in the outbox")
    explained = as_json(await cli(capsys, "audit", "explain", "ex-s", "--tenant", tenants["acme"], "--json"))
    (sent,) = [e for e in explained["effects"] if e["effect"] == "survey" and e["event"] == "survey.due"]
    assert sent["key"] == surveys()[0]["idempotency_key"] and sent["outbound"] is True
    assert sent["outcome"] == "done" and sent["cause"]
    text = await cli(capsys, "audit", "explain", "ex-s", "--tenant", tenants["acme"])
    assert f"key       {sent['key']}\n" in text.stdout


async def test_whatif_shows_the_changed_acknowledgement_and_nothing_else(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    default_pack: str,
    candidate: Path,
    tenants: dict[str, str],
    worker: None,
) -> None:
    await conversation(api, "wi-1")
    tenant = tenants["acme"]

    same = await cli(capsys, "audit", "whatif", "wi-1", "--pack", str(PACKS / "default"), "--tenant", tenant)
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.rstrip().endswith(f"0 of {same.stdout.count(chr(10)) - 2} decisions would change")
    assert "~" not in same.stdout, "the recorded pack re-decides every event exactly as recorded"

    changed = await cli(
        capsys, "audit", "whatif", "wi-1", "--pack", str(candidate), "--tenant", tenant, "--json"
    )
    body = as_json(changed)
    assert changed.returncode == 1
    events = body["events"]
    assert [e["event"] for e in events][:1] == ["conversation.created"] and len(events) >= 2
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    (diff,) = [e for e in events if e["changed"]]
    assert diff["event"] == "conversation.created" and diff["seq"] == 1
    before = [a for a in diff["before"] if a["type"] == "reply"]
    after = [a for a in diff["after"] if a["type"] == "reply"]
    assert before[0]["template"] in ACK_RULES.values() and after == [
        {"type": "reply", "template": "idle_reminder", "auto": True}
    ]
    assert diff["matched_before"] == diff["matched_after"], "same rules match; they do something else"
    assert all(e["before"] == e["after"] for e in events if not e["changed"])
    assert {e["event"] for e in events if not e["changed"]} >= {"message.received"}

    text = await cli(capsys, "audit", "whatif", "wi-1", "--pack", str(candidate), "--tenant", tenant)
    assert text.returncode == 1
    # Both packs by hash: the header named the candidate's alone, as if it were the recorded one.
    recorded = (await state(api, "wi-1"))["pack_hash"][:12]
    assert f"({body['pack_hash'][:12]}), recorded on {recorded}" in text.stdout.splitlines()[0]
    assert (
        "~ #1 conversation.created" in text.stdout
        and 'reply(template="idle_reminder", auto=true)' in text.stdout
    )
    assert text.stdout.rstrip().endswith(f"1 of {len(events)} decisions would change")


async def test_whatif_with_a_candidate_that_times_differently_says_timed_events_are_not_re_timed(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    default_pack: str,
    shell: Settings,
    tmp_path: Path,
    tenants: dict[str, str],
    worker: None,
) -> None:
    """A candidate whose only change is an SLA target: "0 decisions would change", said with
    confidence, where the candidate would have breached (or not) at other times."""
    await conversation(api, "wi-sla")
    folder = tmp_path / "slower"
    shutil.copytree(PACKS / "default", folder)
    pack = folder / "pack.yaml"
    pack.write_text(
        pack.read_text(encoding="utf-8").replace("first_response_minutes: 480 ", "first_response_minutes: 5 ")
    )
    (folder / "tests.yaml").unlink()
    tenant = tenants["acme"]
    run = await cli(capsys, "audit", "whatif", "wi-sla", "--pack", str(folder), "--tenant", tenant)
    assert run.returncode == 0, run.stdout + run.stderr  # the decisions themselves are the same
    notes = [line for line in run.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "sla_policies.standard: first_response_minutes 480 -> 5" in notes[0], notes
    assert "are replayed when they were recorded, not re-timed" in notes[0]
    body = as_json(
        await cli(capsys, "audit", "whatif", "wi-sla", "--pack", str(folder), "--tenant", tenant, "--json")
    )
    assert body["caveats"] == [notes[0].removeprefix("note: ")]
    same = await cli(
        capsys, "audit", "whatif", "wi-sla", "--pack", str(PACKS / "default"), "--tenant", tenant
    )
    assert "note: " not in same.stdout

    # Escalation levels are a list of mappings: said as JSON, not as Python's repr.
    text = pack.read_text(encoding="utf-8")
    assert text.count("notify: {team: support_leads") >= 1
    pack.write_text(text.replace("notify: {team: support_leads", "notify: {team: retention", 1))
    escalated = await cli(capsys, "audit", "whatif", "wi-sla", "--pack", str(folder), "--tenant", tenant)
    [note] = [line for line in escalated.stdout.splitlines() if line.startswith("note: ")]
    assert "None" not in note and "'" not in note and '"team": "retention"' in note, note

    # A hash only another tenant published is not one of this tenant's versions (the API says so too).
    theirs = publish(shell.model_copy(update={"api_keys": SecretStr(f"{tenants['globex']}:k")}), folder)
    other = await cli(capsys, "audit", "whatif", "wi-sla", "--pack", theirs[:12], "--tenant", tenant)
    assert other.returncode == 2 and f"no version of tenant {tenant} has this hash" in other.stderr, other


async def test_whatif_sets_each_recorded_escalation_beside_the_candidate_s_step(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    shell: Settings,
    tmp_path: Path,
    tenants: dict[str, str],
    worker: None,
) -> None:
    """No rule decides an SLA escalation (the policy does), so they were left out: a candidate whose
    level 2 lowered the priority where the recorded one raised it read "0 of N would change"."""
    publish(shell, TEST_PACKS / "timers")
    assert (await api.post_message("wi-esc", "m-1", "hello")).status == 201

    async def escalated_twice() -> bool:
        entries = (await api.request("GET", "/v1/conversations/wi-esc/decisions")).body["decisions"]
        return any((e.get("note") or "").startswith("escalation level 2 ") for e in entries)

    await eventually(escalated_twice, "the first response breached and escalated to level 2")
    folder = tmp_path / "gentler"
    shutil.copytree(TEST_PACKS / "timers", folder)
    pack = folder / "pack.yaml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("then: [{set_priority: urgent}, ", "then: [{set_priority: low}, ", 1))
    tenant = tenants["acme"]
    run = await cli(capsys, "audit", "whatif", "wi-esc", "--pack", str(folder), "--tenant", tenant, "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    levels = [e for e in as_json(run)["events"] if e["event"] == "sla.escalation"]
    changed = [e for e in levels if e["changed"]]
    assert changed and all(
        e["before"][0] == {"type": "set_priority", "value": "urgent"}
        and e["after"][0] == {"type": "set_priority", "value": "low"}
        for e in changed
    ), levels
    same = await cli(
        capsys, "audit", "whatif", "wi-esc", "--pack", str(TEST_PACKS / "timers"), "--tenant", tenant
    )
    assert same.returncode == 0, same.stdout
    assert "= #" in same.stdout and "sla.escalation" in same.stdout


async def test_exported_events_feed_simulate_and_diff_with_the_recorded_decisions(
    capsys: pytest.CaptureFixture[str],
    api: ApiClient,
    default_pack: str,
    candidate: Path,
    tenants: dict[str, str],
    tmp_path: Path,
    worker: None,
) -> None:
    tenant = tenants["acme"]
    for name in ("exp-1", "exp-2"):
        await conversation(api, name)
    recorded = as_json(await cli(capsys, "audit", "whatif", "exp-1", "--pack", str(PACKS / "default"),
                                 "--tenant", tenant, "--json"))  # fmt: skip

    events = tmp_path / "events.jsonl"
    exported = await cli(
        capsys, "audit", "export-events", "exp-1", "exp-2", "--tenant", tenant, "--output", str(events)
    )
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert [c["id"] for c in lines] == ["exp-1", "exp-2"]
    assert lines[0]["events"][0]["context"]["business_hours"]["open"] in (True, False), "business time is in"

    simulated = as_json(
        await cli(
            capsys, "rules", "simulate", str(PACKS / "default"), "--conversations", str(events), "--json"
        )
    )
    first = simulated["conversations"][0]
    assert [e["actions"] for e in first["events"]] == [e["before"] for e in recorded["events"]]
    assert [e["matched"] for e in first["events"]] == [e["matched_before"] for e in recorded["events"]]

    unchanged = await cli(
        capsys,
        "rules",
        "diff",
        str(PACKS / "default"),
        str(PACKS / "default"),
        "--conversations",
        str(events),
    )
    assert unchanged.returncode == 0 and "0 of 2 conversations would change" in unchanged.stdout
    changed = await cli(
        capsys, "rules", "diff", str(PACKS / "default"), str(candidate), "--conversations", str(events)
    )
    assert changed.returncode == 1 and "2 of 2 conversations would change (2 decisions)" in changed.stdout
    assert "exp-1 #1 (conversation.created)" in changed.stdout  # as explain names it (helper-121)

    since = tmp_path / "since.jsonl"

    async def both_listed() -> bool:
        run = await cli(capsys, "audit", "export-events", "--all", "--since", "2020-01-01",
                        "--tenant", tenant, "--output", str(since))  # fmt: skip
        assert run.returncode == 0, run.stderr
        return [json.loads(line)["id"] for line in since.read_text().splitlines()] == ["exp-1", "exp-2"]

    await eventually(both_listed, "export-events --all lists the tenant's two conversations")
    assert since.read_text() == events.read_text()
    future = await cli(capsys, "audit", "export-events", "--all", "--since", "2999-01-01", "--tenant", tenant,
                       "--output", str(since))  # fmt: skip
    assert future.returncode == 0 and since.read_text() == ""
    bad = await cli(capsys, "audit", "export-events", "--all", "--tenant", tenant, "--output", str(since))
    assert bad.returncode == 2 and "--since" in bad.stderr


async def test_every_run_of_a_long_conversation_is_replayed_in_order(
    capsys: pytest.CaptureFixture[str],
    client: Client,
    settings: Settings,
    default_pack: str,
    tenants: dict[str, str],
    worker: None,
) -> None:
    short_runs = settings.model_copy(update={"max_events_per_run": 3})
    async with serve_api(client, short_runs, tenants) as api:
        for i in range(4):
            assert (await api.post_message("long-1", f"m-{i}", f"message {i}")).status in (200, 201)
        assert (await api.get("long-1")).body["runs"] >= 2
        trail = await api.request("GET", "/v1/conversations/long-1/decisions")
    decided = [e["seq"] for e in trail.body["decisions"] if e["decision"] is not None]

    same = as_json(await cli(capsys, "audit", "whatif", "long-1", "--pack", str(PACKS / "default"),
                             "--tenant", tenants["acme"], "--json"))  # fmt: skip
    assert [e["seq"] for e in same["events"]] == decided, "every decided event of every run, in order"
    assert len({e["run_id"] for e in same["events"]}) >= 2
    assert not any(e["changed"] for e in same["events"])
