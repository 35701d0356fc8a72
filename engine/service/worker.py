"""The worker: which workflows and activities a convoflow worker process runs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

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


def build_activities(settings: Settings, deliver: Callable | None = None) -> list:
    """The worker's activities; `deliver` replaces the channel delivery (tests inject faults with it)."""
    rules = RuleActivities(PackRegistry(pack_store(settings)))
    crm = CrmActivities(build_crm(settings))
    deliver = deliver or build_channels(settings).deliver_message
    return [
        deliver,
        rules.load_rule_pack,
        rules.decide,
        rules.business_time,
        crm.lookup_customer,
        crm.crm_write,
    ]


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
