"""The pack workbench in the console, as an ops person uses it in a real headless browser (Playwright
driving Debian's chromium): a typo found at its line, the check, tests and coverage of the fixed pack,
published as shadow, its difference on live traffic read, then promoted.

The live pack is the metrics test pack ("invoice" goes to billing, anything else to support); the
candidate also sends parcels to billing, so a parcel question decides differently in shadow.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect
from pytest import CaptureFixture

from engine.service.config import Settings
from tests.api_client import ApiClient
from tests.browser import chromium
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_api_roles import keys_by_role
from tests.test_console import sign_in, write
from tests.test_lifecycle import state

LIVE = (TEST_PACKS / "metrics" / "pack.yaml").read_text()
BILLING, SUPPORT = '["invoice"]]}\n    then: [{route: billing}', '["invoice"]]}}\n    then: [{route: support}'
CANDIDATE = (
    LIVE.replace("name: metrics-test", "name: metrics-parcels")
    .replace(BILLING, BILLING.replace('"invoice"', '"invoice", "parcel"'))
    .replace(SUPPORT, SUPPORT.replace('"invoice"', '"invoice", "parcel"'))
    + """tests:
  - name: a parcel goes to billing
    event: conversation.created
    context:
      message: {text: "where is my parcel?"}
    expect:
      route: billing
  - name: a hello goes to support
    event: conversation.created
    context:
      message: {text: "hello"}
    expect:
      route: support
