"""The conversation's side of the action port: what each rule action does to this conversation.

The action classes (engine/rules/actions) say what an action means; `ActionRun` is the port they
execute through, bound to one action of one decision: its idempotency key (`{event seq}:{index}`),
the context the rules saw, and the list collecting the events the action raises.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import ExecutedAction, Status
    from engine.contracts.decisions import TimeQuery
    from engine.contracts.sla_state import PendingEscalation
    from engine.rules.actions import DONE, ActionResult, from_record
    from workflows.conversation.delivery import SentLater
    from workflows.conversation.patches import CRM_TEXT_FILLED_PATCH, ESCALATION_OWN_BREACH_PATCH
    from workflows.conversation.patches_late import SURVEY_ONCE_PATCH
    from workflows.conversation.status import Raised, StatusMachine


class ActionExecutor(StatusMachine):
    """Runs decided actions (and escalation levels) through `ActionRun`, recording each outcome."""

    async def _execute(
        self, seq: int, index: str, record: dict[str, Any], context: dict[str, Any], raised: Raised
    ) -> list[ExecutedAction]:
        """Run one decided action (as its decision record describes it); escalations add their own."""
        run = ActionRun(self, seq, index, context, raised)
        result = await from_record(record).execute(run)
        done = ExecutedAction(index=index, action=record, outcome=result.outcome, detail=result.detail)
        return [done, *run.nested]

    async def _escalate(
        self,
        seq: int,
        index: str,
        level: int,
        context: dict[str, Any],
        raised: Raised,
        target_name: str | None = None,
    ) -> list[ExecutedAction]:
        """Run the policy's escalation level and schedule the next one after the breach: the one of
        `target_name`, else of the breach being decided on (`event.sla_target`)."""
        s = self._state
        policy = self._policy()
        s.escalation_level = max(s.escalation_level, level)
        if policy is None:
            return []
        done: list[ExecutedAction] = []
        levels = {e.level: e for e in policy.escalations}
        if level in levels:
            for j, nested in enumerate(levels[level].then):
                done += await self._execute(seq, f"{index}.{j}", nested.describe(), context, raised)
        breached = [t for t in s.sla.targets.values() if t.breached_at is not None and t.met_at is None]
        later = sorted(lvl for lvl in levels if lvl > level)
        if breached and later:
            nxt = levels[later[0]]
            target = breached[0]
            own = len(breached) > 1 and self._patched(ESCALATION_OWN_BREACH_PATCH)
            if own:
                named = target_name or (context.get("event") or {}).get("sla_target")
                target = next((t for t in breached if t.name == named), target)
            assert target.breached_at is not None
            (due,) = await self._deadlines(
                [TimeQuery(op="deadline", start=target.breached_at, minutes=nxt.after_breach_minutes)]
            )
            s.sla.escalations = [
                e for e in s.sla.escalations if e.level != nxt.level or (own and e.target != target.name)
            ]
            s.sla.escalations.append(PendingEscalation(level=nxt.level, target=target.name, due_at=due))
        return done

    async def _auto_reply(self, key: str, template: str, auto: bool, context: dict[str, Any]) -> ActionResult:
        s = self._state
        now = workflow.now()
        if auto:
            if s.customer_is_automated or context.get("message", {}).get("auto_submitted"):
                return ActionResult("skipped", "automated sender: no auto-reply (RFC 3834)")
            window = timedelta(minutes=self.pack.settings.acknowledgement_window_minutes)
            if s.last_auto_reply_at is not None and now - s.last_auto_reply_at < window:
                return ActionResult(
                    "skipped", "an automatic reply was sent within the acknowledgement window"
                )
        lang, text = self._template(template, context)
        template_only = self._outside_free_form_window()
        failure = await self._deliver(
            key,
            kind="auto_reply",
            text=text,
            to=s.customer.address,
            template=template,
            language=lang,
            template_only=template_only,
        )
        if isinstance(failure, str):
            return ActionResult("failed", failure)
        if self._threads():
            s.language = s.language or lang  # the language the customer was answered in, shown by the API
        if auto:
            s.last_auto_reply_at = now
        later = f"; {failure.note}" if isinstance(failure, SentLater) else ""
        return ActionResult("done", f"template {template} ({lang}){later}")


class ActionRun:
    """The `ActionPort` for one action of one decision (engine/rules/actions/base.py says what each does)."""

    def __init__(
        self, wf: ActionExecutor, seq: int, index: str, context: dict[str, Any], raised: Raised
    ) -> None:
        self._wf = wf
        self._state = wf._state
        self._seq = seq
        self._index = index
        self._context = context
        self._raised = raised
        self.nested: list[ExecutedAction] = []

    @property
    def _key(self) -> str:
        return f"{self._seq}:{self._index}"

    async def reply(self, template: str, *, auto: bool) -> ActionResult:
        return await self._wf._auto_reply(self._key, template, auto, self._context)

    async def add_tags(self, tags: list[str]) -> ActionResult:
        self._state.tags += [t for t in tags if t not in self._state.tags]
        return DONE

    async def remove_tags(self, tags: list[str]) -> ActionResult:
        self._state.tags = [t for t in self._state.tags if t not in tags]
        return DONE

    async def set_priority(self, priority: str) -> ActionResult:
        changed = self._state.priority != priority
        self._state.priority = priority
        if changed:
            await self._wf._tell_desk_priority()
        return DONE

    async def route(self, team: str) -> ActionResult:
        self._state.team = team
        return DONE

    async def assign_agent(self, agent: str) -> ActionResult:
        if self._state.assignee == agent:
            return DONE
        if not self._wf._desk():
            self._state.assignee = agent
            self._raised.append(("conversation.assigned", {}))
            return DONE
        outcome = await self._wf._ask_desk(
            self._key, strategy="agent", agent=agent, skills=[], reason="a rule named the agent"
        )
        return await self._wf._take(outcome, self._raised)

    async def assign_in_team(
        self, strategy: str | None, skills: list[str], *, by_language: bool
    ) -> ActionResult:
        s = self._state
        if not self._wf._desk():
            return ActionResult(
                "done", f"no assignment service: team {s.team!r} recorded, agent left to the team"
            )
        if not s.team:
            return ActionResult("skipped", "no team to assign in: route the conversation first")
        if by_language:
            skills = [*skills, *self._wf._language_skills(s.team)]
        # Asked again while it has an agent of this team: someone else (an escalation's reassignment).
        current = s.assignment
        exclude = [s.assignee] if s.assignee and current is not None and current.team == s.team else []
        outcome = await self._wf._ask_desk(
            self._key,
            strategy=strategy,
            skills=skills,
            exclude=exclude,
            reason="a rule asked for another agent" if exclude else "a rule asked for an agent",
        )
        return await self._wf._take(outcome, self._raised)

    async def apply_sla(self, policy: str) -> ActionResult:
        await self._wf._apply_sla(policy)
        return DONE

    async def escalate(self, level: int) -> ActionResult:
        policy, name = self._wf._policy(), self._state.sla.policy  # before: a level may apply another
        self.nested += await self._wf._escalate(self._seq, self._index, level, self._context, self._raised)
        if policy is None or level not in {e.level for e in policy.escalations}:
            # Only the trail's words (no command): the level is set, its policy has nothing to run.
            named = f"SLA policy {name}" if policy else "no SLA policy applied"
            return ActionResult("done", f"escalation level {level} set; {named} runs nothing at that level")
        return DONE

    async def notify(self, to: str, text: str, template: str | None) -> ActionResult:
        if template:
            text = self._wf._template_text(template, self._context) or text
        elif "{" in text:  # a placeholder in the rule's own message, as in a template
            text = self._filled(text)
        return self._sent(await self._wf._deliver(self._key, kind="notification", text=text, to=to))

    async def write_crm(self, field: str, value: Any) -> ActionResult:
        if isinstance(value, str) and "{" in value and self._wf._patched(CRM_TEXT_FILLED_PATCH):
            value = self._filled(value, only_known=True)
        return await self._wf._crm_write(self._key, field=field, value=value)

    async def add_note(self, text: str) -> ActionResult:
        self._state.notes += 1
        if "{" in text and self._wf._patched(CRM_TEXT_FILLED_PATCH):
            text = self._filled(text, only_known=True)
        return await self._wf._crm_write(self._key, note=text)

    def _filled(self, text: str, *, only_known: bool = False) -> str:
        """A rule's own text with its placeholders filled, in the pack's language, as a template's;
        `only_known`: other braces stay as written (a CRM text may be JSON)."""
        return self._wf._rendered(text, self._wf.pack.meta.language, self._context, only_known=only_known)

    async def schedule_survey(self, delay_minutes: int | None) -> ActionResult:
        survey, last = self._state.survey, self._state.last_customer_message_at
        sent = survey.sent_at if survey.status in ("sent", "completed") else None
        if sent is not None and (last is None or last <= sent) and self._wf._patched(SURVEY_ONCE_PATCH):
            why = "waits for the customer's answer" if survey.status == "sent" else "was answered"
            return ActionResult(
                "skipped", f"this thread's survey {why}, and the customer has not written since"
            )
        default = self._wf.pack.settings.survey_delay_minutes
        delay = delay_minutes if delay_minutes is not None else (default or 0)
        self._state.survey.due_at = workflow.now() + timedelta(minutes=delay)
        self._state.survey.status = "scheduled"
        return DONE

    async def snooze(self, minutes: int) -> ActionResult:
        self._state.timers.snooze_ends_at = workflow.now() + timedelta(minutes=minutes)
        await self._wf._set_status(Status.ON_HOLD.value, self._raised)
        return DONE

    async def set_status(self, status: str) -> ActionResult:
        await self._wf._set_status(status, self._raised)
        return DONE

    async def call_webhook(self, url: str, payload: dict[str, Any]) -> ActionResult:
        # The payload as JSON text: the adapter posts it as the JSON it was (activities/channels.py);
        # `str()` sent Python's repr ("{'level': 2}", True, None), which no receiver can parse.
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return self._sent(await self._wf._deliver(self._key, kind="webhook", text=text, to=url))

    @staticmethod
    def _sent(sent: str | SentLater | None) -> ActionResult:
        if isinstance(sent, SentLater):
            return ActionResult("done", sent.note)
        return ActionResult("failed", sent) if sent else DONE
