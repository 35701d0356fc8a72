"""The timeline page as an auditor sees it: in a real headless browser (Playwright driving Debian's
chromium), from the API with an auditor's key and as a static file from `convoflow audit timeline`.

Conversations run on the timers test pack (a 24/7 calendar, a 1.8 s first-response target) on the
real Temporal server, so a clock pauses, resumes and breaches within seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Locator, Page, expect

from engine.service.config import Settings
from tests.api_client import ApiClient, trail
from tests.browser import chromium
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.polling import eventually
from tests.test_api_roles import as_key, keys_by_role
from tests.test_lifecycle import set_status, state

# What the customer wrote: personal data the page must never show.
SECRET = "my account number is 4711-0815"


async def _trail(api: ApiClient, conversation: str) -> list[dict]:
    return (await api.request("GET", f"/v1/conversations/{conversation}/decisions")).body["decisions"]


async def _paused_then_breached(api: ApiClient, conversation: str) -> None:
    """A conversation whose first-response clock pauses (pending) for a while, resumes and breaches."""
    await api.post_message(conversation, "m-1", SECRET)
    await set_status(api, conversation, "pending")

    async def idle_fired() -> bool:  # the idle reminder: time has passed while the clock was paused
        return any(e["event"] == "conversation.idle" for e in await _trail(api, conversation))

    await eventually(idle_fired, what="idle reminder while pending")
    await set_status(api, conversation, "open")

    async def breached() -> bool:
        return (await state(api, conversation))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, what="first-response breach")


async def _clock(page: Page, name: str) -> Locator:
    return page.locator(f'svg g.clock[data-clock="{name}"]')


async def test_an_auditor_sees_the_breach_its_reason_and_the_pause(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str], tmp_path
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await _paused_then_breached(api, "tl-1")
    keys = await keys_by_role(settings, tenants["acme"])
    async with chromium() as browser:
        context = await browser.new_context(
            extra_http_headers={"Authorization": f"Bearer {keys['auditor']}"},
            viewport={"width": 1280, "height": 900},
        )
        page = await context.new_page()
        response = await page.goto(f"{api.base_url}/v1/conversations/tl-1/timeline")
        assert response is not None and response.status == 200
        assert response.headers["content-type"].startswith("text/html")
        await expect(page).to_have_title("Timeline of conversation tl-1")

        first_response = await _clock(page, "first_response")
        breach = first_response.locator("g.marker.breach")
        await expect(breach).to_be_visible()
        await expect(breach.locator("text")).to_contain_text("breached")
        paused = first_response.locator("g.span.paused")
        await expect(paused).to_have_count(1)
        await expect(paused).to_be_visible()
        await expect(paused.locator("text")).to_have_text("paused")
        box = await paused.locator("rect").bounding_box()
        assert box is not None and box["width"] > 20, "a pause of about a second is drawn wide enough to see"
        running = first_response.locator("g.span.running")
        await expect(running).to_have_count(2)  # before and after the pause

        # Why the breach escalated: the rule, and the value it read.
        reason = page.locator("table.trail td.reasons li", has_text="event.sla_target = first_response")
        await expect(reason.first).to_be_visible()
        await expect(reason.first).to_contain_text("rule escalate matched")
        escalated = page.locator("table.trail tr").filter(
            has=page.locator("td.reasons li", has_text="event.sla_target = first_response")
        )
        await expect(escalated.locator("td.actions")).to_contain_text("(rule escalate): done")
        # The rules read the customer's text: the page names the field, never the value.
        created = page.locator("table.trail tr#seq-1")
        await expect(created).to_contain_text("message.text = (withheld: personal data)")
        await expect(page.locator("table.trail tr#seq-2")).to_contain_text("customer message")
        assert SECRET not in await page.content()
        await expect(page.locator("table.clocks")).to_contain_text("paused")

        screenshot = tmp_path / "timeline.png"
        await page.screenshot(path=str(screenshot), full_page=True)
        print(f"timeline screenshot: {screenshot}")
        assert screenshot.stat().st_size > 0


async def test_the_page_is_for_auditors_of_the_tenant_only(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str]
) -> None:
    await api.post_message("tl-2", "m-1", "hello")
    acme = await keys_by_role(settings, tenants["acme"])
    globex = await keys_by_role(settings, tenants["globex"])
    for role in ("admin", "ops", "integrator"):
        refused = await as_key(api, acme[role], "GET", "/v1/conversations/tl-2/timeline")
        assert refused.status == 403 and refused.body["fields"] == [
            {"field": "role", "message": "needs auditor"}
        ]
        assert "(or admin)" not in refused.body["message"]
    elsewhere = await as_key(api, globex["auditor"], "GET", "/v1/conversations/tl-2/timeline")
    assert elsewhere.status == 404 and elsewhere.body["error"] == "conversation_not_found"
    bad = await as_key(api, acme["auditor"], "GET", "/v1/conversations/a%20b/timeline")
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "conversation_id"


async def timeline_page(api: ApiClient, settings: Settings, tenant: str, conversation: str) -> str:
    """The conversation's timeline page as the tenant's auditor gets it."""
    keys = await keys_by_role(settings, tenant)
    async with api.session.get(
        f"{api.base_url}/v1/conversations/{conversation}/timeline",
        headers={"Authorization": f"Bearer {keys['auditor']}"},
    ) as response:
        assert response.status == 200
        return await response.text()


async def test_a_clock_is_drawn_from_when_the_customer_wrote_with_its_date(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str]
) -> None:
    """A message the channel received two hours before it was handled (`received_at`): its
    first-response clock ran from then (the API says so), but the page began at the trail's first
    entry and drew the clock from there, and showed times without their date."""
    publish(settings, TEST_PACKS / "timers")
    written = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = {
        "message_id": "m-late",
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": "hello",
        "received_at": written.isoformat(),
    }
    posted = await api.request("POST", "/v1/conversations/tl-late/messages?wait=decided", json=body)
    assert posted.status == 201, posted.body

    async def breached() -> bool:
        return (await state(api, "tl-late"))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, what="the late message's first response breached")
    started = (await state(api, "tl-late"))["sla"]["targets"]["first_response"]["started_at"]
    assert datetime.fromisoformat(started.replace("Z", "+00:00")) == written
    page = await timeline_page(api, settings, tenants["acme"], "tl-late")
    clocks = page.split('<table class="clocks">', 1)[1].split("</table>", 1)[0]
    assert f"running {written:%Y-%m-%d %H:%M:%S}\u2013" in clocks  # an en dash, then its end
    # The breach is dated at its deadline, two hours back; the row says when its effects went out
    # (the page read as if they had gone out then, before the conversation existed).
    breach = next(d for d in await trail(api, "tl-late") if d["event"] == "sla.breached")
    handled = datetime.fromisoformat(breach["handled_at"])
    row = page.split(f'<tr id="seq-{breach["seq"]}">', 1)[1].split("</tr>", 1)[0]
    assert f"handled {handled:%Y-%m-%d %H:%M:%S}: its effects went out then" in row
    # The message itself is where the customer wrote it, on its row and on the events lane (it was
    # at its handling, after the breach it caused, and the lane's times had no date: helper-121).
    created = page.split('<tr id="seq-1">', 1)[1].split("</tr>", 1)[0]
    assert f"written {written:%Y-%m-%d %H:%M:%S}: the channel handed it over later" in created
    assert f"<title>customer message {written:%Y-%m-%d %H:%M:%S}.000</title>" in page


async def test_a_conversation_the_customer_wrote_to_after_its_close_is_open_on_the_page(
    api: ApiClient, settings: Settings, worker: None, tenants: dict[str, str]
) -> None:
    """Closed, then the customer wrote again (thread 2): the header said open, but the status lane
    showed one "closed" bar from the close to a deadline days ahead, and nothing said the header's
    counts and clocks were the new thread's while the trail held both."""
    publish(settings, TEST_PACKS / "timers")
    assert (await api.post_message("tl-again", "m-1")).status == 201
    await set_status(api, "tl-again", "closed")
    again = await api.post_message("tl-again", "m-2", "me again")
    assert again.body["thread"] == 2, again.body
    page = await timeline_page(api, settings, tenants["acme"], "tl-again")
    fetched = datetime.now(UTC).replace(tzinfo=None)
    lane = re.findall(r'<g class="status (\w+)"><title>\w[\w ]*: [\d: -]+ to ([\d: -]+)</title>', page)
    assert [kind for kind, _ in lane][-2:] == ["closed", "open"], lane
    assert datetime.strptime(lane[-1][1], "%Y-%m-%d %H:%M:%S") <= fetched  # up to now, not a deadline ahead
    facts = page.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Thread</dt><dd>2: the customer wrote after a close." in facts
    assert "thread 1: " in facts and "1 from the customer, 0 from agents" in facts


