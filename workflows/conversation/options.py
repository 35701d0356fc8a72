"""Timeouts and retries of every activity the conversation workflow runs, one named set per kind.

Unpacked into the calls (`**DELIVERY`), so a kind's policy is read and changed in one place.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityConfig, LocalActivityConfig

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)

DELIVERY: ActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": DELIVERY_RETRY,
    # A channel down longer than this: the send is recorded as failed in the decision trail.
    "schedule_to_close_timeout": timedelta(hours=1),
}
CRM_WRITE: ActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": DELIVERY_RETRY,
    "schedule_to_close_timeout": timedelta(hours=1),
}
# Enrichment is worth a few quick tries, not a conversation waiting for a CRM that is down.
CRM_LOOKUP: ActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_attempts=3),
}
# Behind the issue-15 patch (core.py `LOCAL_IO_PATCH`): the customer lookup and a delivery's first
# attempt run as local activities, on the worker that runs the workflow task, so the first message is
# one workflow task instead of three. A local activity holds its workflow task, and with it every
# update of the conversation (a customer's next message, an agent's reply), so a local attempt gets
# LOCAL_NETWORK_ATTEMPT, once: a REST CRM or a channel usually answers well within it, and one that
# fails or is slower goes on as the normal activity (CRM_LOOKUP, DELIVERY), during which the
# workflow task completes: a customer's next message is recorded and answered meanwhile. A send is
# retried under the same idempotency key (the ledger and the far side dedup it); a lookup is a read.
# A send cut short finishes in the background (activities/channels.py), so its retry finds it
# delivered rather than sending it twice. Before: the REST lookup's three local tries of up to 5 s
# held a second message 16.5 s (503 under a shorter update timeout, tests/test_slow_far_side.py), and
# a worker shutting down (a deploy) waited for a channel that is down.
LOCAL_NETWORK_ATTEMPT = timedelta(seconds=2)
LOCAL_DELIVERY: LocalActivityConfig = {
    "start_to_close_timeout": LOCAL_NETWORK_ATTEMPT,
    "retry_policy": RetryPolicy(maximum_attempts=1),
}
# A CRM write has no ledger behind it (a send's claim lets a cut-short attempt finish, channels.py):
# an attempt cut short while the CRM applies it would be written again from the background, so the
# attempt outlasts the REST adapter's own 5 s timeout (activities/crm.py TIMEOUT). A CRM that is down
# answers or refuses at once; only a slow one holds the handler, as the normal activity did.
LOCAL_CRM_WRITE: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=6),
    "retry_policy": RetryPolicy(maximum_attempts=1),
}
LOCAL_CRM_LOOKUP: LocalActivityConfig = {
    "start_to_close_timeout": LOCAL_NETWORK_ATTEMPT,
    "retry_policy": RetryPolicy(maximum_attempts=1),
}
# Pack, decisions and business time: pure computations on the worker, recorded as markers.
LOCAL: LocalActivityConfig = {"start_to_close_timeout": timedelta(seconds=10)}
# KPI facts (records.py `_flush_records`): a few quick tries, then the conversation goes on without them;
# `convoflow kpi rebuild` restores what a database outage lost, from the trail.
LOCAL_KPI: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3),
}
# Subscription events (records.py `_send_events`): a few quick tries; what still fails stays in the
# conversation's state and is sent again later, so a database outage delays events but loses none.
LOCAL_EVENTS: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3),
}
# Both in one local activity (records.py `_send_records`): the same quick tries, for the events (a
# failure of the facts is answered, not raised).
LOCAL_RECORDS: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3),
}
# An event the rules cannot take fails at once (non-retryable `UndecidableContext` from `decide`) and
# is recorded as failed; anything else (the database down while a worker fetches the pinned pack) is
# retried until it passes, every 4 s at most: the conversation waits rather than losing the event.
DECIDING: LocalActivityConfig = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=4),
        non_retryable_error_types=["UndecidableContext"],
    ),
}
