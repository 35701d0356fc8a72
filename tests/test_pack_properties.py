"""Whatever is sent to validate, test and publish, the answer is a 4xx or 2xx JSON body, never a 5xx.

Random JSON and YAML, as text and as objects, including deep, aliased and huge shapes, all against
one served API (hypothesis runs in a thread and sends each example to the test's event loop).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_client import ApiClient, api_key
from tests.hostile import billion_laughs, deep_condition, deep_yaml

ROUTES = ("/v1/rules/validate", "/v1/rules/test", "/v1/rules/publish")
DEFAULT = (Path(__file__).resolve().parent.parent / "rule_packs" / "default" / "pack.yaml").read_text()
TAGGED_PLACES = [
    "meta: VALUE\n",
    "meta: {name: x}\nrules: [{id: r, on: [message.received], if: {'==': [VALUE, 1]}}]\n",
    "meta: {name: x}\nrules: [{id: r, on: [message.received]}]\n"
    "tests: [{name: t, event: message.received, context: {customer: {custom: {a: VALUE}}},"
    " expect: {matched: []}}]\n",
    "meta: {name: x}\ncalendars: {c: {timezone: UTC, holidays: [VALUE]}}\n",
]
EVENTS = ["message.received", "conversation.created", "status.changed", "not.an.event"]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)
operators = st.sampled_from(
    ["==", "!", "and", "or", "in", "var", "if", "contains_any", "matches", "map", "?"]
)
conditions = st.recursive(
    scalars | st.builds(lambda p: {"var": p}, st.sampled_from(["message.text", "conversation.tags", "x"])),
    lambda inner: st.builds(lambda op, args: {op: args}, operators, st.lists(inner, max_size=3) | inner),
)
rules = st.fixed_dictionaries(
    {"id": st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), "on": st.lists(st.sampled_from(EVENTS))},
    optional={
        "if": conditions,
        "then": st.lists(
            st.dictionaries(st.sampled_from(["add_tags", "route", "reply", "zap"]), json_values)
        ),
        "stop": json_values,
    },
)
tests = st.fixed_dictionaries(
    {"name": st.text(max_size=10), "event": st.sampled_from(EVENTS), "expect": json_values},
    optional={"context": json_values},
)
packs = st.fixed_dictionaries(
    {"meta": st.fixed_dictionaries({"name": st.text(max_size=10)}) | json_values},
    optional={
        "rules": st.lists(rules, max_size=4),
        "tests": st.lists(tests, max_size=3),
        "settings": json_values,
    },
)


@st.composite
def mutated_default(draw: st.DrawFn) -> str:
    """The shipped pack with a random slice replaced by random text: YAML that is almost right."""
    start = draw(st.integers(0, len(DEFAULT)))
    end = draw(st.integers(start, min(len(DEFAULT), start + 40)))
    return DEFAULT[:start] + draw(st.text(max_size=20)) + DEFAULT[end:]


hostile_yaml = (
    st.builds(billion_laughs, st.integers(1, 8), st.integers(1, 12))
    | st.builds(deep_yaml, st.integers(1, 3000))
    | st.builds(lambda n: "a: &a [" + ", ".join(["*a"] * n) + "]", st.integers(1, 3))
    | st.builds(lambda n: "big: " + "9" * n, st.integers(1, 10_000))
    | st.builds(
        lambda place, tag, v: place.replace("VALUE", f"{tag} {json.dumps(v)}"),
        st.sampled_from(TAGGED_PLACES),
        st.sampled_from(
            ["!!binary", "!!set", "!!omap", "!!python/name:os.system", "!!timestamp", "!!float", ""]
        ),
        st.sampled_from(
            ["aGVsbG8=", "2026-01-01", "2026-01-05 10:00:00", ".nan", "-.inf", "{a: 1}", "[1]", "x"]
        )
        | st.text(max_size=10),
    )
)
yaml_texts = (
    st.text(max_size=200)
    | packs.map(lambda p: yaml.safe_dump(p, allow_unicode=True))
    | mutated_default()
    | hostile_yaml
)
# json.dumps itself stops at Python's recursion limit (~1,000): deeper conditions are written as text.
pack_values = yaml_texts | packs | json_values | st.builds(deep_condition, st.integers(1, 900))
bodies = (
    st.builds(lambda pack: json.dumps({"pack": pack}), pack_values)
    | st.builds(
        lambda n: (
            '{"pack": {"meta": {"name": "deep"}, "rules": [{"id": "r", "on": ["message.received"], "if": '
            + '{"!": ' * n
            + "true"
            + "}" * n
            + "}]}}"
        ),
        st.integers(900, 5000),
    )
    | json_values.map(json.dumps)
    | st.binary(max_size=100)
    | st.builds(lambda n: '{"pack": ' + "[" * n + "]" * n + "}", st.integers(1, 50_000))
)


async def test_random_packs_never_answer_5xx_or_a_traceback(api: ApiClient) -> None:
    loop = asyncio.get_running_loop()
    headers = {"Authorization": f"Bearer {api_key(api.tenants['acme'])}", "Content-Type": "application/json"}

    async def send(route: str, body: str | bytes) -> tuple[int, str, str]:
        async with api.session.post(api.base_url + route, data=body, headers=headers) as resp:
            return resp.status, resp.content_type, await resp.text()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(ROUTES), body=bodies)
    def check(route: str, body: str | bytes) -> None:
        status, content_type, text = asyncio.run_coroutine_threadsafe(send(route, body), loop).result(60)
        assert status < 500, text
        assert content_type == ("application/problem+json" if status >= 400 else "application/json")
        assert "Traceback" not in text and 'File "' not in text
        if status >= 400:
            assert json.loads(text)["error"]

    await asyncio.to_thread(check)
