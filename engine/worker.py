"""The worker: which workflows and activities a convoflow worker process runs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.outbox import ChannelActivities, Outbox
from activities.rule_decisions import build_rule_activities
from engine.config import Settings
from workflows.conversation import ConversationWorkflow

WORKFLOWS = [ConversationWorkflow]


def build_activities(settings: Settings, deliver: Callable | None = None) -> list:
    """The worker's activities; `deliver` replaces the channel delivery (tests inject faults with it)."""
    rules = build_rule_activities(settings.data_dir)
    deliver = deliver or ChannelActivities(Outbox(settings.outbox_path)).deliver_message
    return [deliver, rules.load_rule_pack, rules.decide, rules.business_time]


def build_worker(
    client: Client,
    settings: Settings,
    *,
    deliver: Callable | None = None,
    task_queue: str | None = None,
) -> Worker:
    """A worker on the configured task queue. Tests pass their own queue and, rarely, a delivery."""
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(settings, deliver),
        # Adapters do blocking file and network I/O in plain functions; threads keep them off the
        # event loop that also polls workflow tasks.
        activity_executor=ThreadPoolExecutor(max_workers=16),
    )
