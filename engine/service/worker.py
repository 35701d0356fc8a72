"""The worker: which workflows and activities a convoflow worker process runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.assignment_desk import DeskActivities
from activities.channels import ChannelActivities
from activities.conversation_events import ConversationEventActivities
from activities.crm import CrmActivities, LocalCrm, RestCrm
from activities.delivery_ledger import DeliveryLedger
from activities.email_channel import EmailChannel, from_header
from activities.event_sender import EventSender
from activities.handled_records import HandledRecordActivities
from activities.kpi_facts import KpiFactActivities
from activities.outbox import Outbox
from activities.roster import RosterActivities
from activities.rule_decisions import PackRegistry, RuleActivities
from activities.webhook_gateway import WebhookGateway
from engine.api.conversation_calls import Conversations
from engine.contracts.outbound import OutboundMessage
from engine.db.event_deliveries import EventDeliveries
from engine.db.intent_models import IntentModelStore
from engine.db.kpi_facts import KpiFactStore
from engine.db.packs import PackStore
from engine.db.roster import RosterStore
from engine.db.shadow import ShadowStore
from engine.db.subscriptions import Subscriptions
from engine.db.webhook_secrets import WebhookSecrets
from engine.service.activity_metrics import MetricsInterceptor
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.desk_client import reread_running_desks
from engine.service.event_dispatcher import EventDispatcher
from engine.service.mail_intake import mail_intake, support_addresses
from engine.service.mailbox import MailboxConnector, run_mailboxes
from engine.service.mailbox_config import mailboxes_of
from engine.service.retention_scheduler import RetentionScheduler
from engine.service.sandbox_runner import DirectContextSandboxRunner
from engine.service.shadow_evaluator import ShadowEvaluator
from workflows.assignment_desk.workflow import AssignmentDesk
from workflows.conversation.workflow import ConversationWorkflow

WORKFLOWS = [ConversationWorkflow, AssignmentDesk]

log = logging.getLogger("convoflow.worker")


def build_channels(settings: Settings, database: AsyncEngine) -> ChannelActivities:
    """Channel adapters as configured; the outbox for whatever is not. Ledger and outbox live in the
    database; the outbox's JSONL mirror only under embedded defaults (README's `tail` walk-through)."""
    email = None
    if settings.smtp_host:
        email = EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_from,
            sender_name=settings.email_from_name,
            username=settings.smtp_username,
            password=settings.secret("smtp_password"),
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
            tenant_senders=tenant_senders(settings),
            own_addresses=[a for found in support_addresses(settings.mailboxes).values() for a in found],
        )
    gateway = (
        WebhookGateway(
            settings.gateway_url, settings.secret("gateway_secret"), WebhookSecrets(database).signing
        )
        if settings.gateway_url
        else None
    )
    if not settings.embedded and email is None and gateway is None:
        # Against a cluster the outbox is a table nobody reads: the messages count as delivered
        # (`convoflow_messages_out_total`, `delivery: delivered`) and no customer receives one.
        log.warning(
            "no channel is configured (CONVOFLOW_SMTP_HOST, CONVOFLOW_GATEWAY_URL): every outbound "
            "message goes only to the outbox table"
        )
    return ChannelActivities(
        Outbox(database, settings.outbox_path if settings.database_url is None else None),
        DeliveryLedger(database),
        email=email,
        gateway=gateway,
        webhook_secret=settings.secret("gateway_secret"),
        notify_url=settings.notify_url,
        allows_private=settings.allows_private_subscriptions,
    )


def build_crm(settings: Settings, database: AsyncEngine) -> LocalCrm | RestCrm | None:
    if settings.crm == "local":
        return LocalCrm(database)
    if settings.crm == "rest":
        if not settings.crm_url:
            raise ValueError("CONVOFLOW_CRM=rest needs CONVOFLOW_CRM_URL")
        return RestCrm(settings.crm_url, settings.crm_auth_header, settings.secret("crm_token"))
    return None


# Pure, side-effect-free modules the workflow sandbox may share with the worker instead of
# re-importing them for every workflow run (which costs CPU per run and memory per cached workflow).
# `workflows.conversation` too: its layers were already imported passed through (each module's
# `imports_passed_through` block), and re-running workflow.py per run cost ~12 ms (compiling it,
# then `@workflow.defn` inspecting every handler of the layered class) and ~100 KiB per cached
# conversation for nothing: its modules hold constants only, all state lives on the instance.
# What keeps the workflow deterministic is what it always was: it reads time, randomness and I/O
# only through `workflow.*` and activities (reviewed; recorded histories replay in CI).
PASSTHROUGH = (
    "pydantic",
    "pydantic_core",
    "babel",
    "engine.contracts",
    "engine.rules",
    "engine.calendar",
    "engine.calendar_document",
    "engine.assignment",
    "engine.shared_values",
    "workflows.conversation",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox every worker (and the replay checks) runs the workflows in."""
    return DirectContextSandboxRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


