"""What one handled event leaves for the outside world, in one local activity: its KPI facts and its
subscription events.

They were two local activities (`record_kpi_facts`, `record_conversation_events`) run one after the
other at every flush: two commands, two markers in history and two round trips through the worker's
activity machinery for every handled event, where one does (issue 15). Each keeps its own fate, as
when they were two: the events go first and their failure fails the activity (retried whole, both
writes ignore what they have; the workflow keeps the events to send again), while a failure of the
facts is answered, not raised, so the events are not held back by it (`convoflow kpi rebuild`
restores facts).
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
    """How many deliveries were queued and facts were new; `facts_error` is the failure's type when
    the facts could not be written (the events were: the activity fails only when they were not)."""

    model_config = ConfigDict(frozen=True)

    facts: int
    deliveries: int
    facts_error: str | None = None
