"""Other requests while hostile rule packs arrive: GET p99 with and without them, in the same run.

The API is served in its own process (as `convoflow up` serves it), with the embedded Temporal dev
server. 20 clients keep GET /v1/rules/versions going, first alone (the baseline), then while two
attackers post hostile packs back to back: nested aliases, a 10,000-deep rule as YAML and as a JSON
object, and a valid pack whose test cases run past the time limit. The figure is GET p99 under attack
next to the baseline p99 (goal: under 100 ms); the attackers' answers must all be 4xx.

    python -m bench hostile-packs
    BENCH_SECONDS=10 python -m bench hostile-packs
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench import stack
from bench.results import Result
from bench.stats import percentile

CLIENTS = 20
ATTACKERS = 2
GET_PERIOD = 0.2
"""Each client sends a GET every GET_PERIOD seconds (100 a second from 20 clients), well under what
one API process serves. Clients that send the next GET the moment the last returns would measure
the API's throughput instead: their latency is concurrency / throughput (Little's law), so any
extra work at all, even hostile requests answered at once, would read as "slowed"."""
GOAL_MS = 100.0


def _laughs() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 7)]
    return "\n".join([*lines, "meta: {name: x}", "rules: [{id: r, on: [message.received], if: *a6}]"])


def _deep(levels: int = 10_000) -> str:
    return '{"!": ' * levels + "true" + "}" * levels


def hostile_bodies() -> dict[str, str]:
    """Request bodies, by what they try."""
    deep_yaml = f"meta: {{name: deep}}\nrules:\n  - id: r\n    on: [message.received]\n    if: {_deep()}\n"
    slow = {
        "meta": {"name": "slow"},
        "rules": [
            {"id": f"r{i}", "on": ["message.received"], "if": {"in": [f"w{i}", {"var": "message.text"}]}}
            for i in range(400)
        ],
        "tests": [
            {"name": f"t{i}", "event": "message.received", "expect": {"matched": []}} for i in range(4000)
        ],
    }
    return {
        "nested aliases": json.dumps({"pack": _laughs()}),
        "10,000-deep YAML": json.dumps({"pack": deep_yaml}),
        "10,000-deep JSON": '{"pack": {"meta": {"name": "d"}, "rules": [{"id": "r", "on": ["x"], "if": '
        + _deep()
        + "}]}}",
        "slow test cases": json.dumps({"pack": slow}),
    }


async def _get_loop(
    session: aiohttp.ClientSession, base: str, until: float, out: list[float], offset: float
) -> None:
    headers = {"Authorization": f"Bearer {stack.API_KEY}"}
    next_at = time.monotonic() + offset
    while next_at < until:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        started = time.perf_counter()
        async with session.get(f"{base}/v1/rules/versions", headers=headers) as resp:
            await resp.read()
            assert resp.status == 200, resp.status
        out.append(time.perf_counter() - started)
        next_at += GET_PERIOD


async def _attack(
    session: aiohttp.ClientSession, base: str, until: float, answers: Counter[str], slowest: dict[str, float]
) -> None:
    headers = {"Authorization": f"Bearer {stack.API_KEY}", "Content-Type": "application/json"}
    bodies = list(hostile_bodies().items())
    n = 0
    while time.monotonic() < until:
        name, body = bodies[n % len(bodies)]
        n += 1
        started = time.perf_counter()
        async with session.post(f"{base}/v1/rules/publish", data=body, headers=headers) as resp:
            reply = await resp.json()
        answers[f"{name}: {resp.status} {reply.get('error')}"] += 1
        slowest[name] = max(slowest.get(name, 0.0), time.perf_counter() - started)


def _p(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


async def _phase(
    base: str, seconds: float, attack: bool
) -> tuple[list[float], Counter[str], dict[str, float]]:
    latencies: list[float] = []
    answers: Counter[str] = Counter()
    slowest: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=CLIENTS + ATTACKERS)
    async with aiohttp.ClientSession(connector=connector) as session:
        until = time.monotonic() + seconds
        tasks = [_get_loop(session, base, until, latencies, GET_PERIOD * n / CLIENTS) for n in range(CLIENTS)]
        if attack:
            tasks += [_attack(session, base, until, answers, slowest) for _ in range(ATTACKERS)]
        await asyncio.gather(*tasks)
    return latencies, answers, slowest


async def run(seconds: float) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            settings = stack.bench_settings(server, Path(tmp))
            await stack.prepare(settings)
            with stack.child(stack.api, settings) as api:
                base = f"http://127.0.0.1:{settings.api_port}"
                await stack.wait_healthy(base, api)
                await _phase(base, 1.0, attack=False)  # warm-up: connections, caches
                baseline, _, _ = await _phase(base, seconds, attack=False)
                attacked, answers, slowest = await _phase(base, seconds, attack=True)
    print(
        f"{CLIENTS} clients GET /v1/rules/versions every {GET_PERIOD:g} s for {seconds:g} s; "
        f"then again with {ATTACKERS} attackers posting back to back"
    )
    for label, values in (("baseline", baseline), ("under attack", attacked)):
        print(
            f"  {label:13} {len(values):6} GETs  p50 {_p(values, 50):6.1f} ms  p99 {_p(values, 99):6.1f} ms"
            f"  max {max(values) * 1000:6.1f} ms"
        )
    p99 = _p(attacked, 99)
    print(
        f"  GET p99 under attack {p99:.1f} ms = {p99 / max(_p(baseline, 99), 1e-9):.2f}x baseline "
        f"(goal: under {GOAL_MS:g} ms: {'met' if p99 < GOAL_MS else 'MISSED'})"
    )
    print("  hostile packs posted to /v1/rules/publish, by answer (slowest answer):")
    for answer, count in sorted(answers.items()):
        name = answer.split(":")[0]
        print(f"    {count:4} x {answer}  ({slowest[name] * 1000:.0f} ms)")
    if any(" 4" not in a for a in answers):
        raise SystemExit("a hostile pack was not answered with a 4xx")
    return [
        Result("hostile-packs: GET p99 under hostile packs", p99, "ms", _p(baseline, 99), f"< {GOAL_MS:g} ms")
    ]


def main() -> list[Result]:
    return asyncio.run(run(float(os.environ.get("BENCH_SECONDS", "5"))))


if __name__ == "__main__":
    main()
