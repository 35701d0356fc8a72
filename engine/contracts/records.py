"""What one handled event leaves for the outside world, in one local activity: its KPI facts and its
subscription events.

They were two local activities (`record_kpi_facts`, `record_conversation_events`) run one after the
other at every flush: two commands, two markers in history and two round trips through the worker's
activity machinery for every handled event, where one does (issue 15). Both writes are idempotent
(a fact is stored once per identity, an event queued once per subscription and id), so the activity
is retried whole.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.contracts.events import ConversationEvent
from engine.contracts.kpi import KpiFact


class HandledRecords(BaseModel):
    """The facts and events of one flush: the facts of the entries handled since the last one, the
    events still unsent from before, then theirs, in trail order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    facts: list[KpiFact] = []
    events: list[ConversationEvent] = []


class RecordedCounts(BaseModel):
    """How many facts were new, and how many subscription deliveries were queued."""

    model_config = ConfigDict(frozen=True)

    facts: int
    deliveries: int
