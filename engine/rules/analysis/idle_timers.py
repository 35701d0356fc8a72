"""A pending conversation's two timers as the workflow runs them: the reminder must come first.

Both count from the same instant (the change to pending, or the agent's latest reply while pending):
a reminder due after the auto-close never goes out, the conversation closing first, and the
pack said nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.rules.analysis.findings import REMINDER_AFTER_CLOSE, Finding
from engine.rules.pack import RulePack


def idle_timer_findings(pack: RulePack) -> Iterator[Finding]:
    settings = pack.settings
    reminder, close = settings.idle_reminder_minutes, settings.auto_close_idle_minutes
    if reminder and close and reminder > close:  # at the same instant the reminder goes first
        yield Finding(
            severity="warning",
            code=REMINDER_AFTER_CLOSE,
            path="settings.idle_reminder_minutes",
            message=f"the idle reminder is due {reminder:g} minutes after a conversation goes pending, "
            f"its auto-close after {close:g}: it closes first and the reminder never goes out (make "
            "idle_reminder_minutes the smaller)",
        )
