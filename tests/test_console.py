"""The ops console as people use it: in a real headless browser (Playwright driving Debian's chromium)
against the real API, worker and Temporal server, and its sign-in and CSRF rules over plain HTTP.

Conversations run on the metrics test pack: "invoice" goes to billing, anything else to support,
and "urgent" gets a first response due in 1.8 s, so one conversation breaches while the test runs.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from playwright.async_api import Page, expect

from engine.api.console.charts import tiles
from engine.db.keys import list_keys, revoke_key
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.browser import chromium
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_api_roles import keys_by_role
from tests.test_kpis import answer, kpi
from tests.test_lifecycle import PACKS, state

SECRET = "my card number is 4711-0815"


async def write(api: ApiClient, conversation: str, text: str, channel: str = "email") -> None:
    body = {
        "message_id": f"m-{uuid.uuid4().hex[:8]}",
        "channel": channel,
        "sender": {"address": "ada@example.com"},
        "text": text,
    }
    reply = await api.request("POST", f"/v1/conversations/{conversation}/messages?wait=decided", json=body)
    assert reply.status in (200, 201), reply.body


async def three_conversations(api: ApiClient) -> None:
    """c-1 urgent billing (breaches, unanswered), c-2 billing answered, c-3 support chat answered."""
    await write(api, "c-1", "urgent: my invoice is wrong, " + SECRET)
    await write(api, "c-2", "a question about my invoice")
    await write(api, "c-3", "where is my parcel?", channel="chat")
    await answer(api, "c-2")
    await answer(api, "c-3")

    async def breached() -> bool:
        return (await state(api, "c-1"))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, "c-1's first response breached")

    async def counted() -> bool:  # the KPI facts are written by the worker as each event is handled
        m = (await kpi(api, "?interval=day"))["rows"]
        return bool(m) and m[-1]["metrics"]["sla_first_response"]["denominator"] == 3

    await eventually(counted, "the three conversations in the KPI projection")


async def sign_in(page: Page, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    await page.fill("#key", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{base_url}/console/")


async def chart_values(page: Page, chart: str, trace: int) -> list[Any]:
    await expect(page.locator(f'#chart-{chart}[data-drawn="true"]')).to_have_count(1)
    await expect(page.locator(f"#chart-{chart} svg.main-svg").first).to_be_visible()
    return await page.evaluate(f"document.getElementById('chart-{chart}').data[{trace}].y")


async def test_ops_read_the_kpis_filter_and_drill_into_the_breached_conversation(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str], tmp_path
) -> None:
    publish(settings, TEST_PACKS / "metrics")
    await three_conversations(api)
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 1000})
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        await sign_in(page, api.base_url, keys["ops"])
        cookie = next(c for c in await context.cookies() if c["name"] == "convoflow_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
        assert keys["ops"] not in cookie["value"]

        await expect(page.locator("#tile-volume .value")).to_have_text("3")
        await expect(page.locator("#tile-sla_first_response .value")).to_have_text("67%")
        await expect(page.locator("#tile-sla_first_response .detail")).to_have_text("2 of 3")
        # The charts: plotly.js (served by the console itself) drew today's numbers.
        begun = await chart_values(page, "volume", 0)
        assert begun[-1] == 3 and sum(begun) == 3
        assert (await chart_values(page, "sla", 0))[-1] == 66.7
        await page.screenshot(path=str(tmp_path / "console-kpis.png"), full_page=True)
        # Every rate's tile lists its misses: the one-touch tile listed every resolved thread.
        for rate in ("sla_first_response", "csat", "one_touch_resolution_rate"):
            assert "missed=1" in (await page.locator(f"#tile-{rate}").get_attribute("href") or ""), rate

        await page.select_option("select[name=team]", "billing")
        await page.click("form.filters button[type=submit]")
        await expect(page.locator("#tile-volume .value")).to_have_text("2")
        await expect(page.locator("#tile-sla_first_response .value")).to_have_text("50%")
        assert (await chart_values(page, "volume", 0))[-1] == 2
        await page.screenshot(path=str(tmp_path / "console-billing.png"), full_page=True)

        await page.click("#tile-sla_first_response")
        await expect(page.locator("h1")).to_have_text("First response within SLA: missed")
        await expect(page.locator("#drill-down tbody tr")).to_have_count(1)
        await page.click("#drill-down a")
        await expect(page).to_have_title("Timeline of conversation c-1")
        breach = page.locator('svg g.clock[data-clock="first_response"] g.marker.breach')
        await expect(breach).to_be_visible()
        assert SECRET not in await page.content()
        await page.screenshot(path=str(tmp_path / "console-timeline.png"), full_page=True)
        # The way back is the console's navigation, not only the browser's back button.
        await page.click("nav.site >> text=Conversations")
        await expect(page.locator("h1")).to_have_text("Conversations")
        print(f"console screenshots: {tmp_path}")
        assert errors == [], errors  # no script refused by the page's policy, no plotly error


async def test_the_conversation_list_filters_by_tag_the_unassigned_and_language_on_a_phone(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str], tmp_path
) -> None:
    """The list took tag, assigned and language from the URL and showed every conversation (the API's
    list filtered them), showed no tags, and its times had no zone; on a phone's width the page
    was wider than the screen (helper-118)."""
    publish(settings, TEST_PACKS / "metrics")
    await write(api, "f-1", "urgent: my invoice is wrong")
    await write(api, "f-2", "a question about my invoice")
    assigned = await api.request("POST", "/v1/conversations/f-2/assignment", json={"agent_id": "ana"})
    assert assigned.status == 200, assigned.body

    async def listed() -> bool:
        rows = (await api.request("GET", "/v1/conversations?assigned=false")).body["conversations"]
        return [r["conversation_id"] for r in rows] == ["f-1"]

    await eventually(listed, "f-2 listed as assigned")
    ana = {"id": "ana", "name": "Ana Lopez", "teams": ["billing"]}  # on the roster after the assignment
    assert (await api.request("POST", "/v1/agents", json=ana)).status == 201
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        page = await (await browser.new_context(viewport={"width": 375, "height": 800})).new_page()
        await sign_in(page, api.base_url, keys["ops"])
        rows = page.locator("#conversations tbody tr")
        await page.goto(f"{api.base_url}/console/conversations?tag=urgent")
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td.tags")).to_have_text("urgent")
        await expect(page.locator("input[name=tag]")).to_have_value("urgent")
        await expect(rows.first.locator("td").last).to_have_text(
            re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
        )
        await page.goto(f"{api.base_url}/console/conversations")
        await expect(rows).to_have_count(2)
        await page.select_option("select[name=assigned]", "false")
        await page.click("form.filters button[type=submit]")
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td").first).to_have_text("f-1")
        await page.goto(f"{api.base_url}/console/conversations?language=de")
        await expect(rows).to_have_count(0)
        # The assignee box takes what a person types: the name on the Queues page, the id in any case.
        for typed in ("Ana Lopez", "ANA"):
            await page.goto(f"{api.base_url}/console/conversations")
            await page.fill("input[name=assignee]", typed)
            await page.click("form.filters button[type=submit]")
            await expect(rows).to_have_count(1)
            await expect(rows.first.locator("td").first).to_have_text("f-2")
        await page.goto(f"{api.base_url}/console/conversations?assignee=no+body")
        await expect(page.locator("[role=alert]")).to_contain_text("no agent 'no body' in the roster")
        for path in ("/console/conversations", "/console/queue", "/console/"):
            await page.goto(f"{api.base_url}{path}")
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, (path, wide)
        await page.screenshot(path=str(tmp_path / "console-phone.png"), full_page=True)


async def test_the_queue_view_and_setting_an_agent_online(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str], tmp_path
) -> None:
    publish(settings, TEST_PACKS / "metrics")
    added = await api.request(
        "POST", "/v1/agents", json={"id": "ada", "name": "Ada", "teams": ["billing"], "capacity": 2}
    )
    assert added.status == 201, added.body
    per_channel = {"id": "ben", "name": "Ben", "teams": ["billing"], "capacity": {"email": 5, "chat": 2}}
    assert (await api.request("POST", "/v1/agents", json=per_channel)).status == 201
    await write(api, "q-1", "urgent: invoice missing")  # ada is offline: it waits in billing

    async def waiting() -> bool:
        queue = (await api.request("GET", "/v1/teams/billing/queue")).body
        return [e["conversation_id"] for e in queue.get("entries", [])] == ["q-1"]

    await eventually(waiting, "q-1 waiting in billing")
    await write(api, "q-2", "urgent: invoice missing")  # put on hold: its clocks pause while it waits

    async def both_waiting() -> bool:
        queue = (await api.request("GET", "/v1/teams/billing/queue")).body
        return {e["conversation_id"] for e in queue.get("entries", [])} == {"q-1", "q-2"}

    await eventually(both_waiting, "q-2 waiting in billing")
    held = await api.request("POST", "/v1/conversations/q-2/status", json={"status": "on_hold"})
    assert held.status == 200, held.body
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await sign_in(page, api.base_url, keys["ops"])
        await page.click("header nav a[href='/console/queue']")
        row = page.locator("h2#team-billing + table tbody tr", has_text="q-1")
        await expect(row).to_have_count(1)
        await expect(row.locator("td").first).to_have_text("q-1")
        # on hold, its SLA is paused: it read "no SLA"
        paused = page.locator("h2#team-billing + table tbody tr", has_text="q-2")
        await expect(paused.locator("td").nth(3)).to_have_text("no SLA clock running")
        closed = await api.request("POST", "/v1/conversations/q-2/status", json={"status": "closed"})
        assert closed.status == 200, closed.body  # out of the queue: ada's load below is q-1's
        # Said as what it is: how long the desk has held it, not how long the customer has waited
        # (a customer who wrote 87 hours earlier showed "waiting 4 min").
        await expect(page.locator("h2#team-billing + table thead th").nth(2)).to_have_text("in the queue")
        await expect(page.locator("#agent-ada td.presence-offline")).to_have_text("offline")
        # A capacity per channel read "0 / {'email': 5, 'chat': 2}": Python's repr of it; then "6 / chat
        # 2, email 5" for an agent exactly full on both channels. Each channel's load beside its slots.
        await expect(page.locator("#agent-ben td").nth(3)).to_have_text("chat 0 / 2, email 0 / 5")
        await page.screenshot(path=str(tmp_path / "console-queue.png"), full_page=True)
        # A pack without billing: q-1 still waits in billing's queue, which the page listed no more.
        publish(settings, TEST_PACKS / "notify")

        async def dropped_listed() -> bool:  # once the API's cache of the active pack (5 s) lets go
            await page.reload()
            return await page.locator("h2#team-leads").count() == 1

        await eventually(dropped_listed, "the page on the new pack")
        await expect(page.locator("h2#team-billing + p.error")).to_contain_text(
            "Not a team of the active rule pack"
        )
        await expect(page.locator("h2#team-billing + p.error + table tbody tr td").first).to_have_text("q-1")
        await expect(page.locator("h2#team-leads")).to_be_visible()  # the new pack's own team
        # ... and the conversation list filtered by it keeps it chosen (the next Filter read "any")
        await page.goto(f"{api.base_url}/console/conversations?team=billing")
        await expect(page.locator("select[name=team]")).to_have_value("billing")
        await page.goto(f"{api.base_url}/console/queue")

        await page.click("#agent-ada button:has-text('set online')")
        await expect(page).to_have_url(f"{api.base_url}/console/queue#agent-ada")  # back at her row
        await expect(page.locator("#agent-ada td.presence-online")).to_have_text("online")
        await expect(page.get_by_role("button", name="set Ada away")).to_be_visible()  # which agent's
        await expect(page.locator("nav a[aria-current=page]")).to_have_text("Queues")

    async def assigned() -> bool:
        return (await state(api, "q-1")).get("assignee") == "ada"

    await eventually(assigned, "q-1 assigned to ada once she is online")
    agents = {a["id"]: a for a in (await api.request("GET", "/v1/agents")).body["agents"]}
    assert agents["ada"]["load"] == 1 and agents["ada"]["load_by_channel"] == {"email": 1}
    assert agents["ben"]["load_by_channel"] == {}


def _browser() -> aiohttp.ClientSession:
    """A client that keeps cookies as a browser does (also those of 127.0.0.1, which aiohttp's jar
    refuses by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _signed_in(
    session: aiohttp.ClientSession, base: str, key: str, then: str = "/console/queue"
) -> tuple[int, str]:
    """Sign in over plain HTTP as a browser would: the form's token, the pre-session cookie, the key."""
    form = await (await session.get(f"{base}/console/sign-in")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    reply = await session.post(
        f"{base}/console/sign-in",
        data={"key": key, "csrf": token.group(1), "next": then},
        allow_redirects=False,
    )
    return reply.status, reply.headers.get("Location", "")


def _page_token(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


async def test_sign_in_sessions_csrf_and_tenants(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str]
) -> None:
    publish(settings, TEST_PACKS / "metrics")
    await write(api, "t-1", "hello")
    acme = await keys_by_role(settings, tenants["acme"])
    globex = await keys_by_role(settings, tenants["globex"])
    base = api.base_url

    async with aiohttp.ClientSession() as anonymous:
        # No session: pages send the browser to sign in; changes are refused.
        gone = await anonymous.get(f"{base}/console/queue", allow_redirects=False)
        assert gone.status == 303 and gone.headers["Location"] == "/console/sign-in?next=/console/queue"
        refused = await anonymous.post(f"{base}/console/sign-out", data={"csrf": "x"})
        assert refused.status == 401
        # A form posted without the sign-in page's cookie (another site's form) is refused.
        forged = await anonymous.post(f"{base}/console/sign-in", data={"key": acme["ops"], "csrf": "x"})
        assert forged.status == 403 and (await forged.json(content_type=None))["fields"][0]["field"] == "csrf"

    for key, status, says in (
        ("cfk_nobody", 401, "That API key is not known."),
        (acme["integrator"], 403, "this key&#39;s role is integrator"),
    ):
        async with _browser() as browser:
            form = await (await browser.get(f"{base}/console/sign-in")).text()
            reply = await browser.post(
                f"{base}/console/sign-in", data={"key": key, "csrf": _page_token(form)}, allow_redirects=False
            )
            assert reply.status == status and says in await reply.text()

    async with _browser() as browser:
        status, location = await _signed_in(browser, base, acme["auditor"])
        assert (status, location) == (303, "/console/queue")
        page = await (await browser.get(f"{base}/console/conversations")).text()
        assert 'href="/console/conversations/t-1"' in page
        assert "set online" not in (await (await browser.get(f"{base}/console/queue")).text())
        token = _page_token(page)
        # An auditor watches; changing presence is for ops (the API's role table).
        watched = await browser.post(
            f"{base}/console/agents/ada/presence", data={"csrf": token, "status": "online"}
        )
        assert watched.status == 403
        # Without the session's token, even a signed-in browser changes nothing.
        blind = await browser.post(f"{base}/console/sign-out", data={"csrf": "guess"})
        assert blind.status == 403
        other_site = await browser.post(
            f"{base}/console/sign-out", data={"csrf": token}, headers={"Origin": "https://evil.example"}
        )
        assert other_site.status == 403
        left = await browser.post(f"{base}/console/sign-out", data={"csrf": token}, allow_redirects=False)
        assert left.status == 303
        after = await browser.get(f"{base}/console/conversations", allow_redirects=False)
        assert after.status == 303  # the session ended on the server, not only in the browser

    async with _browser() as browser:  # another tenant's console sees none of acme's
        assert (await _signed_in(browser, base, globex["admin"]))[0] == 303
        listed = await (await browser.get(f"{base}/console/conversations")).text()
        assert "t-1" not in listed
        # A typo in the assignee box is said on the page, with the form to mend it: it was the
        # API's problem JSON, in place of the console.
        typo = await browser.get(f"{base}/console/conversations", params={"assignee": "a b"})
        shown = await typo.text()
        assert typo.status == 422 and typo.content_type == "text/html", shown
        assert 'role="alert">assignee: no agent' in shown and '<form class="filters"' in shown
        assert 'name="assignee" value="a b"' in shown
        assert (await browser.get(f"{base}/console/conversations/t-1")).status == 404
        # A mistyped console link: the console's own page with its navigation, not the API's JSON.
        nowhere = await browser.get(f"{base}/console/conversation")
        assert nowhere.status == 404 and nowhere.content_type == "text/html"
        assert "the console has no such page" in await nowhere.text()

    async with _browser() as browser:  # a page at a time, never a list that silently stops
        await write(api, "t-2", "hello again")
        await write(api, "t-3", "and again")

        async def listed() -> bool:  # Temporal's visibility lists a new conversation a moment later
            return len((await api.request("GET", "/v1/conversations")).body["conversations"]) == 3

        await eventually(listed, "the three conversations listed")
        assert (await _signed_in(browser, base, acme["ops"]))[0] == 303
        first = await (await browser.get(f"{base}/console/conversations", params={"limit": "2"})).text()
        shown_first = re.findall(r'href="/console/conversations/(t-\d)"', first)
        link = re.search(r'<a href="([^"]+)" rel="next">next page</a>', first)
        assert len(shown_first) == 2 and link is not None, first
        rest = await (await browser.get(base + html.unescape(link.group(1)))).text()
        shown_rest = re.findall(r'href="/console/conversations/(t-\d)"', rest)
        assert sorted(shown_first + shown_rest) == ["t-1", "t-2", "t-3"], (shown_first, shown_rest)
        assert 'rel="next"' not in rest
        # Any page a person opens says what it cannot show inside the console, never as JSON.
        for path, status, says in (
            ("/console/kpis/nonsense", 422, "metric: one of"),
            ("/console/kpis/volume?from=bad", 422, "from: &#39;bad&#39; is not a date"),
            ("/console/?from=2026-13-45&amp;to=x".replace("&amp;", "&"), 422, "from: &#39;2026-13-45&#39;"),
            ("/console/conversations/nope", 404, "no such conversation"),
        ):
            shown = await browser.get(base + path)
            text = await shown.text()
            assert shown.status == status and shown.content_type == "text/html", (path, text[:300])
            assert says in text and 'href="/console/conversations"' in text, (path, text)

    async with _browser() as browser:  # revoking the key ends its sessions
        assert (await _signed_in(browser, base, acme["ops"]))[0] == 303
        assert (await browser.get(f"{base}/console/", allow_redirects=False)).status == 200
        database = database_of(settings)
        try:
            ops_keys = [k.key_id for k in await list_keys(database, tenants["acme"]) if k.role == "ops"]
            assert [await revoke_key(database, key_id) for key_id in ops_keys] == [True]
        finally:
            await database.dispose()

        async def signed_out() -> bool:  # within the API's key cache (5 s)
            return (await browser.get(f"{base}/console/", allow_redirects=False)).status == 303

        await eventually(signed_out, "the revoked key's session ended", within=10)


async def test_the_kpi_pages_count_days_in_the_time_zone_ops_choose(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str]
) -> None:
    """Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart, so a conversation begun now is
    on a different date in each: the page counted it on its UTC date in both."""
    publish(settings, TEST_PACKS / "metrics")
    await write(api, "tz-1", "hello")

    async def counted() -> bool:
        return bool((await kpi(api, ""))["rows"])

    await eventually(counted, "the conversation in the KPI projection")
    ops = (await keys_by_role(settings, tenants["acme"]))["ops"]
    async with _browser() as browser:
        assert (await _signed_in(browser, api.base_url, ops))[0] == 303
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            today = datetime.now(ZoneInfo(zone)).date()
            shown = await browser.get(f"{api.base_url}/console/", params={"tz": zone})
            text = await shown.text()
            assert shown.status == 200, text[:300]
            assert f'<option value="{zone}" selected>' in text and f"Whole days in {zone}" in text
            assert "what happened before the end of the range" in text
            table = text.split('id="numbers-volume"')[1].split("</table>")[0]
            begun = {day: int(n) for day, n in re.findall(r"<tr><td>([\d-]+)</td><td>(\d+)</td>", table)}
            assert begun[today.isoformat()] == 1 and sum(begun.values()) == 1, (zone, begun)
            # The drill-down keeps the zone, so its list is the tile's.
            assert f"tz={zone.replace('/', '%2F')}" in text.split('id="tile-volume"')[1].split(">")[0]
            drilled = await browser.get(f"{api.base_url}/console/kpis/volume", params={"tz": zone})
            listed = await drilled.text()
            assert 'href="/console/conversations/tz-1"' in listed and f"days in {zone}" in listed
        # A team the pack lacks is shown as the filter applied, not as "all teams" beside no figures.
        typo = await (await browser.get(f"{api.base_url}/console/", params={"team": "Billing"})).text()
        assert '<option value="Billing" selected>' in typo and 'value="">all teams</option>' in typo
        wrong = await browser.get(f"{api.base_url}/console/", params={"tz": "Mars/Olympus"})
        assert wrong.status == 422 and "tz: &#39;Mars/Olympus&#39; is not a time zone" in await wrong.text()
        # Without a zone the page opens in the pack's business hours' zone: a lead in Berlin saw
        # UTC's days, a day's last hour counted on the next (helper-118).
        publish(settings, PACKS / "kundenservice")

        async def in_berlin() -> bool:
            opened = await (await browser.get(f"{api.base_url}/console/")).text()
            chosen = '<option value="Europe/Berlin" selected>' in opened
            return chosen and "Whole days in Europe/Berlin" in opened

        await eventually(in_berlin, "the overview in the pack's zone")


def test_a_tile_shows_a_time_under_a_minute_in_seconds() -> None:
    """A chat answered in a median 21 s read "First response time (median) 0 min"."""
    timed = {"median_seconds": 20.9, "business_median_seconds": 3 * 3600.0, "count": 36}
    rate = {"value": 0.5, "numerator": 1, "denominator": 2}
    metrics: dict[str, Any] = {
        "volume": {"value": 36},
        "backlog": {"value": 2, "age_median_seconds": 90.0},
        "first_response_time": timed,
        "full_resolution_time": {**timed, "median_seconds": None},
        **dict.fromkeys(("sla_first_response", "sla_resolution", "csat", "one_touch_resolution_rate"), rate),
        "reopens": {"value": 0},
    }
    shown = {tile.metric: (tile.value, tile.detail) for tile in tiles(metrics)}
    assert shown["first_response_time"] == ("21 s", "business 3.0 h · 36 measured")
    assert shown["full_resolution_time"][0] == "n/a" and shown["backlog"][1] == "median age 2 min"


async def test_a_next_page_with_a_line_break_signs_in_to_the_console(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """`next=/console/%0d%0a...` (a link anyone can send) made the sign-in's redirect header invalid:
    the connection closed unanswered, the session made for no browser."""
    acme = await keys_by_role(settings, tenants["acme"])
    async with _browser() as browser:
        status, location = await _signed_in(
            browser, api.base_url, acme["ops"], "/console/\r\nSet-Cookie: x=y"
        )
        assert (status, location) == (303, "/console/")
        assert (await browser.get(f"{api.base_url}/console/queue", allow_redirects=False)).status == 200
