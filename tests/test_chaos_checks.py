"""The chaos benchmark's checks find each kind of loss and duplicate (bench/chaos_verify.py).

A checker that silently counts nothing would make `python -m bench chaos` pass for the wrong reason,
so each finding is planted once in a conversation the checker has not seen, without any server.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bench.chaos_client import Outcome, RetryingClient, script
from bench.chaos_gateway import Received
from bench.chaos_verify import Figures, Held, add_transport, check_conversation
from tests.local_servers import serve_app


def sent(key: str, kind: str, text: str, at: float, template: str | None = None) -> Received:
    return Received(key=key, conversation="c1", kind=kind, template=template, text=text, at=at, signed=True)


def test_each_loss_and_duplicate_is_counted_once() -> None:
    steps = script("c1", 0)
    # Step i was first sent at 10*i seconds: thread 2's window opens with step 6 at 60 s.
    outcomes = [
        Outcome(step=s, status=200, body={}, attempts=1, first_sent_at=10.0 * i) for i, s in enumerate(steps)
    ]
    ack = "acknowledgement"
    received = [
        sent("k-ack", "auto_reply", "hi", 1, ack),
        sent("k-ack", "auto_reply", "hi", 2, ack),  # the same key again: a transport retry
        sent("k-ack-2", "auto_reply", "hi", 5, ack),  # a second key in thread 1: a duplicate ack
        sent("k-r1", "agent_reply", steps[1].body["text"], 11),
        sent("k-r2", "agent_reply", steps[4].body["text"], 41),
        sent("k-r2b", "agent_reply", steps[4].body["text"], 42),  # one reply under two keys
        # thread 2: no acknowledgement and no reply 3 arrive
    ]
    held = Held(threads=2, message_ids=frozenset({"c1-m1", "c1-m3"}), counted=2, status="closed", source="t")
    figures = Figures()
    check_conversation(figures, outcomes, held, received)
    add_transport(figures, received)

    assert (figures.inbound_accepted, figures.inbound_lost) == (3, 1)
    assert (figures.replies_accepted, figures.replies_lost, figures.replies_duplicated) == (3, 1, 1)
    assert (figures.acks_expected, figures.acks_lost, figures.acks_duplicated) == (2, 1, 1)
    assert figures.transport_retries == 1
    assert figures.failed


def test_a_clean_conversation_passes_and_a_retried_close_answered_409_counts_as_accepted() -> None:
    steps = script("c1", 0)
    outcomes = [
        Outcome(step=s, status=200, body={}, attempts=1, first_sent_at=10.0 * i) for i, s in enumerate(steps)
    ]
    outcomes[-1] = Outcome(
        step=steps[-1], status=409, body={"error": "conversation_closed"}, attempts=2, first_sent_at=80.0
    )
    received = [
        sent("k1", "auto_reply", "hi", 1, "acknowledgement"),
        sent("k2", "agent_reply", steps[1].body["text"], 11),
        sent("k3", "agent_reply", steps[4].body["text"], 41),
        sent("k4", "auto_reply", "hi", 61, "acknowledgement"),
        sent("k5", "agent_reply", steps[7].body["text"], 71),
    ]
    held = Held(
        threads=2, message_ids=frozenset({"c1-m1", "c1-m2", "c1-m3"}), counted=3, status="closed", source="t"
    )
    figures = Figures()
    check_conversation(figures, outcomes, held, received)
    add_transport(figures, received)

    assert not figures.failed
    assert (
        figures.status_changes_rejected == 0 and figures.acks_expected == 2 and figures.replies_accepted == 3
    )


async def test_the_client_retries_a_key_still_in_use_and_takes_a_conflict_as_final() -> None:
    """409 `idempotency_key_in_use` (the claim of an attempt whose API process died) is retried, as
    the API's Retry-After asks, until the request runs; a 409 about the conversation is an answer."""
    seen: list[str] = []

    async def status(request: web.Request) -> web.Response:
        seen.append(request.headers["Idempotency-Key"])
        if request.headers["Idempotency-Key"] == "c1-s2" and seen.count("c1-s2") < 3:
            body = {"error": "idempotency_key_in_use", "detail": "a request with this key is still running"}
            return web.json_response(body, status=409, headers={"Retry-After": "1"})
        if request.headers["Idempotency-Key"] == "c1-s3":
            return web.json_response({"error": "conversation_closed"}, status=409)
        return web.json_response({"status": "closed"})

    app = web.Application()
    app.router.add_post("/v1/conversations/c1/status", status)
    async with serve_app(app) as server, aiohttp.ClientSession() as session:
        client = RetryingClient(session, str(server.make_url("")).rstrip("/"), "key")
        client.max_backoff = 0.05
        steps = {s.ident: s for s in script("c1", 1)}
        closed = await client.send(steps["c1-s2"])
        refused = await client.send(steps["c1-s3"])
    assert (closed.status, closed.attempts, closed.accepted) == (200, 3, True)
    assert closed.retry_reasons == ["409 idempotency_key_in_use"] * 2
    assert (refused.status, refused.attempts, refused.accepted) == (409, 1, False)
