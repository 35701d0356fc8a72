"""The status machine: open, pending, on_hold, solved, closed, and what each change starts or stops.

A change pauses or resumes the SLA clocks (the policy's `pause_on`), meets them on solve and close,
arms the idle reminder and auto-close (pending), the reopen window (solved) or clears the snooze, and
raises `status.changed` for the rules.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import Status
    from engine.rules.actions import STATUS_CHANGED
    from engine.rules.pack import PackSettings
    from workflows.conversation.assigning import Assigning, Raised

__all__ = ["Raised", "StatusMachine"]


class StatusMachine(Assigning):
    """Status changes and what they start or stop; the change itself is decided on as an event."""

    def _arm_idle(self, settings: PackSettings) -> None:
        """The idle reminder and the auto-close of a pending conversation, counted from now."""
        timers, now = self._state.timers, workflow.now()
        if settings.idle_reminder_minutes:
            timers.idle_at = now + timedelta(minutes=settings.idle_reminder_minutes)
        if settings.auto_close_idle_minutes:
            timers.auto_close_at = now + timedelta(minutes=settings.auto_close_idle_minutes)

    async def _set_status(self, new: str, raised: Raised, actor: str | None = None) -> None:
        """`actor`: who set it through the API, when the caller named them (the auditor reads it)."""
        s = self._state
        previous = s.status.value
        if new == previous:
            return
        s.status = Status(new)
        now = workflow.now()
        settings = self._pack.settings if self._pack else None
        policy = self._policy()
        pause_on = policy.pause_on if policy else []
        if new in pause_on and previous not in pause_on:
            await self._pause_sla(hold_escalations=True)
        elif previous in pause_on and new not in pause_on and new not in ("solved", "closed"):
            await self._resume_sla()
        if new in ("solved", "closed"):
            self._meet_sla("first_response", "next_response", "resolution")
        if new == "closed" and self._threads():
            # The workflow lives on, waiting for a next thread: a survey still goes out and can be
            # answered; escalations of a closed conversation are moot.
            s.closed_at, s.closed_run_id = now, workflow.info().run_id
            s.sla.escalations = []
        elif new == "closed" and s.survey.status in ("scheduled", "sent"):
            # Before threads, a closed conversation's workflow ended: a waiting survey could not be answered.
            s.survey.status = "skipped" if s.survey.status == "scheduled" else "expired"
        s.timers.idle_at = s.timers.auto_close_at = None
        if new == "pending" and settings is not None:
            self._arm_idle(settings)
        s.timers.reopen_window_ends_at = None
        if new == "solved" and settings is not None and settings.reopen_window_minutes is not None:
            s.timers.reopen_window_ends_at = now + timedelta(minutes=settings.reopen_window_minutes)
        if new != "on_hold":
            s.timers.snooze_ends_at = None
        await self._unanswered_follows_status(previous, new)
        await self._tell_desk_status(new)
        # The note names the new status in the trail (the auditor's timeline draws the SLA pauses from
        # it); it changes no command, so histories replay as before. The actor goes before the change,
        # which the timeline reads after its last " -> ".
        note = f"{previous} -> {new}" if actor is None else f"set by {actor}: {previous} -> {new}"
        changed: dict[str, Any] = {"event": {"previous_status": previous}, "note": note}
        if actor is not None:
            changed["actor"] = actor  # subscribers read who closed it (events.py), the rules do not
        raised.append((STATUS_CHANGED, changed))
