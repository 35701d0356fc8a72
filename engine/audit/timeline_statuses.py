"""What a conversation's status was, and when, read from its decision trail (for the timeline:
its status lane, and where its SLA clocks paused)."""

from __future__ import annotations

from datetime import datetime

from engine.contracts.conversation import DecisionEntry

TIMER_STATUSES = {"closed: ": "closed", "reopened: ": "open"}
"""The notes of a `timer` entry whose timer moved the status by itself (workflows/conversation/timers.py
STATUS_TIMERS), and the status each moves it to."""


def status_changes(trail: list[DecisionEntry], notes: list[str]) -> list[tuple[datetime, str]]:
    """Each change of status with its instant, oldest first.

    The trail's `status.changed` entries name the change in their note (`pending -> open`). Trails
    recorded before that read it from what caused the change: a rule's `set_status`/`close`/`snooze`,
    a timer's note, a customer message (which reopens); a change an API call made is then unknown,
    and said so in `notes`.
    """
    changes: list[tuple[datetime, str]] = []
    caused: list[str] = []  # statuses decided by an action or a timer, waiting for their event
    unknown = 0
    thread = trail[0].thread if trail else 1
    for entry in trail:
        if entry.thread > thread:  # the customer wrote after a close: a new thread begins open
            thread = entry.thread
            changes.append((entry.at, "open"))
            caused.clear()
        if entry.event == "status.changed":
            new = _noted_status(entry.note)
            if new is not None:
                if caused and caused[0] == new:
                    caused.pop(0)
            elif entry.depth > 0 and caused:
                new = caused.pop(0)
            elif entry.message_id:
                new = "open"  # a customer message woke a pending conversation or reopened a solved one
            elif caused:
                new = caused.pop(0)
            if new is None:
                unknown += 1
            else:
                changes.append((entry.at, new))
            continue
        if entry.event == "timer" and entry.note:
            caused += [status for prefix, status in TIMER_STATUSES.items() if entry.note.startswith(prefix)]
        for done in entry.executed:
            kind = done.action.get("type")
            if done.outcome != "done" or kind not in ("set_status", "close", "snooze"):
                continue
            value = done.action.get("value")
            caused.append("closed" if kind == "close" else "on_hold" if kind == "snooze" else str(value))
    if unknown:
        notes.append(
            f"{unknown} status change(s) recorded before the trail named the new status: "
            "their pauses are not drawn"
        )
    return changes


def _noted_status(note: str | None) -> str | None:
    if note is None or " -> " not in note:
        return None
    return note.rsplit(" -> ", 1)[1].strip() or None


def status_at(changes: list[tuple[datetime, str]], at: datetime, initial: str = "open") -> str:
    """The status at `at`, from `status_changes`'s list."""
    status = initial
    for when, new in changes:
        if when > at:
            break
        status = new
    return status
