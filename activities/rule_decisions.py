"""Local activities that give the workflow its rule pack, its decisions and its business-time math.

Their results are recorded in the workflow's history, which is the point: replay reads the recorded
pack, decision and deadlines instead of recomputing them, so publishing a new pack, a changed
calendar or a newer tz database never changes or breaks a running conversation's replay, and an
auditor sees in history exactly what was decided and why.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from engine.calendar import BusinessCalendar, shared_calendar
from engine.contracts.activities import (
    ACTIVE_RULE_PACK,
    BUSINESS_TIME,
    DECIDE,
    LOAD_RULE_PACK,
    LOAD_WORKFLOW_PACK,
    RuleDecisions,
)
from engine.contracts.conversation import external_id_of
from engine.contracts.decisions import (
    LANGUAGE_CONFIDENCE,
    DecideRequest,
    DecideResult,
    TimeRequest,
    seen_context,
)
from engine.rules.decision import CompiledPack, bounded_record
from engine.rules.pack import RulePack
from engine.rules.triage import IntentModel, Triager, context_fields, trained_model

MINUTE = timedelta(minutes=1)
UNDECIDABLE = "UndecidableContext"
CONVERSATION_PREFIX = "conversation:"
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class LiveDecision:
    """A live decision as `decide` took it, handed to an observer (shadow mode) once it is taken."""

    tenant: str
    conversation_id: str
    run_id: str
    decision_id: str
    """The `decide` local activity's id in the run: the same on a retried workflow task."""
    request: DecideRequest
    filled: dict[str, dict[str, Any]]
    """What the live pack's calendar filled in (business hours, business minutes, SLA remaining)."""
    decision: dict[str, Any]


class DecisionObserver(Protocol):
    """Told of every live decision after it is taken; must return at once and never raise into it."""

    def wants(self, tenant: str) -> bool:
        """False when the observer knows it has nothing to do for `tenant` (no copy is made then)."""
        ...

    def decided(self, live: LiveDecision) -> None: ...


class LoadedPack:
    def __init__(self, pack: RulePack, intent_model: IntentModel | None = None) -> None:
        self.pack = pack
        # What `load_rule_pack` and `load_workflow_pack` answer every run of the hash: dumped once
        # here, since the dump was ~4% of the worker's CPU in `bench lifecycle`. Only ever
        # serialized, never changed.
        self.canonical = pack.canonical()
        self.workflow_part = pack.workflow_part()
        self.compiled = CompiledPack(pack)
        # Trained here when not given (tests, bench): the worker passes the stored model.
        self.triager = Triager(pack, intent_model if intent_model is not None else trained_model(pack))
        # Loading a language's models takes ~1 s (more on a busy host): here, with the compile, once
        # per process, rather than inside the first decision that classifies.
        self.triager.warm()
        # Shared with every other pack (hash) of this process that has the same calendar, so a newly
        # published pack does not build its timelines again: that is most of a cold deadline's cost.
        self.calendars = {name: shared_calendar(doc) for name, doc in pack.calendars.items()}


class PublishedPacks(Protocol):
    """Where published packs are read from (engine/db/packs.py: the control-plane database)."""

    async def get(self, digest: str) -> RulePack: ...

    async def active_hash(self, tenant: str) -> str | None: ...


class IntentModels(Protocol):
    """Where trained intent models are kept by pack hash (engine/db/intent_models.py)."""

    async def get(self, digest: str) -> IntentModel | None: ...

    async def put(self, digest: str, model: IntentModel) -> IntentModel: ...