@dataclass(frozen=True)
class Adapters:
    """The activity implementations of one worker, built from settings; some hold HTTP sessions."""

    rules: RuleActivities
    crm: CrmActivities
    channels: ChannelActivities
    desk: DeskActivities
    roster: RosterActivities
    kpi: KpiFactActivities
    database: AsyncEngine
    shadow: ShadowEvaluator
    """Shadow mode: decides live decisions again with a tenant's candidate pack, in the background."""
    events: ConversationEventActivities
    records: HandledRecordActivities
    """The KPI facts' and the events' writers in one call (runs past issue 15's `records-in-one-call`)."""
    dispatcher: EventDispatcher
    """Delivers the queued subscription events, in the background while the worker runs."""
    sender: EventSender
    mailboxes: list[MailboxConnector]
    """The tenants' support mailboxes (CONVOFLOW_MAILBOXES), read in the background while the worker runs."""
    retention: RetentionScheduler | None
    """The tenants' retention sweeps, run in the background while the worker runs (needs a client)."""

    @classmethod
    def from_settings(cls, settings: Settings, client: Client | None = None) -> Adapters:
        database = database_of(settings)
        registry = PackRegistry(PackStore(database), IntentModelStore(database))
        shadow = ShadowEvaluator(registry, ShadowStore(database))
        queue = EventDeliveries(database)
        sender = EventSender(settings.subscription_timeout_seconds)
        dispatcher = EventDispatcher(queue, Subscriptions(database), sender, settings)
        kpi = KpiFactActivities(KpiFactStore(database))
        events = ConversationEventActivities(queue, dispatcher.nudge)
        return cls(
            RuleActivities(registry, shadow),
            CrmActivities(build_crm(settings, database)),
            build_channels(settings, database),
            DeskActivities(client, RosterStore(database)),
            RosterActivities(RosterStore(database), settings.presence_timeout_seconds),
            kpi,
            database,
            shadow,
            events,
            HandledRecordActivities(kpi, events, database),
            dispatcher,
            sender,
            build_mailboxes(settings, client, database),
            RetentionScheduler(client, database, settings) if client is not None else None,
        )

    def activities(self, replace: Sequence[Callable[..., Any]] = ()) -> list[Callable[..., Any]]:
        """The activities to register; `replace` swaps some by name (tests inject faults)."""
        chosen: list[Callable[..., Any]] = [
            self.channels.deliver_message,
            self.rules.load_rule_pack,
            self.rules.load_workflow_pack,
            self.rules.decide,
            self.rules.business_time,
            self.rules.active_rule_pack,
            self.crm.lookup_customer,
            self.crm.crm_write,
            self.desk.ask_desk,
            self.desk.tell_desk,
            self.roster.load_roster,
            self.roster.expire_presence,
            self.kpi.record_kpi_facts,
            self.events.record_events,
            self.records.record_handled,
        ]
        swaps = {activity_name(fn): fn for fn in replace}
        return [swaps.pop(activity_name(fn), fn) for fn in chosen] + list(swaps.values())

    def adapter_name(self, message: OutboundMessage) -> str:
        """The adapter `deliver_message` sends `message` through (the metrics label failures by it)."""
        chosen = self.channels.adapter_for(message)
        return chosen.name if chosen is not None else "outbox"

    async def close(self) -> None:
        await self.shadow.close()
        await self.crm.close()
        await self.channels.close()
        await self.sender.close()
        await self.database.dispose()


