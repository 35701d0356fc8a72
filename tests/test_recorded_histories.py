"""Conversations recorded by earlier versions of the code must replay with this one.

tests/histories/ holds histories of real test conversations (acknowledgements, SLA breaches and
escalation, pauses, surveys, reopen, idle close, continue-as-new, CRM up and down, WhatsApp windows),
`threads-*` ones with the threads behaviour (close, new threads, poison decisions), `events-*`
ones that queue subscription events (one with the database refusing them and a retry timer; two with
the refused events of a closed thread when the next begins, dropped before the patch and kept after) and
`answer-*` ones whose messages are answered when recorded (issue 15: twins at once, a new thread,
continue-as-new), `patches-2026-12-*` ones whose runs began with the one marker standing for every
earlier patch (a continue-as-new, threads, an assignment), `patches-2026-12-b-*` ones whose runs began
with the next bundle (a flush's KPI facts and events in one local activity: the events refused and
sent again, kept into a new thread, an SLA breach, an assignment, a continue-as-new) and
`patches-2026-12-then-records-mid-1`, a run begun by a worker of the code before that change (its
bundle `patches-2026-12`) whose next message a worker of the code after it handled (`records-in-one-call`
asked by its own marker mid-run; recorded with both workers in turn on one server),
`patches-2026-12-c-*` ones begun with the bundle that also stands for upserting the search attributes
once per workflow task, and `patches-2026-12-b-then-attributes-mid-1`, a `patches-2026-12-b` run that
took that patch by its own marker mid-run (recorded the same way), `patches-2026-12-d-*` ones begun
with the bundle that also continues a run as new by the bytes of its trail, `patches-2026-12-e-*`
ones begun with the bundle that also records only the part of the pack the workflow reads, and
`patches-2026-12-c-then-d-e-mid-1`, a carried `patches-2026-12-c` run (begun by `convoflow up` of the
code before both) whose next message `convoflow up` of the code after them handled on the same data
directory, taking both patches by their own markers mid-run, and `attributes-changed-sa-1`, whose
upserts after the first carry only the attributes that changed (no patch: replay compares no
upsert's attributes, and it replays on the code before too), `patches-2026-12-e-crm-down-1`, whose
local customer lookup failed (recorded before a failed lookup went on as a normal activity: it
replays without one), and `patches-2026-12-f-*` ones begun with the bundle that stands for that:
a lookup and an acknowledgement whose short local attempts timed out and went on as normal
activities (a timed-out local attempt is raised unwrapped on replay: see
workflows/conversation/failures.py), and `patches-2026-12-e-then-crm-fallback-mid-1`, a run begun by
a worker of the code before (bundle `patches-2026-12-e`) that was killed while a REST CRM held the
lookup; a worker of the code after took the task over, its local attempt timed out and it asked
`crm-lookup-goes-on-as-an-activity` by its own marker mid-run (both workers in turn on one server),
and `desk-workflow-6` and `-7`, desks whose conversations sent a release and a status as updates
(a continue-as-new hands an update on to the next run; see activities/assignment_desk.py `tell`),
and `patches-2026-12-g-*` ones begun with the bundle that also sends in the background what a
channel did not take at once (a WhatsApp gateway down: the acknowledgement and two replies queued in
order, a status change meanwhile, all delivered when it came back; a reply that failed for good;
a full run that continued as new only once its line of four sends was delivered), and
`patches-2026-12-h-*` ones begun with the bundle that also gives a CRM write one short local attempt
and then the background (a CRM refusing writes 503 while a reply and a status change were answered,
then taking them in order; writes refused for good), and `patches-2026-12-i-*` ones begun with the
bundle that also gives notifications a line of their own and sends a survey in the customer's line
(a survey due during an outage; a paging endpoint down while the reply went out; the outage of `-g-`),
and `patches-2026-12-f-then-background-mid-1`, a run begun by `convoflow up` of the code before them
(bundle `patches-2026-12-f`) whose replies during a gateway outage `convoflow up` of the code after
them sent in the background on the same data directory, asking `sends-go-on-in-the-background` and
`a-line-per-recipient-and-surveys-in-the-background` by their own markers mid-run, and
`patches-2026-12-j-*` ones begun with the bundle that also upserts nothing when nothing a list shows
changed (next messages within the minute), and `patches-2026-12-i-then-quiet-mid-1`, a run begun by
`convoflow up` of the code before it whose next messages `convoflow up` of the code after it handled
within the same minute, asking `no-upsert-when-nothing-listed-changed` by its own marker mid-run,
and `patches-2026-12-k-*` ones begun with the bundle that also answers a repeated agent reply once
its original has its seq (one repeat while the original waited behind a slow CRM, one after it),
and `patches-2026-12-l-late-survey-1`, begun with the bundle that also records a background item
that ended after the next thread began on its own thread (a survey the gateway refused for good
once the customer had begun thread 2), and `patches-2026-12-k-then-late-mid-1`, a run begun by
`convoflow up` of the code before it (bundle `patches-2026-12-k`) whose survey the gateway held
back with 503s through a close and the customer's thread 2, and refused for good once `convoflow up`
of the code after it had taken over the same data directory, asking
`background-items-end-on-their-own-thread` by its own marker mid-run, and
`patches-2026-12-m-refused-1`, begun with the bundle that also tells a reply the channel refused at
once as `message.delivery_failed`, and `patches-2026-12-l-then-refused-mid-1`, a conversation opened
by `convoflow up` of the code before it (bundle `patches-2026-12-l`) whose agent reply the gateway
refused (400) once `convoflow up` of the code after it had taken over, asking
`a-reply-refused-at-once-is-told` by its own marker mid-run, and `patches-2026-12-n-*` ones begun
with the bundle that also has the rules decide on an agent's reply that failed (refused at once; for
good in the background; and one refused after the next thread began, recorded and not decided), and
`patches-2026-12-m-then-decided-mid-1`, a conversation opened by `convoflow up` of the code before it
whose reply the gateway refused once `convoflow up` of the code after it had taken over, asking
`a-failed-reply-is-decided-by-the-rules` by its own marker mid-run, and
`patches-2026-12-o-urgent-queued-1`, begun with the bundle that also tells the desk a queued
conversation's priority change (made urgent while it waited), `desk-workflow-8` the desk that
served it first, and `patches-2026-12-n-then-priority-mid-1`, a queued conversation opened by
`convoflow up` of the code before it whose customer wrote "urgent" once `convoflow up` of the code
after it had taken over, asking `the-desk-hears-a-priority-change` by its own marker mid-run, and
`patches-2026-12-p-held-1`, begun with the bundle that also counts SLA clocks from the message's
`received_at` (a message the channel held two hours: breached at once), and
`patches-2026-12-o-then-sla-received-mid-1`, a conversation opened and closed by `convoflow up` of
the code before it under a pack without SLA, whose next thread (a message received ten minutes
earlier) `convoflow up` of the code after it handled, asking `sla-clocks-start-when-the-customer-wrote`
by its own marker mid-run, and `patches-2026-12-q-crm-filled-1`, begun with the bundle that also
fills a rule's CRM note and value placeholders, `patches-2026-12-p-then-crm-filled-mid-1`, a
conversation opened by `convoflow up` of the code before it whose next message's rule wrote a note
with placeholders once `convoflow up` of the code after it had taken over, asking
`crm-notes-and-values-fill-placeholders` by its own marker mid-run, and
`patches-2026-12-p-crm-literal-mid-1`, the same but with the rule's note written before the switch
too: the code after it asked the patch while replaying that note (no marker: written as it was), and
Temporal keeps that answer for the rest of the run, so the next note is written as before as well, and
`patches-2026-12-r-second-breach-1`, begun with the bundle that also times an SLA escalation's next
level from its own target's breach (first response, then resolution breached), and
`patches-2026-12-q-then-second-breach-mid-1`, a conversation whose first response breached and
escalated under `convoflow up` of the code before it, and whose resolution breached once `convoflow up`
of the code after it had taken over, asking `escalations-count-from-their-own-breach` by its own marker
mid-run, and `patches-2026-12-s-next-breach-kept-1`, begun with the bundle that also keeps a breached
target a new clock replaced as an earlier breach (a next response breached, then the customer's next
message), and `patches-2026-12-r-then-breach-kept-mid-1`, a conversation whose next response breached
under `convoflow up` of the code before it and whose customer wrote again once `convoflow up` of the
code after it had taken over, asking `a-replaced-breach-still-counts` by its own marker mid-run,
`patches-2026-12-t-unanswered-team-calendar-1`, begun with the bundle that also counts an assignee's
unanswered minutes on the team's calendar (a 24/7 team, an SLA policy on a calendar closed for the
day), `patches-2026-12-s-then-unanswered-team-calendar-mid-1`, a conversation queued under `convoflow
up` of the code before it and assigned once `convoflow up` of the code after it had taken over, asking
`unanswered-counts-on-the-team-calendar` by its own marker mid-run, and
`patches-2026-12-s-unanswered-armed-before-switch-mid-1`, whose assignee's timer was armed before the
switch: the code after it asked the patch while replaying that, so the run keeps the policy's
calendar, `patches-2026-12-u-policy-change-keeps-1`, begun with the bundle whose changed SLA policy
keeps a met first response and the next response a customer waits for (an angry follow-up moved to a
faster policy), and `patches-2026-12-t-then-policy-change-keeps-mid-1`, answered under `convoflow up`
of the code before it and moved to the faster policy once `convoflow up` of the code after it had
taken over, asking `a-changed-policy-keeps-met-and-waiting-clocks` by its own marker mid-run,
`patches-2026-12-v-desk-deadline-moved-1`, begun with the bundle whose queued conversation tells the
desk each new SLA deadline (a rule applied a faster policy after it was queued), and
`patches-2026-12-v-desk-breach-kept-1` (its first response breached while queued: the breach stays
its deadline), and `patches-2026-12-u-then-desk-deadline-mid-1`, queued under `convoflow up` of the
code before it and given a faster policy once `convoflow up` of the code after it had taken over,
asking `the-desk-hears-each-new-sla-deadline` by its own marker mid-run,
`patches-2026-12-v-kept-by-the-only-agent-1` and `desk-workflow-9`, a team of one whose unanswered
timeout found nobody else: the desk answers that its agent keeps the conversation (desk patch
`desk-keeps-the-agent-nobody-else-can-relieve`) and the conversation raises nothing,
`patches-2026-12-v-requeued-for-anyone-1` with `desk-workflow-10`, a manually assigned conversation
whose agent went away: queued for anyone, a colleague took it, and
`patches-2026-12-v-solved-parked-1` with `desk-workflow-11`, a solved conversation whose agent went
away: parked until the customer wrote again (desk patch `desk-requeues-a-lost-conversation-for-anyone`),
`patches-2026-12-w-automatic-reply-keeps-solved-1`, begun with the bundle in which a customer's
automatic reply (an out-of-office answering our reply) changes nothing but the trail: the solved
conversation stays solved with its survey, and `patches-2026-12-v-then-automatic-reply-mid-1`,
solved under `convoflow up` of the code before it and answered by the out-of-office once `convoflow
up` of the code after it had taken over, asking `a-customer-s-automatic-reply-changes-nothing` by
its own marker mid-run, and `patches-2026-12-x-reassignment-is-a-kpi-fact-1` with `desk-workflow-12`,
begun with the bundle in which an assignment marks who holds the thread in its KPI view (an agent
away: the desk handed the conversation to a colleague, whose backlog it is now), and
`patches-2026-12-w-then-reassigned-mid-1`, assigned under `convoflow up` of the code before it and
reassigned (its agent away) once `convoflow up` of the code after it had taken over: replaying its
first assignment asked `assignments-are-kpi-facts` and was answered no, which Temporal keeps for the
rest of the run, so it records no marker and makes no assignment fact until its next run;
`desk-workflow-13`, a desk whose queued conversation was solved while it waited (desk patch
`desk-parks-a-waiting-conversation-once-solved`: parked, never handed to the agent who freed up,
served once reopened), and `desk-workflow-14`, one whose conversation its agent could not keep
(over capacity at the unanswered timeout) went back to that agent once they had room (desk patch
`desk-gives-it-back-when-nobody-else-can`), and `desk-workflow-15`, one whose widened conversation
waited for its busy agent asleep, not waking every millisecond (desk patch
`desk-sleeps-past-a-widening`), and `retired-conversation-1`, a closed conversation the retention
sweep asked to end (the `retire` update: its run completes), `reply-id-reused-after-continue-as-new-1`,
the run after a continue-as-new that carried its replies' digests (a reply's id used again with other
words refused, the same words a repeat), and `assignment-and-status-by-actor-1`, a status change, an
assignment and an unassignment each naming who made it (`actor`), and
`patches-2026-12-z-bounced-reply-1`, begun with the bundle in which a bounce of an agent's reply
names the reply (two replies out, the first bounced),
and `patches-2026-12-za-held-reply-1`, begun with the bundle in which a clock past its deadline
breaches before the next event can stop it (a message held past its first response and the agent's
reply, taken together), and `patches-2026-12-zb-policy-change-keeps-breach-1`, begun with the bundle
in which a changed policy keeps a breached first response breached (a held message breached, then a
furious follow-up moved it to a faster policy), and `patches-2026-12-zc-reopen-waits-1`, begun with
the bundle in which a customer who reopens a solved conversation waits for a response (their message
before the solve had none), and `patches-2026-12-zd-paused-escalation-1`, begun with the bundle in
which an escalation level to come waits while the clocks are paused (a breached resolution, pending,
then open again), and `patches-2026-12-ze-wake-from-received-1`, begun with the bundle in which a
customer's message that wakes a pending conversation resumes its clocks from when they wrote, and
`patches-2026-12-zf-unanswered-stops-1`, begun with the bundle in which a status nobody waits on
stops the assignee's unanswered timer (on hold, then open again: it times out and moves), and
`team-sent-to-queue-1`, a conversation a person sent to a team alone through the API (its agent
unassigned, it waited in the team's queue, repeated, and was served when an agent came online),
and `patches-2026-12-zg-survey-by-message-1` and `-automatic-reply-to-closed-1`, begun with the
bundle in which a rating alone answers the survey (solved, rated "4/5", repeated, then a "5" that
reopened it) and an automatic reply to a closed conversation begins no thread (an out-of-office,
then the customer's follow-up in thread 2), and `patches-2026-12-zh-survey-once-1`, begun with the
bundle in which a thread's survey goes out once until the customer writes (rated 5, solved again
by the agent: no second survey; the customer wrote, solved again: one), and
`patches-2026-12-zi-nudge-restarts-idle-1` and `-late-message-keeps-latest-1`, begun with the bundle
in which an agent's reply restarts a pending conversation's idle timers and a message delivered late
leaves the latest message's time, and `template-reply-after-window-1`, a WhatsApp conversation whose
agent's free text was refused after the 24-hour window and whose template reply went out, and
`patches-2026-12-zk-bounce-after-close-1`, begun with the bundle in which a bounce of the last
reply handled after the close is recorded alone on the closed thread, and
`patches-2026-12-zl-retry-after-first-1`, begun with the bundle in which a send's first try in the
background waits out the Retry-After of its first attempt's 429 (an acknowledgement throttled twice),
`patches-2026-12-zm-survey-expired-1`, begun with the bundle in which a survey's expiry is on the
trail, and `patches-2026-12-zn-rating-in-french-1`, begun with the bundle in which a rating written
in French ("5 étoiles !") answers the survey, and
`patches-2026-12-zo-two-policies-one-decision-1`, begun with the bundle in which a policy that
replaces, in one decision, the one applied from a message received two days before counts from
that message too (both targets breached at their instants), and
`patches-2026-12-zp-de-ch-in-german-1`, begun with the bundle in which a customer writing `de-CH`
gets the pack's German acknowledgement, and
`patches-2026-12-zj-phone-without-plus-1`, begun with the bundle in which a WhatsApp sender without
`+` is looked up in the CRM by its number (a VIP found).
The others were recorded with `CONVOFLOW_RECORD_HISTORIES=tests/histories` before a change of the
workflow code.
A running conversation replays its history on any worker that picks it up after a deploy: if one of
these fails, a deploy would break conversations that are open today.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from engine.service import replaying
from tests.replay import replayer

FOLDER = Path(__file__).resolve().parent / "histories"
# The workflow ids of histories whose code reads its own id (the assignment desk's request ids hold it);
# the others replay under their file name, as they always did.
WORKFLOW_IDS: dict[str, str] = json.loads((FOLDER / "workflow_ids.json").read_text(encoding="utf-8"))
HISTORIES = sorted(p for p in FOLDER.glob("*.json") if p.name != "workflow_ids.json")
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in HISTORIES}


def test_the_kept_histories_are_there() -> None:
    assert len(HISTORIES) >= 40, "tests/histories/ lost its recorded histories"


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_recorded_history_replays(name: str) -> None:
    history = WorkflowHistory.from_json(WORKFLOW_IDS.get(name, name), TEXTS[name])
    result = await replaying.replayed(replayer(), history)
    assert result.replay_failure is None, f"{name} no longer replays: {result.replay_failure}"


class _Replays:
    """Answers replays with the failures given, in order (None: replayed)."""

    def __init__(self, *failures: Exception | None) -> None:
        self.failures, self.calls = list(failures), 0

    async def replay_workflow(self, history: object, raise_on_replay_failure: bool) -> object:
        self.calls += 1
        return type("Result", (), {"replay_failure": self.failures.pop(0)})()


async def test_a_replay_cut_short_as_a_deadlock_is_run_again_a_difference_is_not() -> None:
    """CI failed once replaying a run whose task "didn't yield within 2 seconds" on two loaded cores:
    a timing, not a difference of code, and `audit replay` would have reported it as one."""
    slow = RuntimeError('Failure { ... r#type: "_DeadlockError" ... }')
    runner = _Replays(slow, None)
    assert (await replaying.replayed(runner, None)).replay_failure is None and runner.calls == 2  # type: ignore[arg-type]
    always = _Replays(slow, slow, slow)
    assert (await replaying.replayed(always, None)).replay_failure is slow and always.calls == 3  # type: ignore[arg-type]
    differs = _Replays(RuntimeError("Nondeterminism error"))
    assert (await replaying.replayed(differs, None)).replay_failure is not None and differs.calls == 1  # type: ignore[arg-type]
