"""Four-eyes publishing (issue 21): with `require_approval` on, a publish or promotion is a proposal
that only another ops or admin key of the tenant activates. Real API, real database (SQLite, or
PostgreSQL with CONVOFLOW_TEST_DATABASE=postgresql); no worker: nothing here starts a conversation.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from sqlalchemy import update

from engine.db.connection import open_engine
from engine.db.keys import create_key
from engine.db.proposals import ProposalStore
from engine.db.schema import pack_proposals
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, Reply
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.test_shadow_mode import CANDIDATE, FAILING, LIVE, PASSING

# A second change of the live pack: billing questions keep their team but not the high priority.
NO_PRIORITY = LIVE.replace(
    "then: [{add_tags: [billing]}, {route: billing}, {set_priority: high}]",
    "then: [{add_tags: [billing]}, {route: billing}]",
)
SETTINGS_PATH = "/v1/tenant/settings"
BILLING_STAYS = FAILING  # its one case passes for LIVE and NO_PRIORITY: their invoices go to billing


class Keys:
    """Keys of one tenant by name, each its own person (key ids `k_...`)."""

    def __init__(self, api: ApiClient, keys: dict[str, tuple[str, str]]) -> None:
        self.api = api
        self.keys = keys

    def id(self, name: str) -> str:
        return self.keys[name][0]

    async def __call__(self, name: str, method: str, path: str, json: Any = None) -> Reply:
        headers = {"Authorization": f"Bearer {self.keys[name][1]}"}
        return await self.api.request(method, path, json=json, tenant=None, headers=headers)


async def keys_of(api: ApiClient, settings: Settings, tenant: str, **roles: str) -> Keys:
    database = database_of(settings)
    try:
        made = {name: await create_key(database, tenant, role) for name, role in roles.items()}
    finally:
        await database.dispose()
    return Keys(api, {name: (info.key_id, key) for name, (info, key) in made.items()})


async def versions(api: ApiClient, tenant: str = "acme") -> list[dict[str, Any]]:
    reply = await api.request("GET", "/v1/rules/versions", tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.body["versions"]


async def active(api: ApiClient, tenant: str = "acme") -> str:
    [current] = [v["hash"] for v in await versions(api, tenant) if v["active"]]
    return current


async def require_approval(api: ApiClient, on: bool) -> None:
    reply = await api.request("PUT", SETTINGS_PATH, json={"require_approval": on})  # the admin key
    assert reply.status == 200 and reply.body["require_approval"] is on, reply.body


async def test_a_single_key_proposes_and_only_a_second_key_activates(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    acme = tenants["acme"]
    live = publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, acme, alice="ops", bob="ops", carol="admin")
    other = await keys_of(api, settings, tenants["globex"], gina="ops")

    # Only an admin turns it on; the change is kept with who and when.
    refused = await keys("alice", "PUT", SETTINGS_PATH, {"require_approval": False})
    assert refused.status == 403 and refused.body["error"] == "forbidden"
    assert "needs role admin; this key's role is ops" in refused.body["message"]  # not "admin (or admin)"
    before = (await api.request("GET", SETTINGS_PATH)).body
    assert before["require_approval"] is False and before["changes"] == [], before
    await require_approval(api, True)
    shown = (await keys("alice", "GET", SETTINGS_PATH)).body
    assert shown["require_approval"] is True
    [change] = shown["changes"]
    assert change["setting"] == "require_approval" and change["value"] is True
    assert change["changed_by"] == f"api:{acme}/settings-1" and change["changed_at"]
    assert (await api.request("GET", SETTINGS_PATH, tenant="globex")).body["require_approval"] is False

    # alice's publish does not change the active pack: 202 and a proposal with its diff.
    proposed = await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})
    assert proposed.status == 202, proposed.body
    assert proposed.body["active"] is False and proposed.body["status"] == "pending"
    await api.assert_described(proposed, "POST", "/v1/rules/publish")
    proposal_id, candidate = proposed.body["proposal_id"], proposed.body["hash"]
    assert await active(api) == live
    path = f"/v1/rules/proposals/{proposal_id}"
    shown = (await keys("bob", "GET", path)).body
    assert shown["kind"] == "publish" and shown["base_hash"] == live and shown["hash"] == candidate
    assert shown["proposed_by"] == f"api:{acme}/{keys.id('alice')}" and shown["decided_by"] is None
    structure = shown["diff"]["structure"]
    assert structure["rules"] == {"added": [], "removed": [], "changed": ["billing"], "reordered": False}
    assert structure["teams"]["changed"] == [] and structure["templates"]["changed"] == []
    # The cases it is tested with against the active version's: the reviewer saw none of it, so a
    # proposal that dropped or weakened a case read as no change to them.
    dropped = [
        "an automated sender is tagged, never answered",
        "an invoice question is acknowledged and goes to billing, high priority",
        "anything else is acknowledged and goes to general",
    ]
    assert structure["tests"] == {"added": ["an invoice goes to general"], "removed": dropped, "changed": []}
    unified = shown["diff"]["unified"].splitlines()
    assert f"--- active/{live[:12]}" in unified and f"+++ proposed/{candidate[:12]}" in unified
    assert "-  - set_priority: high" in unified and "+  - route: general" in unified
    assert "+- name: an invoice goes to general" in unified, unified

    # Another tenant sees none of it and cannot decide on it.
    assert (await other("gina", "GET", path)).status == 404
    assert (await other("gina", "POST", f"{path}/approve", {})).status == 404
    assert (await other("gina", "GET", "/v1/rules/proposals")).body == {"proposals": [], "next": None}

    # alice cannot approve her own proposal.
    same = await keys("alice", "POST", f"{path}/approve", {"comment": "looks fine to me"})
    assert same.status == 403 and same.body["error"] == "same_key", same.body
    assert (
        "proposed with this key" in same.body["message"]
        and "another ops or admin key" in same.body["message"]
    )
    assert await active(api) == live

    # bob approves: active now, and the versions name both.
    approved = await keys("bob", "POST", f"{path}/approve", {"comment": "billing to general, agreed"})
    assert approved.status == 200, approved.body
    assert approved.body["status"] == "approved" and approved.body["active"] is True
    assert approved.body["decided_by"] == f"api:{acme}/{keys.id('bob')}"
    assert approved.body["comment"] == "billing to general, agreed"
    [version] = [v for v in await versions(api) if v["active"]]
    assert version["hash"] == candidate and version["activated_via"] == "publish"
    assert version["proposal_id"] == proposal_id
    assert version["proposed_by"] == f"api:{acme}/{keys.id('alice')}"
    assert version["approved_by"] == f"api:{acme}/{keys.id('bob')}"
    assert keys.id("alice") in version["activated_by"] and keys.id("bob") in version["activated_by"]
    again = await keys("carol", "POST", f"{path}/approve")
    assert again.status == 409 and again.body["error"] == "proposal_decided"
    [listed] = (await keys("alice", "GET", "/v1/rules/proposals?status=approved")).body["proposals"]
    assert listed["id"] == proposal_id and "diff" not in listed and listed["decided_at"]
    assert (await api.request("GET", "/v1/rules/proposals?status=pending")).body["proposals"] == []
    bad = await api.request("GET", "/v1/rules/proposals?status=maybe")
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "status"

    # Turned off (recorded too): a publish is active at once, as before.
    await require_approval(api, False)
    back = await keys("alice", "POST", "/v1/rules/publish", {"pack": LIVE + BILLING_STAYS})
    assert back.status == 201 and back.body == {"hash": live, "active": True, "warnings": []}
    changes = (await api.request("GET", SETTINGS_PATH)).body["changes"]
    assert [c["value"] for c in changes] == [False, True]  # newest first


async def test_a_rejected_proposal_stays_inactive_and_a_stale_one_is_refused(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    live = publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, tenants["acme"], alice="ops", bob="ops")
    await require_approval(api, True)

    first = (await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})).body[
        "proposal_id"
    ]
    rejected = await keys("bob", "POST", f"/v1/rules/proposals/{first}/reject", {"comment": "not yet"})
    assert rejected.status == 200, rejected.body
    assert rejected.body["status"] == "rejected" and rejected.body["comment"] == "not yet"
    assert rejected.body["active"] is False and await active(api) == live
    late = await keys("alice", "POST", f"/v1/rules/proposals/{first}/approve")
    assert late.status == 409 and late.body["error"] == "proposal_decided"
    assert "already rejected" in late.body["message"]

    # Two proposals over the same active pack: once one is approved, the other is stale.
    one = (await keys("alice", "POST", "/v1/rules/publish", {"pack": NO_PRIORITY + BILLING_STAYS})).body[
        "proposal_id"
    ]
    two = (await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})).body[
        "proposal_id"
    ]
    assert (await keys("bob", "POST", f"/v1/rules/proposals/{one}/approve")).status == 200
    stale = await keys("bob", "POST", f"/v1/rules/proposals/{two}/approve")
    assert stale.status == 409 and stale.body["error"] == "stale_proposal", stale.body
    assert two in stale.body["message"] and live in stale.body["message"]
    shown = (await api.request("GET", f"/v1/rules/proposals/{two}")).body
    assert shown["stale"] is True and shown["status"] == "pending"
    assert (
        await active(api) != live
        and await active(api) == (await api.request("GET", f"/v1/rules/proposals/{one}")).body["hash"]
    )
    listed = (await api.request("GET", "/v1/rules/proposals?limit=2")).body
    assert [p["id"] for p in listed["proposals"]] == [first, one] and listed["next"]
    rest = (await api.request("GET", listed["next"])).body
    assert [p["id"] for p in rest["proposals"]] == [two] and rest["next"] is None


async def test_a_promotion_is_proposed_and_its_gate_runs_again_at_approval(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    live = publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, tenants["acme"], alice="ops", bob="ops")
    await require_approval(api, True)
    shadow = await keys("alice", "POST", "/v1/rules/shadow", {"pack": CANDIDATE + PASSING})
    assert shadow.status == 201, shadow.body
    proposed = await keys("alice", "POST", "/v1/rules/shadow/promote")
    assert proposed.status == 202, proposed.body
    path = f"/v1/rules/proposals/{proposed.body['proposal_id']}"
    assert (await api.request("GET", path)).body["kind"] == "promote"
    assert await active(api) == live
    assert (await api.request("GET", "/v1/rules/shadow")).body["shadow"]["hash"] == shadow.body["hash"]

    async def stored_tests(text: str) -> None:
        import yaml

        engine = open_engine(settings.database)
        try:
            async with engine.begin() as db:
                await db.execute(
                    update(pack_proposals)
                    .where(pack_proposals.c.proposal_id == proposed.body["proposal_id"])
                    .values(tests=yaml.safe_load(text)["tests"])
                )
        finally:
            await engine.dispose()

    await stored_tests(FAILING)  # what the gate finds at approval, not what it found when proposed
    refused = await keys("bob", "POST", f"{path}/approve")
    assert refused.status == 422 and refused.body["error"] == "not_promotable", refused.body
    assert "an invoice still goes to billing" in refused.body["fields"][0]["message"]
    assert (await api.request("GET", path)).body["status"] == "pending" and await active(api) == live

    await stored_tests(PASSING)
    approved = await keys("bob", "POST", f"{path}/approve")
    assert approved.status == 200, approved.body
    [version] = [v for v in await versions(api) if v["active"]]
    assert version["hash"] == shadow.body["hash"] and version["activated_via"] == "promote"
    assert version["approved_by"].endswith(keys.id("bob"))
    assert (await api.request("GET", "/v1/rules/shadow")).body == {"shadow": None}


async def test_the_cli_sets_the_setting_refuses_to_publish_alone_and_shows_proposals(
    api: ApiClient,
    cli_settings: Settings,
    tenants: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = tenants["acme"]
    live = publish(cli_settings, TEST_PACKS / "basic")
    keys = await keys_of(api, cli_settings, tenant, alice="ops")
    turned = await cli(capsys, "tenant", "set", tenant, "--require-approval", "on")
    assert turned.returncode == 0, turned.stderr
    lines = turned.stdout.splitlines()
    assert lines[0] == "require_approval on", lines
    assert [line for line in lines if "require_approval = true  by cli:" in line], lines

    pack = tmp_path / "pack.yaml"
    pack.write_text(CANDIDATE + PASSING)
    refused = await cli(capsys, "rules", "publish", str(pack), "--tenant", tenant)
    assert refused.returncode == 2 and "requires approval" in refused.stderr
    assert "POST /v1/rules/publish" in refused.stderr
    assert (await cli(capsys, "rules", "publish", str(pack), "--shadow", "--tenant", tenant)).returncode == 0
    promote = await cli(capsys, "rules", "promote", "--tenant", tenant)
    assert promote.returncode == 2 and "POST /v1/rules/shadow/promote" in promote.stderr
    assert "rollback" not in promote.stderr and "rollback" in refused.stderr  # a promotion is none
    assert await active(api) == live

    none = await cli(capsys, "rules", "proposals", "--tenant", tenant)
    assert none.stdout.strip() == f"no proposals for tenant {tenant}"
    proposal = (await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})).body
    listed = await cli(capsys, "rules", "proposals", "--tenant", tenant)
    assert listed.stdout.startswith(f"{proposal['proposal_id']}  pending  publish")
    assert f"by api:{tenant}/{keys.id('alice')}" in listed.stdout
    shown = await cli(capsys, "rules", "proposals", proposal["proposal_id"], "--tenant", tenant)
    assert f"against active pack {live}:" in shown.stdout
    assert "  rules changed: billing" in shown.stdout and "+  - route: general" in shown.stdout
    other = await cli(capsys, "rules", "proposals", proposal["proposal_id"], "--tenant", tenants["globex"])
    assert other.returncode == 2 and "has no proposal" in other.stderr


async def test_a_tenant_that_requires_approval_rolls_back_by_proposing_an_earlier_hash(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """`rules publish <hash>` refuses such a tenant and points at POST /v1/rules/publish, which took
    only a pack's text: the way back to an earlier version was posting its YAML, if one had kept it."""
    earlier = publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, tenants["acme"], alice="ops", bob="ops")
    other = await keys_of(api, settings, tenants["globex"], gina="ops")
    await require_approval(api, True)
    proposed = await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})
    assert proposed.status == 202, proposed.body
    approved = await keys("bob", "POST", f"/v1/rules/proposals/{proposed.body['proposal_id']}/approve", {})
    assert approved.status == 200, approved.body
    assert await active(api) == proposed.body["hash"] != earlier

    back = await keys("alice", "POST", "/v1/rules/publish", {"pack": earlier})
    assert back.status == 202 and back.body["hash"] == earlier, back.body
    assert await active(api) == proposed.body["hash"]  # proposed, as any publish: not yet active
    approved = await keys("bob", "POST", f"/v1/rules/proposals/{back.body['proposal_id']}/approve", {})
    assert approved.status == 200, approved.body
    assert await active(api) == earlier

    # Only a version of the caller's own tenant: another tenant's hash names nothing here.
    elsewhere = await other("gina", "POST", "/v1/rules/publish", {"pack": proposed.body["hash"]})
    assert elsewhere.status == 422 and elsewhere.body["fields"][0]["field"] == "pack", elsewhere.body
    assert "no version of this tenant" in elsewhere.body["fields"][0]["message"]