"""
)


async def test_ops_check_shadow_and_promote_a_pack_in_the_workbench(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str], tmp_path
) -> None:
    assert CANDIDATE.count('"parcel"') == 2, "the candidate changes both routing rules"
    publish(settings, TEST_PACKS / "metrics")
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        page = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
        await sign_in(page, api.base_url, keys["ops"])
        await page.click("header nav a[href='/console/rules']")
        await expect(page.locator("#active-pack")).to_contain_text("metrics-test")
        # The pack as its files are written, comments and order kept: it was shown re-serialised
        # (helper-118), its comments gone.
        shown = await page.locator("#pack").input_value()
        assert shown == (TEST_PACKS / "metrics" / "pack.yaml").read_text(encoding="utf-8"), shown[:200]

        # A typo in a team name: named, with its line.
        typo = CANDIDATE.replace("then: [{route: billing}", "then: [{route: biling}", 1)
        line = typo.splitlines().index(next(x for x in typo.splitlines() if "route: biling" in x)) + 1
        await page.fill("#pack", typo)
        await page.click("#check")
        problem = page.locator("#findings tr.error", has_text='unknown team "biling"')
        await expect(problem.locator("td").nth(2)).to_have_text(str(line))
        await expect(page.locator("#pack")).to_have_value(typo)  # nothing typed is lost

        await page.fill("#pack", CANDIDATE)
        await page.click("#check")
        await expect(page.locator("#findings-none")).to_be_visible()
        await expect(page.locator("#tests")).to_have_text("2 passed, 0 failed")
        await expect(page.locator("#coverage")).to_contain_text("rules tested")
        await page.screenshot(path=str(tmp_path / "workbench-check.png"), full_page=True)

        await page.click("#publish-shadow")
        await expect(page.locator("#message")).to_have_text("Published as shadow.")
        await expect(page.locator("#shadow-pack")).to_contain_text("metrics-parcels")
        await expect(page.locator("#shadow-pack")).to_contain_text("2 test case(s)")

        # Live traffic: the parcel question still goes to support (the candidate is never executed) ...
        await write(api, "p-1", "where is my parcel?")

        async def compared() -> bool:
            reply = await api.request("GET", "/v1/rules/shadow/report")
            return reply.body["total"]["differ"] >= 1

        await eventually(compared, "the shadow comparison of p-1 recorded")
        assert (await state(api, "p-1"))["team"] == "support"
        await page.reload()
        await expect(page.locator("#shadow-total")).to_contain_text("1 of")
        await expect(page.locator("#shadow-rules a", has_text="p-1").first).to_be_visible()
        await page.screenshot(path=str(tmp_path / "workbench-shadow.png"), full_page=True)
        # A chosen period: a week long ago has no comparisons; a bad date is named.
        await page.goto(f"{api.base_url}/console/rules?from=2026-01-05&to=2026-01-11")
        await expect(page.locator("#shadow-total")).to_have_text("0 of 0")
        # said in words: it read "Compared with each conversation's pinned pack: ." with nothing
        await expect(page.locator("#shadow-live-packs")).to_have_text("No live decision to compare with yet.")
        await page.goto(f"{api.base_url}/console/rules?from=2026-01-05&to=someday")
        await expect(page.locator("[role=alert]")).to_contain_text("to: 'someday' is not a date")
        # A bad `from` named `to` (the period's own error is a ValueError too, and was caught as `to`'s).
        await page.goto(f"{api.base_url}/console/rules?from=bad")
        await expect(page.locator("[role=alert]")).to_contain_text("from: 'bad' is not a date")
        await page.goto(f"{api.base_url}/console/rules")

        # ... until ops promote it: new conversations take the candidate.
        await page.click("#promote")
        await expect(page.locator("#message")).to_have_text("Promoted: it is the active pack now.")
        await expect(page.locator("#active-pack")).to_contain_text("metrics-parcels")
        await expect(page.locator("#active-pack")).to_contain_text(re.compile(r"active by promote"))
        # The editor opens the active pack with the tests it was published with: an edit of it
        # opened without them was refused at promotion ("no test cases"); as written here.
        await page.goto(f"{api.base_url}/console/rules")
        kept = re.compile(r"tests:\n  - name: a parcel goes to billing")
        await expect(page.locator("#pack")).to_have_value(kept)
        await page.click("#check")
        await expect(page.locator("#tests")).to_have_text("2 passed, 0 failed")
    await write(api, "p-2", "where is my parcel now?")

    async def routed() -> bool:
        return (await state(api, "p-2")).get("team") == "billing"

    await eventually(routed, "p-2 routed by the promoted pack")


async def test_an_auditor_checks_but_does_not_publish(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    from tests.test_console import _browser, _page_token, _signed_in

    keys = await keys_by_role(settings, tenants["acme"])
    async with _browser() as browser:
        assert (await _signed_in(browser, api.base_url, keys["auditor"]))[0] == 303
        text = await (await browser.get(f"{api.base_url}/console/rules")).text()
        assert 'id="publish-shadow"' not in text and 'id="check"' in text
        token = _page_token(text)
        checked = await browser.post(
            f"{api.base_url}/console/rules/check", data={"csrf": token, "pack": CANDIDATE}
        )
        assert checked.status == 200 and "2 passed, 0 failed" in await checked.text()
        refused = await browser.post(
            f"{api.base_url}/console/rules/shadow", data={"csrf": token, "pack": CANDIDATE}
        )
        assert refused.status == 403


async def test_four_eyes_in_the_workbench_a_second_person_approves(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "metrics")
    turned_on = await api.request("PUT", "/v1/tenant/settings", json={"require_approval": True})
    assert turned_on.status == 200, turned_on.body
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        ops = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
        await sign_in(ops, api.base_url, keys["ops"])
        await ops.goto(f"{api.base_url}/console/rules")
        await ops.fill("#pack", CANDIDATE)
        await ops.click("#publish-shadow")
        await ops.click("#promote")
        await expect(ops.locator("#message")).to_contain_text("Proposed for approval")
        await expect(ops.locator("#active-pack")).to_contain_text("metrics-test")  # nothing active yet
        await ops.click("#proposals button.approve")
        await expect(ops.locator("#refusal")).to_contain_text("needs another ops or admin key")
        await expect(ops.locator("#active-pack")).to_contain_text("metrics-test")

        admin = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
        await sign_in(admin, api.base_url, keys["admin"])
        await admin.goto(f"{api.base_url}/console/rules")
        # What is approved is there to read, and the approval may say why (the API took a comment).
        await admin.click("#proposals tr.diff summary")
        diff = admin.locator("#proposals pre.diff")
        await expect(diff).to_be_visible()
        await expect(diff).to_contain_text("+++ proposed/")
        await admin.fill("#proposals form:has(button.approve) input[name=comment]", "read the diff")
        await admin.click("#proposals button.approve")
        await expect(admin.locator("#message")).to_have_text(
            "Approved: the proposed pack is the active pack now."
        )
        await expect(admin.locator("#active-pack")).to_contain_text("metrics-parcels")
    versions = (await api.request("GET", "/v1/rules/versions")).body["versions"]
    [active] = [v for v in versions if v["active"]]
    assert active["name"] == "metrics-parcels" and active["approved_by"] and active["proposed_by"]
    assert active["approved_by"] != active["proposed_by"]
    [decided] = (await api.request("GET", "/v1/rules/proposals")).body["proposals"]
    assert decided["comment"] == "read the diff", decided


async def test_the_editor_opens_the_active_pack_as_it_was_written(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """The editor opened the active pack rewritten from its canonical JSON: every comment gone, keys
    sorted (fri, mon, sat, ...), minutes as floats; `rules check`'s lines no longer matched the
    author's text, and publishing from the console dropped the comments for good."""
    from tests.test_console import _browser, _page_token, _signed_in

    def noted(ticket: str, pack: str = CANDIDATE) -> str:
        return pack.replace("rules:", f"# Parcels go to billing since December ({ticket}).\nrules:", 1)

    keys = await keys_by_role(settings, tenants["acme"])
    async with _browser() as browser:
        assert (await _signed_in(browser, api.base_url, keys["ops"]))[0] == 303

        async def editor() -> str:
            return await (await browser.get(f"{api.base_url}/console/rules")).text()

        for ticket in ("OPS-12", "OPS-13"):  # the same content (one hash), its comment reworded
            published = await api.request("POST", "/v1/rules/publish", json={"pack": noted(ticket)})
            assert published.status == 201, published.body
            page = await editor()
            assert f"# Parcels go to billing since December ({ticket})." in page, ticket
        assert "(OPS-12)" not in page
        # Published from the console (as shadow, then promoted): the editor opens what was written there.
        renamed = noted("OPS-14", CANDIDATE.replace("name: metrics-parcels", "name: metrics-parcels-2"))
        shadow = await browser.post(
            f"{api.base_url}/console/rules/shadow", data={"csrf": _page_token(page), "pack": renamed}
        )
        assert shadow.status == 200, await shadow.text()
        promoted = await api.request("POST", "/v1/rules/shadow/promote")
        assert promoted.status == 200, promoted.body
        assert "(OPS-14)" in await editor()