class PackRegistry:
    """Published packs by hash, fetched from the database and compiled once per worker process.

    Cached forever: a hash never changes meaning. Concurrent first uses of a hash share one fetch
    and compile; a failed fetch (database down) is not cached, so the activity's retry tries again.
    A pack with intents comes with its stored model; one stored before models were (or by a path
    that did not train) is trained here and stored, and the stored row is what every host uses.
    """

    def __init__(self, store: PublishedPacks, models: IntentModels | None = None) -> None:
        self._store = store
        self._models = models
        self._loaded: dict[str, LoadedPack] = {}
        self._loading: dict[str, asyncio.Future[LoadedPack]] = {}

    async def active_hash(self, tenant: str) -> str | None:
        return await self._store.active_hash(tenant)

    async def get(self, digest: str) -> LoadedPack:
        loaded = self._loaded.get(digest)
        if loaded is not None:
            return loaded
        loading = self._loading.get(digest)
        if loading is None:
            loading = self._loading[digest] = asyncio.ensure_future(self._load(digest))
            loading.add_done_callback(lambda _: self._loading.pop(digest, None))
        # Shielded: one cancelled activity must not cancel the load others wait on.
        return await asyncio.shield(loading)

    async def _load(self, digest: str) -> LoadedPack:
        pack = await self._store.get(digest)
        model = None
        if pack.intents and self._models is not None:
            model = await self._models.get(digest)
            if model is None:
                trained = await asyncio.to_thread(trained_model, pack)
                model = await self._models.put(digest, trained) if trained is not None else None
        loaded = await asyncio.to_thread(LoadedPack, pack, model)  # compiling is CPU: off the event loop
        self._loaded[digest] = loaded
        return loaded


def fill(loaded: LoadedPack, request: DecideRequest) -> dict[str, dict[str, Any]]:
    """The context's business-time parts, by section: what the workflow cannot compute itself.

    On `loaded`'s own calendars (a shadow pack fills with its own): `business_hours` on the one the
    request names, the SLA clocks' minutes on their policy's.
    """
    event_time = datetime.fromisoformat(request.context["event"]["time"])
    calendar = loaded.calendars.get(request.calendar) if request.calendar else None
    clocks_calendar = _sla_calendar(loaded, request) or calendar
    conversation: dict[str, Any] = {}
    filled: dict[str, dict[str, Any]] = {"conversation": conversation}
    if calendar is not None and clocks_calendar is not None:  # the second holds when the first does (mypy)
        filled["business_hours"] = {
            "open": calendar.is_open(event_time),
            "next_open": calendar.next_open(event_time).isoformat(),
        }
        known = request.context.get("conversation") or {}
        for field, since, counted_on in (
            ("business_minutes_open", "created_at", clocks_calendar),  # as its docs say
            ("business_minutes_since_customer_message", "last_customer_message_at", calendar),
        ):
            if known.get(since):
                start = datetime.fromisoformat(known[since])
                conversation[field] = counted_on.elapsed(start, event_time) / MINUTE
    sla: dict[str, Any] = {}
    for clock in request.sla:
        remaining: float | None
        if clock.breached:  # its clock stopped at the breach: nothing is left, not the whole target
            remaining = 0.0
        elif clock.deadline is not None and clocks_calendar is not None:
            remaining = clocks_calendar.elapsed(event_time, clock.deadline) / MINUTE
        else:
            remaining = clock.remaining_minutes
        sla[f"{clock.name}_remaining_minutes"] = remaining
        sla[f"{clock.name}_breached"] = clock.breached
    if request.sla:
        sla["breached"] = any(c.breached for c in request.sla)
    filled["sla"] = sla
    return filled


def _sla_calendar(loaded: LoadedPack, request: DecideRequest) -> BusinessCalendar | None:
    """The calendar the applied SLA policy counts on: its clocks' minutes left are business minutes
    of that calendar, whatever calendar `business_hours` reads (the team's, when it has one: a Berlin
    policy's 60 minutes read 0 on a New York team's calendar before New York opened)."""
    name = (request.context.get("sla") or {}).get("policy")
    policy = loaded.pack.sla_policies.get(name) if isinstance(name, str) else None
    return loaded.calendars.get(policy.calendar) if policy is not None else None


def triaged(loaded: LoadedPack, request: DecideRequest) -> dict[str, Any] | None:
    """The triage record of the request's customer message, when the workflow asks for one.

    In the activity, within the decision it feeds: history keeps the record with the decision, and
    replay reads it instead of classifying again.
    """
    if not request.triage:
        return None
    text = (request.context.get("message") or {}).get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    return loaded.triager.classify(text)


