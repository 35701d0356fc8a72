"""Cursor pages: a caller pages through a list while it grows, and sees each row once."""

from __future__ import annotations

from tests.api_client import ApiClient
from tests.polling import eventually


async def _listed(api: ApiClient, count: int) -> bool:
    return len((await api.request("GET", "/v1/conversations")).body["conversations"]) == count


async def test_paging_conversations_while_new_ones_arrive_has_no_duplicates_and_no_gaps(
    api: ApiClient, worker: None
) -> None:
    existing = {f"page-{n}" for n in range(7)}
    for conversation in sorted(existing):
        assert (await api.post_message(conversation, f"m-{conversation}")).status == 201
    await eventually(lambda: _listed(api, 7), "visibility lists the seven conversations")
    seen: list[str] = []
    link: str | None = "/v1/conversations?limit=3"
    pages = 0
    while link is not None:
        page = await api.request("GET", link)
        assert page.status == 200, page.body
        seen += [c["conversation_id"] for c in page.body["conversations"]]
        link = page.body["next"]
        pages += 1
        if pages == 1:  # two new conversations arrive while the caller pages
            for conversation in ("late-1", "late-2"):
                assert (await api.post_message(conversation, f"m-{conversation}")).status == 201
            await eventually(lambda: _listed(api, 9), "visibility lists the late conversations")
    assert len(seen) == len(set(seen)), seen
    assert existing <= set(seen) and pages >= 3
    assert seen[:3] == sorted(existing, reverse=True)[:3]  # newest first


async def test_a_page_that_ends_the_list_links_to_no_empty_page(api: ApiClient, worker: None) -> None:
    """A full last page linked to an empty one (helper-118): the console showed "Next" to nothing."""
    for conversation in ("full-1", "full-2", "full-3", "full-4"):
        assert (await api.post_message(conversation, f"m-{conversation}")).status == 201
    await eventually(lambda: _listed(api, 4), "visibility lists the four conversations")
    whole = await api.request("GET", "/v1/conversations?limit=4")
    assert len(whole.body["conversations"]) == 4 and whole.body["next"] is None, whole.body
    first = await api.request("GET", "/v1/conversations?limit=2")
    assert first.body["next"] is not None, first.body
    second = await api.request("GET", first.body["next"])
    assert len(second.body["conversations"]) == 2 and second.body["next"] is None, second.body
    shorter = await api.request("GET", "/v1/conversations?limit=3")
    assert shorter.body["next"] is not None  # one more: the link stays


async def test_cursors_are_checked_and_bound_to_their_listing(api: ApiClient) -> None:
    for role in ("auditor", "ops", "integrator"):
        assert (await api.request("POST", "/v1/keys", json={"role": role})).status == 201
    first = await api.request("GET", "/v1/keys?limit=2")
    assert len(first.body["keys"]) == 2 and first.body["next"]
    rest = await api.request("GET", first.body["next"])
    ids = [k["key_id"] for k in first.body["keys"] + rest.body["keys"]]
    assert len(ids) == len(set(ids)) == 3 and rest.body["next"] is None
    cursor = first.body["next"].split("cursor=")[1]
    for path in (
        "/v1/keys?cursor=not-a-cursor",
        f"/v1/keys?cursor={cursor[:-4]}",
        f"/v1/agents?cursor={cursor}",  # another listing's cursor
        f"/v1/conversations?cursor={cursor}",
        "/v1/conversations?cursor=eyJzIjoiIiwicCI6W119",
    ):
        bad = await api.request("GET", path)
        assert bad.status == 422 and [f["field"] for f in bad.body["fields"]] == ["cursor"], (path, bad.body)
    for limit in ("0", "1001", "x", "²"):
        bad = await api.request("GET", f"/v1/conversations?limit={limit}")
        assert bad.status == 422 and [f["field"] for f in bad.body["fields"]] == ["limit"], bad.body
    # A typo and a filter given twice were ignored: the answer looked filtered and was not.
    for query, field in (("chanel=sms", "chanel"), ("channel=sms&channel=chat", "channel")):
        bad = await api.request("GET", f"/v1/conversations?{query}")
        assert bad.status == 422 and [f["field"] for f in bad.body["fields"]] == [field], bad.body
    theirs = await api.request("GET", first.body["next"], tenant="globex")
    assert theirs.status == 422  # a cursor of acme's listing means nothing to globex