async def test_an_unapproved_proposal_s_text_is_not_the_active_pack_s(
    api: ApiClient,
    cli_settings: Settings,
    tenants: dict[str, str],
    tmp_path: Path,
    capsys: CaptureFixture[str],
) -> None:
    """The text a version opens with in the editor was replaced by any proposal of the same content
    (its author's comments and tests shown as the active pack's before anyone approved), and a
    publish from files kept an older API text. A proposal's text is the version's once approved; a
    publish from files drops it (the files hold the comments)."""
    from tests.cli_run import cli
    from tests.test_console import _browser, _signed_in
    from tests.test_four_eyes import keys_of, require_approval

    def noted(ticket: str) -> str:
        return CANDIDATE.replace("rules:", f"# Parcels go to billing ({ticket}).\nrules:", 1)

    acme, settings = tenants["acme"], cli_settings  # the CLI reaches the test's database
    keys = await keys_of(api, settings, acme, alice="ops", bob="ops")
    published = await api.request("POST", "/v1/rules/publish", json={"pack": noted("OPS-20")})
    assert published.status == 201, published.body
    await require_approval(api, True)
    proposed = await keys("alice", "POST", "/v1/rules/publish", {"pack": noted("OPS-21")})
    assert proposed.status == 202 and proposed.body["hash"] == published.body["hash"], proposed.body
    by_role = await keys_by_role(settings, acme)
    async with _browser() as browser:
        assert (await _signed_in(browser, api.base_url, by_role["ops"]))[0] == 303

        async def editor() -> str:
            return await (await browser.get(f"{api.base_url}/console/rules")).text()

        assert "(OPS-20)" in await editor() and "(OPS-21)" not in await editor()  # not approved yet
        path = f"/v1/rules/proposals/{proposed.body['proposal_id']}/approve"
        approved = await keys("bob", "POST", path, {"comment": "ok"})
        assert approved.status == 200, approved.body
        assert "(OPS-21)" in await editor()
        await require_approval(api, False)
        files = tmp_path / "pack.yaml"
        files.write_text(noted("OPS-22"))  # the same content, from files: the CLI's
        done = await cli(capsys, "rules", "publish", str(files), "--tenant", acme)
        assert done.returncode == 0, done.stderr
        page = await editor()
        assert "(OPS-2" not in page and "metrics-parcels" in page  # the canonical form: no comment
