"""The worker: which workflows and activities a convoflow worker process runs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.channels import ChannelActivities
from activities.crm import CrmActivities, LocalCrm, RestCrm
from activities.delivery_ledger import DeliveryLedger
from activities.email_channel import EmailChannel
from activities.outbox import Outbox
from activities.rule_decisions import PackRegistry, RuleActivities
from activities.webhook_gateway import WebhookGateway
from engine.service.config import Settings
from engine.service.pack_store import pack_store
from workflows.conversation.workflow import ConversationWorkflow

WORKFLOWS = [ConversationWorkflow]


def build_channels(settings: Settings) -> ChannelActivities:
    """Channel adapters as configured; the outbox for whatever is not."""
    email = None
    if settings.smtp_host:
        email = EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_from,
            username=settings.smtp_username,
            password=settings.secret("smtp_password"),
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
        )
    gateway = (
        WebhookGateway(settings.gateway_url, settings.secret("gateway_secret"))
        if settings.gateway_url
        else None
    )
    return ChannelActivities(
        Outbox(settings.outbox_path),
        DeliveryLedger(settings.data_dir / "deliveries.sqlite"),
        email=email,
        gateway=gateway,
        webhook_secret=settings.secret("gateway_secret"),
        notify_url=settings.notify_url,
    )


def build_crm(settings: Settings) -> LocalCrm | RestCrm | None:
    if settings.crm == "local":
        return LocalCrm(settings.data_dir / "crm.sqlite")
    if settings.crm == "rest":
        if not settings.crm_url:
            raise ValueError("CONVOFLOW_CRM=rest needs CONVOFLOW_CRM_URL")
        return RestCrm(settings.crm_url, settings.crm_auth_header, settings.secret("crm_token"))
    return None


# Pure, side-effect-free modules the workflow sandbox may share with the worker instead of
# re-importing them for every workflow run (which costs CPU per run and memory per cached workflow).
# The workflow code itself (workflows.conversation.*) stays sandboxed: its per-run isolation is the point.
PASSTHROUGH = ("pydantic", "pydantic_core", "engine.contracts", "engine.rules", "engine.calendar")


def build_activities(
    settings: Settings, deliver: Callable[..., Any] | None = None, *, adapters: list[Any] | None = None
) -> list[Callable[..., Any]]:
    """The worker's activities; `deliver` replaces the channel delivery (tests inject faults with it).

    Adapters that hold resources (HTTP sessions) are appended to `adapters`, to be closed at shutdown.
    """
    rules = RuleActivities(PackRegistry(pack_store(settings)))
    crm = CrmActivities(build_crm(settings))
    channels = build_channels(settings)
    if adapters is not None:
        adapters += [crm, channels]
    return [
        deliver or channels.deliver_message,
        rules.load_rule_pack,
        rules.decide,
        rules.business_time,
        crm.lookup_customer,
        crm.crm_write,
    ]


class ConvoflowWorker(Worker):
    """A Worker that closes its adapters' HTTP sessions once it has shut down."""

    def __init__(self, *args: Any, adapters: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._adapters = adapters

    async def shutdown(self) -> None:
        await super().shutdown()
        for adapter in self._adapters:
            await adapter.close()


def build_worker(
    client: Client,
    settings: Settings,
    *,
    deliver: Callable[..., Any] | None = None,
    task_queue: str | None = None,
) -> Worker:
    """A worker on the configured task queue. Tests pass their own queue and, rarely, a delivery.

    The activity thread pool serves the sync activities (rule decisions, business time, the local
    CRM's SQLite), so it is sized from the configured activity concurrency.
    """
    adapters: list[Any] = []
    activities = build_activities(settings, deliver, adapters=adapters)
    return ConvoflowWorker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        activity_executor=ThreadPoolExecutor(max_workers=settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
        adapters=adapters,
    )