class RuleActivities(RuleDecisions):
    """The rule activities are async: fetching a pack is database I/O on the worker's event loop,
    and the CPU parts (compiling, deciding, calendar math) run in a thread so they never stall it.
    Their results are what they were when these were sync, so recorded histories still replay.
    """

    def __init__(self, registry: PackRegistry, observer: DecisionObserver | None = None) -> None:
        self._registry = registry
        self._observer = observer

    @activity.defn(name=LOAD_RULE_PACK)
    async def load_rule_pack(self, pack_hash: str) -> dict[str, Any]:
        return (await self._registry.get(pack_hash)).canonical

    @activity.defn(name=LOAD_WORKFLOW_PACK)
    async def load_workflow_pack(self, pack_hash: str) -> dict[str, Any]:
        return (await self._registry.get(pack_hash)).workflow_part

    @activity.defn(name=ACTIVE_RULE_PACK)
    async def active_rule_pack(self, tenant: str) -> str | None:
        return await self._registry.active_hash(tenant)

    @activity.defn(name=DECIDE)
    async def decide(self, request: DecideRequest) -> DecideResult:
        """Reading the pack may fail for a moment (retried); an event the rules cannot take is final.

        The failure names only the error's type: its text may quote the customer's words, and the
        worker logs every failed attempt.
        """
        loaded = await self._registry.get(request.pack_hash)
        try:
            result, filled = await asyncio.to_thread(self._decide, loaded, request)
        except Exception as exc:
            raise ApplicationError(
                f"the rules cannot take this event's context ({type(exc).__name__})",
                type=UNDECIDABLE,
                non_retryable=True,
            ) from None
        if self._observer is not None:
            self._tell(self._observer, request, filled, result)
        return result

    @staticmethod
    def _tell(
        observer: DecisionObserver,
        request: DecideRequest,
        filled: dict[str, dict[str, Any]],
        result: DecideResult,
    ) -> None:
        """Hand the decision to the observer; whatever goes wrong there is logged, never raised."""
        try:
            info = activity.info()
            if not info.workflow_id or not info.workflow_id.startswith(CONVERSATION_PREFIX):
                return
            tenant = info.workflow_id.split(":", 2)[1]
            if not observer.wants(tenant):
                return
            observer.decided(
                LiveDecision(
                    tenant=tenant,
                    conversation_id=external_id_of(info.workflow_id),
                    run_id=info.workflow_run_id or "",
                    decision_id=info.activity_id,
                    request=request,
                    filled=filled,
                    decision=result.decision,
                )
            )
        except Exception as exc:  # the live decision is taken: nothing here may fail it
            log.warning("decision observer failed (%s); the live decision stands", type(exc).__name__)

    def _decide(
        self, loaded: LoadedPack, request: DecideRequest
    ) -> tuple[DecideResult, dict[str, dict[str, Any]]]:
        filled = fill(loaded, request)
        triage = triaged(loaded, request)
        if triage is not None:
            filled["message"] = context_fields(triage)
            detected = triage.get("language")
            known = (request.context.get("conversation") or {}).get("language")
            if (
                detected
                and known is None
                and (triage.get("language_confidence") or 0.0) >= LANGUAGE_CONFIDENCE
            ):
                # The workflow takes a sure detection as the conversation's language once this decision
                # is taken; the rules of this one (`conversation.created`: a routing by language)
                # read null without it, and a pack's test (which sets it) passed.
                filled["conversation"]["language"] = detected
        context = seen_context(request.context, filled)
        decision = bounded_record(loaded.compiled.decide(context).model_dump(mode="json"))
        if request.filled_only:
            return DecideResult(decision=decision, filled=filled, triage=triage), filled
        return DecideResult(decision=decision, context=context.to_data(), triage=triage), filled

    @activity.defn(name=BUSINESS_TIME)
    async def business_time(self, request: TimeRequest) -> list[str | float]:
        """Deadlines (ISO instants) and elapsed business minutes on one of the pack's calendars.

        Without a calendar, business time is wall-clock time.
        """
        loaded = await self._registry.get(request.pack_hash)
        return await asyncio.to_thread(self._business_time, loaded, request)

    @staticmethod
    def _business_time(loaded: LoadedPack, request: TimeRequest) -> list[str | float]:
        calendar = loaded.calendars.get(request.calendar) if request.calendar else None
        answers: list[str | float] = []
        for q in request.queries:
            if q.op == "deadline":
                span = timedelta(minutes=q.minutes or 0)
                due = calendar.deadline(q.start, span) if calendar else q.start + span
                answers.append(due.isoformat())
            else:
                end = q.end or q.start
                spent = calendar.elapsed(q.start, end) if calendar else max(end - q.start, timedelta(0))
                answers.append(spent / MINUTE)
        return answers