async def test_proposing_the_same_change_twice_gives_the_proposal_already_waiting(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """Promote clicked twice made two pending proposals of one pack over one base: approving one left
    the other, which came back to life when a rollback made its base active again."""
    publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, tenants["acme"], alice="ops", bob="ops")
    await require_approval(api, True)
    first = await keys("alice", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})
    again = await keys("bob", "POST", "/v1/rules/publish", {"pack": CANDIDATE + PASSING})
    assert first.status == again.status == 202, (first.body, again.body)
    assert again.body["proposal_id"] == first.body["proposal_id"]
    pending = (await keys("alice", "GET", "/v1/rules/proposals?status=pending")).body["proposals"]
    assert [p["id"] for p in pending] == [first.body["proposal_id"]]


async def test_an_author_never_approves_their_own_candidate_and_a_proposal_on_changed_grounds_is_stale(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """Found trying four-eyes as an ops team would: the key that published a candidate as shadow
    approved its promotion (proposed by a colleague); a promotion went live after its candidate was
    replaced in shadow; a proposal made stale by a change came back to life when the change was
    rolled back; and a pack made active by another route stayed the tenant's shadow pack, compared
    with itself."""
    live = publish(settings, TEST_PACKS / "basic")
    keys = await keys_of(api, settings, tenants["acme"], alice="ops", bob="ops", carol="ops")
    await require_approval(api, True)

    async def approve(name: str, proposal: str) -> Reply:
        return await keys(name, "POST", f"/v1/rules/proposals/{proposal}/approve", {})

    async def propose(name: str, pack: str) -> str:
        proposed = await keys(name, "POST", "/v1/rules/publish", {"pack": pack})
        assert proposed.status == 202, proposed.body
        return proposed.body["proposal_id"]

    # alice's candidate, promoted by bob: alice may not approve what she wrote.
    assert (await keys("alice", "POST", "/v1/rules/shadow", {"pack": CANDIDATE + PASSING})).status == 201
    promotion = (await keys("bob", "POST", "/v1/rules/shadow/promote")).body["proposal_id"]
    own = await approve("alice", promotion)
    assert own.status == 403 and own.body["error"] == "same_key" and "its author" in own.body["message"]
    # ... nor when bob proposes publishing it by its hash instead.
    candidate = (await api.request("GET", "/v1/rules/shadow")).body["shadow"]["hash"]
    by_hash = await approve("alice", await propose("bob", candidate))
    assert by_hash.status == 403 and by_hash.body["error"] == "same_key", by_hash.body
    # carol replaces the candidate in shadow: bob's promotion no longer promotes what is in shadow.
    replaced = await keys("carol", "POST", "/v1/rules/shadow", {"pack": NO_PRIORITY + BILLING_STAYS})
    assert replaced.status == 201, replaced.body
    gone = await approve("carol", promotion)
    assert gone.status == 409 and gone.body["error"] == "stale_proposal", gone.body
    assert "the shadow pack is now" in gone.body["message"] and await active(api) == live
    # The active pack cannot be the shadow pack as well.
    same = await keys("carol", "POST", "/v1/rules/shadow", {"pack": LIVE + BILLING_STAYS})
    assert same.status == 409 and same.body["error"] == "already_active", same.body

    # A proposal over `live` goes stale when another is approved, and stays stale after a rollback
    # to `live`: its diff was reviewed against the pack before either change.
    waiting = await propose("alice", NO_PRIORITY + BILLING_STAYS)
    assert (await approve("carol", await propose("bob", CANDIDATE + PASSING))).status == 200
    assert (await approve("carol", await propose("bob", live))).status == 200
    assert await active(api) == live
    revived = await approve("bob", waiting)
    assert revived.status == 409 and revived.body["error"] == "stale_proposal", revived.body
    assert "activated again" in revived.body["message"]
    assert (await api.request("GET", f"/v1/rules/proposals/{waiting}")).body["stale"] is True

    # carol's candidate made active by a publish (not a promotion) ends its shadow run.
    shadow = (await api.request("GET", "/v1/rules/shadow")).body["shadow"]
    assert shadow is not None and shadow["hash"] != live
    approved = await approve("alice", await propose("bob", NO_PRIORITY + BILLING_STAYS))
    assert approved.status == 200, approved.body
    # The answers are what the OpenAPI document says (they were plain objects there).
    document = (await api.request("GET", "/v1/openapi.json", tenant=None)).body
    for body, schema in (
        (approved.body, "DecidedProposal"),
        ((await api.request("GET", "/v1/rules/proposals")).body, "ProposalList"),
        ((await api.request("GET", "/v1/rules/activations")).body, "ActivationList"),
    ):
        described = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
        jsonschema.validate(body, described, cls=jsonschema.Draft202012Validator)
    assert await active(api) == shadow["hash"]
    assert (await api.request("GET", "/v1/rules/shadow")).body["shadow"] is None
    # Every activation, oldest first, with who proposed and approved each (`versions` shows `live`
    # once, with its latest).
    history = (await api.request("GET", "/v1/rules/activations")).body["activations"]
    hashes = [a["hash"] for a in history]
    assert hashes[0] == live and hashes.count(live) == 2
    assert [a["approved_by"] for a in history[1:]] == [
        f"api:{tenants['acme']}/{keys.id(name)}" for name in ("carol", "carol", "alice")
    ]


def test_a_proposal_of_a_settings_key_is_approved_by_no_settings_key() -> None:
    """Keys of the settings were all `settings` until each got its own id (`settings-<n>`): they still
    count as one key for four-eyes, and a proposal pending across that deploy is approved by none of
    them (helper-124)."""
    store = ProposalStore(None)  # type: ignore[arg-type]  # refusal reads the row only
    pending = SimpleNamespace(status="pending", proposer_key="settings", author_key=None, proposal_id="p-1")
    for key_id in ("settings-1", "settings-2"):
        refused = store.refusal(pending, key_id, None, approving=True)
        assert refused is not None and refused.code == "same_key", key_id
    assert store.refusal(pending, "k_4f0c", None, approving=True) is None  # a key of the database may
    mine = SimpleNamespace(**{**vars(pending), "proposer_key": "settings-1"})
    assert store.refusal(mine, "settings-2", None, approving=True) is not None  # still one, as before
    assert store.refusal(mine, "k_4f0c", None, approving=True) is None
