"""The timeline page: read a conversation from Temporal and its pack from the database, render HTML.

The API (`GET /v1/conversations/{id}/timeline`) and the CLI (`convoflow audit timeline`) both come
here. The page is one self-contained HTML document (inline CSS and SVG, no script, nothing fetched),
so it opens offline and can be kept with an audit file. engine/audit/timeline.py lays it out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

import jinja2
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.audit.timeline import Timeline, build_timeline
from engine.contracts.conversation import ConversationState, conversation_workflow_id
from engine.db.packs import AlteredPack, PackStore, UnknownPack
from engine.rules.pack import SlaPolicy
from workflows.conversation.workflow import ConversationWorkflow

TEMPLATE = "timeline.html.j2"
# The template ships inside the package (pyproject package-data), so an installed wheel renders it.
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("engine.audit", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
)


def _utc(at: datetime) -> str:
    """An instant as the page shows it: in UTC, as its headings say, with its date (a clock can run
    for days, and a calendar's deadline carries that calendar's offset)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _utc_ms(at: datetime) -> str:
    """A trail entry's instant in UTC to the millisecond: an entry after a breach kept its calendar's
    offset (`+02:00`) and was shown as that wall clock under the page's "Time (UTC)"."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _utc_clock(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]


_ENVIRONMENT.filters["utc"] = _utc
_ENVIRONMENT.filters["utc_ms"] = _utc_ms
_ENVIRONMENT.filters["utc_clock"] = _utc_clock
# What a policy pauses on when the pack cannot be read (the policy model's default).
DEFAULT_PAUSE_ON = SlaPolicy.model_fields["pause_on"].get_default(call_default_factory=True)
# The workflow keeps its latest decisions (core.py MAX_RECORDED_DECISIONS); older ones are in history.
_TRAIL_NOTE = (
    "the conversation's first {missing} event(s) are no longer in the trail the workflow keeps: "
    "`convoflow audit export` has every run's history"
)


async def read_state(client: Client, tenant: str, external_id: str) -> ConversationState:
    """The conversation's state (trail included) by a Temporal query; RPCError if it does not exist."""
    handle = client.get_workflow_handle_for(
        ConversationWorkflow.run, conversation_workflow_id(tenant, external_id)
    )
    return await handle.query(ConversationWorkflow.state)


async def timeline_of(state: ConversationState, database: AsyncEngine, *, now: datetime) -> Timeline:
    """The laid-out timeline of `state`, with its SLA policy's pause statuses read from its pack."""
    notes: list[str] = []
    pause_on = list(DEFAULT_PAUSE_ON)
    if state.pack_hash and state.sla.policy:
        try:
            pack = await PackStore(database).get(state.pack_hash)
            policy = pack.sla_policies.get(state.sla.policy)
            if policy is not None:
                pause_on = list(policy.pause_on)
            else:
                notes.append(f"the pack has no SLA policy {state.sla.policy!r}: pauses drawn as by default")
        except (UnknownPack, AlteredPack) as exc:
            notes.append(f"{exc}: pauses drawn with the default pause statuses")
    timeline = build_timeline(state, state.decisions, pause_on=pause_on, now=now)
    if state.decisions and state.decisions[0].seq > 1:
        notes.append(_TRAIL_NOTE.format(missing=state.decisions[0].seq - 1))
    return dataclasses.replace(timeline, notes=[*timeline.notes, *notes])


def render(timeline: Timeline, links: Sequence[tuple[str, str]] = ()) -> str:
    """The page as HTML (every value escaped: rule ids, notes and details are data, not markup);
    `links` (label, path) head it where a site shows it (the console), plain links only."""
    return _ENVIRONMENT.get_template(TEMPLATE).render(t=timeline, links=links)


async def timeline_page(
    state: ConversationState,
    database: AsyncEngine,
    *,
    now: datetime | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    return render(await timeline_of(state, database, now=now or datetime.now(UTC)), links)