class ConvoflowWorker(Worker):
    """A Worker that runs the event dispatcher, the mailboxes and the retention sweeps beside it, and
    closes its adapters' HTTP sessions once it has shut down."""

    def __init__(self, client: Client, *args: Any, adapters: Adapters, **kwargs: Any) -> None:
        super().__init__(client, *args, **kwargs)
        self._adapters = adapters
        self._client = client
        self._dispatcher: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[Any]] = []
        self._stopping: asyncio.Task[None] | None = None

    async def run(self) -> None:
        self._dispatcher = asyncio.create_task(self._adapters.dispatcher.run(), name="event-dispatcher")
        mailboxes = asyncio.create_task(run_mailboxes(self._adapters.mailboxes), name="mailboxes")
        desks = asyncio.create_task(self._reread_desks(), name="desks-reread-roster")
        self._background = [mailboxes, desks]
        if self._adapters.retention is not None:
            self._background.append(
                asyncio.create_task(self._adapters.retention.run(), name="retention-sweeps")
            )
        try:
            await super().run()
        finally:
            await self._stop_background(drain=False)

    async def shutdown(self) -> None:
        """The mailboxes and sweeps stop first (a mailbox took mail for conversations no worker would
        handle, logging "ApiError; reconnecting" while the worker stopped: helper-122), the event
        sends under way finish beside the worker's own shutdown, then the adapters close."""
        await asyncio.gather(self._stop_background(drain=True), super().shutdown())
        await self._adapters.close()

    def _stop_background(self, *, drain: bool) -> asyncio.Task[None]:
        """The one stop of the background tasks, whoever asks first: `shutdown` (draining) or `run`
        ending by itself (a worker that failed: no draining)."""
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stopped(drain=drain), name="background-stop")
        return self._stopping

    async def _stopped(self, *, drain: bool) -> None:
        """Cancel the background tasks; `drain`: let the dispatcher's sends under way end first (a
        send's timeout bounds it), so a planned stop sends no event twice."""
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        dispatcher = self._dispatcher
        if dispatcher is None or dispatcher.done():
            return
        if drain:
            self._adapters.dispatcher.stop()
            bound = self._adapters.dispatcher.drain_seconds
            with contextlib.suppress(Exception):  # past the bound, or failed: cancelled below
                await asyncio.wait_for(asyncio.shield(dispatcher), bound)
        dispatcher.cancel()
        await asyncio.gather(dispatcher, return_exceptions=True)

    async def _reread_desks(self) -> None:
        """The running desks read the roster with this worker's heartbeat timeout (desk_client.py)."""
        try:
            told, failed = await reread_running_desks(self._client, self.task_queue)
        except (RPCError, RuntimeError) as exc:  # the worker serves on; the next roster write tells them
            log.warning("could not tell the assignment desks to read the roster (%s)", type(exc).__name__)
            return
        if told:
            log.info("told %d assignment desk(s) to read the roster again", told)
        if failed:
            log.warning("%d assignment desk(s) did not take the signal to read the roster", failed)


def tenant_senders(settings: Settings) -> dict[str, str]:
    """Each tenant with a support mailbox -> the From its mail goes out with (its first mailbox's
    address, with the mailbox's display name or the deployment's)."""
    senders: dict[str, str] = {}
    for config in mailboxes_of(settings.mailboxes):
        if config.support_address:
            name = config.display_name or settings.email_from_name
            senders.setdefault(config.tenant, from_header(config.support_address, name))
    return senders


def build_mailboxes(
    settings: Settings, client: Client | None, database: AsyncEngine
) -> list[MailboxConnector]:
    """One connector per configured mailbox (engine/service/mailbox.py), all sharing one intake."""
    configs = mailboxes_of(settings.mailboxes)
    if not configs or client is None:
        return []
    conversations = Conversations.of(client, settings, database)
    intake = mail_intake(conversations, database)
    return [MailboxConnector(config, intake, database) for config in configs]


def build_worker(
    client: Client,
    settings: Settings,
    *,
    replace: Sequence[Callable[..., Any]] = (),
    task_queue: str | None = None,
) -> Worker:
    """A worker on the configured task queue. Tests pass their own queue and, rarely, activities
    that replace ours under the same name (a delivery or a decision that fails on purpose).

    The activity thread pool serves the sync activities (the local CRM's SQLite, the delivery
    ledger), so it is sized from the configured activity concurrency; the async rule activities
    run their CPU part with asyncio.to_thread (the loop's default executor).
    """
    adapters = Adapters.from_settings(settings, client)
    return ConvoflowWorker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=adapters.activities(replace),
        activity_executor=ThreadPoolExecutor(max_workers=settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        workflow_runner=workflow_runner(),
        # We configure no external payload storage, yet the SDK walks every activation and completion
        # once more for it, and above 1 that walk makes an asyncio task per payload field (issue 15:
        # 3-5% of the worker's CPU per conversation, docs/performance.md "Session 16"); 1 walks in
        # place. With external storage configured, raise it: 1 fetches a task's payloads one by one.
        # (Experimental in temporalio 1.35: a version without it fails here at start, in every test.)
        max_workflow_task_external_storage_concurrency=1,
        interceptors=[MetricsInterceptor(adapters.adapter_name)],
        adapters=adapters,
    )


def activity_name(fn: Callable[..., Any]) -> str:
    """The name an activity is registered (and recorded in history) under."""
    # The SDK keeps the name on its (private) definition; the worker reads it there too.
    return activity._Definition.must_from_callable(fn).name or fn.__name__
