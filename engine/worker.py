"""The worker: which workflows and activities a convoflow worker process runs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.outbox import ChannelActivities, Outbox
from engine.config import Settings
from workflows.conversation import ConversationWorkflow

WORKFLOWS = [ConversationWorkflow]


def build_activities(settings: Settings) -> list:
    channels = ChannelActivities(Outbox(settings.outbox_path))
    return [channels.deliver_message]


def build_worker(
    client: Client,
    settings: Settings,
    *,
    activities: list | None = None,
    task_queue: str | None = None,
) -> Worker:
    """A worker on the configured task queue. Tests pass their own queue and, rarely, activities."""
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities if activities is not None else build_activities(settings),
        # Adapters do blocking file and network I/O in plain functions; threads keep them off the
        # event loop that also polls workflow tasks.
        activity_executor=ThreadPoolExecutor(max_workers=16),
    )