async def test_the_static_file_opens_offline_with_the_paused_clock(
    api: ApiClient,
    shell: Settings,
    worker: None,
    tenants: dict[str, str],
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish(shell, TEST_PACKS / "timers")
    await api.post_message("tl-3", "m-1", "slow please: " + SECRET)  # the 60-minute policy
    await set_status(api, "tl-3", "on_hold")
    page_file = tmp_path / "tl-3.html"
    written = await cli(
        capsys, "audit", "timeline", "tl-3", "--tenant", tenants["acme"], "--html", str(page_file)
    )
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith(f"wrote {page_file}: conversation tl-3")
    html = page_file.read_text(encoding="utf-8")
    assert SECRET not in html and "<script" not in html

    async with chromium() as browser:
        page = await browser.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        await page.goto(page_file.as_uri())
        assert fetched == [page_file.as_uri()], "the page loads nothing besides itself"
        first_response = await _clock(page, "first_response")
        await expect(first_response).to_contain_text("paused")  # still paused when drawn
        await expect(first_response.locator("g.span.paused")).to_be_visible()
        await expect(page.locator("svg g.status.on_hold")).to_have_count(1)
        await expect(page.locator("table.trail")).to_contain_text("rule slow-sla matched")

    missing = await cli(
        capsys, "audit", "timeline", "nope", "--tenant", tenants["acme"], "--html", str(page_file)
    )
    assert missing.returncode == 2 and "no conversation 'nope'" in missing.stderr
    other = await cli(
        capsys, "audit", "timeline", "tl-3", "--tenant", tenants["globex"], "--html", str(page_file)
    )
    assert other.returncode == 2, "another tenant's conversation is not found"
    bad = await cli(capsys, "audit", "timeline", "a b", "--html", str(page_file))
    assert bad.returncode == 2
    nowhere = tmp_path / "no-such-folder" / "tl-3.html"
    unwritable = await cli(
        capsys, "audit", "timeline", "tl-3", "--tenant", tenants["acme"], "--html", str(nowhere)
    )
    assert unwritable.returncode == 2 and unwritable.stderr.startswith(f"convoflow: --html {nowhere}: ")
    assert "database" not in unwritable.stderr
