"""The process's Prometheus registry and the counters the API and the worker record into it.

One registry per process, so `convoflow up` (API and worker in one process) serves every number
from the API's `/metrics`; a separate `convoflow worker` serves the same registry on
CONVOFLOW_WORKER_METRICS_PORT. Each counter is recorded where its event happens: the API counts
the customer messages it accepts, the worker's activity interceptor (engine.service.activity_metrics)
counts decisions, actions, SLA events, deliveries and activity failures. Gauges that describe
the present (open conversations, queues, agents) are read at scrape time instead
(engine.api.metrics), so they are right whichever process recorded what.

Labels are bounded values only: tenant, channel, team, kinds and outcomes. Never a conversation
id, an address or any text of a message (docs: README, Metrics).
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# -- recorded by the API process ---------------------------------------------------------------
MESSAGES_IN = Counter(
    "convoflow_messages_in",
    "Customer messages accepted (duplicates of a message already received not counted).",
    ["tenant", "channel"],
    registry=REGISTRY,
)
MAIL_IN = Counter(
    "convoflow_mail_in",
    "Inbound emails taken (HTTP or IMAP), by what became of them: customer, automatic, bounce, "
    "duplicate, quarantined.",
    ["tenant", "outcome"],
    registry=REGISTRY,
)
MAIL_QUARANTINED = Counter(
    "convoflow_mail_quarantined",
    "Inbound emails quarantined, by reason (no_sender, loop, blocked_sender, spam, unparseable).",
    ["tenant", "reason"],
    registry=REGISTRY,
)
MAIL_BOUNCES = Counter(
    "convoflow_mail_bounces",
    "Delivery reports (DSN) of our outbound email matched to their conversation: ops should look.",
    ["tenant", "action"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "convoflow_http_requests",
    "API requests answered, by route pattern (never the path with its ids) and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)

# -- recorded by the worker process ------------------------------------------------------------
DECISIONS = Counter(
    "convoflow_decisions",
    "Events the rules decided on (the `decide` local activity).",
    ["tenant", "event"],
    registry=REGISTRY,
)
DECISION_SECONDS = Histogram(
    "convoflow_decision_seconds",
    "How long one decision took in the worker (pack lookup and rule evaluation).",
    ["tenant"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
ACTIONS = Counter(
    "convoflow_actions",
    "Actions the rules decided, by kind (reply, route, assign, apply_sla, ...).",
    ["tenant", "kind"],
    registry=REGISTRY,
)
SLA_WARNINGS = Counter(
    "convoflow_sla_warnings",
    "SLA warnings (sla.warning events), by target.",
    ["tenant", "target"],
    registry=REGISTRY,
)
SLA_BREACHES = Counter(
    "convoflow_sla_breaches",
    "SLA breaches (sla.breached events at the deadline; escalations not counted again), by target.",
    ["tenant", "target"],
    registry=REGISTRY,
)
MESSAGES_OUT = Counter(
    "convoflow_messages_out",
    "Outbound messages delivered (a repeated delivery of the same message not counted).",
    ["tenant", "channel", "kind"],
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "convoflow_delivery_failures",
    "Outbound delivery attempts that failed (Temporal retries them).",
    ["tenant", "channel", "kind"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "convoflow_webhook_deliveries",
    "Signed HTTP POSTs: gateway (chat, WhatsApp, SMS, social; notifications) and webhook "
    "(call_webhook actions); outcome delivered, duplicate or failed.",
    ["tenant", "adapter", "outcome"],
    registry=REGISTRY,
)
ACTIVITY_FAILURES = Counter(
    "convoflow_activity_failures",
    "Activity attempts that raised, by activity and error type.",
    ["activity", "error"],
    registry=REGISTRY,
)
ACTIVITY_RETRIES = Counter(
    "convoflow_activity_retries",
    "Activity attempts after the first (a retry Temporal scheduled).",
    ["activity"],
    registry=REGISTRY,
)

# -- shadow mode (engine/service/shadow_evaluator.py): a candidate pack decided beside the live one --
SHADOW_COMPARISONS = Counter(
    "convoflow_shadow_comparisons",
    "Live decisions also taken with the tenant's shadow pack and recorded, by whether they differ.",
    ["tenant", "differs"],
    registry=REGISTRY,
)
SHADOW_DROPPED = Counter(
    "convoflow_shadow_dropped",
    "Live decisions not compared because the worker's shadow queue was full (a sample lost, nothing else).",
    ["tenant"],
    registry=REGISTRY,
)
SHADOW_FAILURES = Counter(
    "convoflow_shadow_failures",
    "Shadow evaluations that raised (the candidate unreadable, the database down), by error type; "
    "the live decision is never affected.",
    ["tenant", "error"],
    registry=REGISTRY,
)
SHADOW_RULE_ERRORS = Counter(
    "convoflow_shadow_rule_errors",
    "Rule conditions of a shadow pack that failed on a live context (counted as not matched, as live).",
    ["tenant"],
    registry=REGISTRY,
)

# -- event subscriptions (engine/service/event_dispatcher.py) ------------------------------------
EVENT_ATTEMPTS = Counter(
    "convoflow_event_attempts",
    "Event deliveries to integrators' subscriptions, by outcome (delivered, retry, gave_up).",
    ["tenant", "outcome"],
    registry=REGISTRY,
)
EVENT_DELIVERY_SECONDS = Histogram(
    "convoflow_event_delivery_seconds",
    "From an event's occurrence to its successful delivery (first attempts and retries alike).",
    ["tenant"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 3600.0),
    registry=REGISTRY,
)
SUBSCRIPTIONS_FAILING = Counter(
    "convoflow_subscriptions_failing",
    "Subscriptions that turned failing (an event given up after its retry window): alert on any increase.",
    ["tenant"],
    registry=REGISTRY,
)

# -- mailboxes read over IMAP (engine/service/mailbox.py), by the worker ---------------------------
MAILBOX_CONNECTED = Gauge(
    "convoflow_mailbox_connected",
    "1 while the worker is logged in to the mailbox and reading it, 0 while it cannot (alert on 0: "
    "its mail waits in the mailbox; the worker's log says why).",
    ["tenant", "mailbox"],
    registry=REGISTRY,
)
MAILBOX_CHECKED = Gauge(
    "convoflow_mailbox_checked_timestamp_seconds",
    "When the worker last finished taking the mailbox's new mail (Unix time; at least every "
    "poll_seconds while connected): alert when it is older than a few poll_seconds.",
    ["tenant", "mailbox"],
    registry=REGISTRY,
)
MAILBOX_ERRORS = Counter(
    "convoflow_mailbox_errors",
    "Mailbox sessions that failed and will be tried again, by kind (no_tenant, settings, certificate, "
    "login_refused, refused, network, other).",
    ["tenant", "mailbox", "error"],
    registry=REGISTRY,
)

# -- retention sweeps (engine/service/retention_scheduler.py), by the worker ------------------------
RETENTION_DELETED = Counter(
    "convoflow_retention_deleted",
    "Closed conversations deleted by the tenant's retention sweeps (past its retention_days).",
    ["tenant"],
    registry=REGISTRY,
)
RETENTION_FAILURES = Counter(
    "convoflow_retention_failures",
    "Retention sweeps that failed (Temporal or the database did not answer): tried again later; "
    "alert on a steady increase, as nothing is deleted meanwhile.",
    ["tenant"],
    registry=REGISTRY,
)
