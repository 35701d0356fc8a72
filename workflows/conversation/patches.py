"""Every patch of the conversation workflow, and the bundles new runs record instead of each one.

A change to what the workflow commands goes behind a patch (`workflow.patched`), so a running
conversation replays on new code with the commands it recorded. A new run records one marker, its
bundle, that stands for every patch before it (core.py `_patched`); a run that began with an older
bundle asks each later patch by its own marker, where the change happens.
"""

from __future__ import annotations

from workflows.conversation.patches_late import LATE_BUNDLES, LATE_PATCHES

# Running conversations started before threads keep the old behaviour for the rest of their run
# (closing ends the workflow, keys `{workflow id}:{seq}:{index}`); see docs/ARCHITECTURE.md "Threads".
THREADS_PATCH = "conversation-threads"
# Issue 15 (performance) changed commands, behind one patch asked first in `run`: the customer
# lookup and deliveries run as local activities (options.py LOCAL_DELIVERY says why), and timers
# fire on time (timers.py `_sleep_for`). Runs that started before keep the old commands for the
# rest of the run when they replay; their next run has the new.
LOCAL_IO_PATCH = "local-io-timely-timers"
# Decide results carry only what the activity filled in (business time), not the whole context again:
# the workflow merges it over the context it sent. Older results carry the whole context and replay.
DECIDE_FILLED_PATCH = "decide-filled-only"
# Issue 18: each handled event's KPI facts go to the projection in one local activity, asked at the
# first flush; runs recorded before it replay without that command.
KPI_PATCH = "kpi-facts"
# Issue 19: each handled event's subscription events go to the database in one more local activity,
# asked at the first flush with events; runs recorded before it replay without that command.
EVENTS_PATCH = "subscription-events"
# Issue 22: `decide` classifies a customer message (language, intent, sentiment) in the same decision
# and the workflow takes the detected language; asked at the first customer message's decision, so
# runs recorded before it replay with no classification and no language taken from one.
TRIAGE_PATCH = "message-triage"
# Every patch above (and inbox.py's, assigning.py's, threads.py's), in one marker for the runs that
# begin from here: the SDK records each patch as a marker plus an upsert of the TemporalChangeVersion
# search attribute, so a new conversation's first task carried 16 history events only to say "new
# code" eight times, and the SDK core keeps a state machine per command while the run is cached
# (issue 15: history size, worker memory). Runs recorded before it replay without it and ask each
# patch where they always did (`_patched`); a later change gets a patch of its own and a new bundle.
PATCHES_2026_12 = "patches-2026-12"
# Issue 15: a flush writes its KPI facts and subscription events in one local activity instead of one
# each (engine/contracts/records.py); asked at the run's first flush with something to write.
RECORDS_PATCH = "records-in-one-call"
# The next bundle: everything PATCHES_2026_12 stands for, and RECORDS_PATCH. Each later change adds
# its patch to LATER_PATCHES under a new bundle, put first in BUNDLES (newest first): a new run
# records one marker, and a run that began with an older bundle asks the later patches one by one.
PATCHES_2026_12_B = "patches-2026-12-b"
# Issue 15: the search attributes are upserted once, when the main loop goes back to waiting, instead
# of at every change (three times in a task that handles a message and a reply): each upsert is a
# command the SDK core keeps while the run is cached (worker memory) and an event in history, and the
# server makes one visibility write per task anyway. Asked at the run's first change of them.
ATTRIBUTES_ONCE_PATCH = "search-attributes-once-per-task"
# The bundle after that: everything PATCHES_2026_12_B stands for, and ATTRIBUTES_ONCE_PATCH.
PATCHES_2026_12_C = "patches-2026-12-c"
# Issue 15: a run also continues as new once its trail's records take RUN_TRAIL_BYTES, so the state it
# carries (and a query's answer) stays under Temporal's 2 MB payload limit on a large pack. Asked at
# the run's first flush of new entries (records.py).
TRAIL_BYTES_PATCH = "continue-as-new-by-trail-bytes"
# The bundle after that: everything PATCHES_2026_12_C stands for, and TRAIL_BYTES_PATCH.
PATCHES_2026_12_D = "patches-2026-12-d"
# Issue 15: a run records the part of its pack the workflow reads (`load_workflow_pack`: no rules, no
# intents) instead of the whole pack: on bench/realistic_pack.py's 200 rules 1.5 KB of 77 KB, so each
# new run's first task, its history and the SDK core's copy while it is cached carry 98% less.
WORKFLOW_PACK_PATCH = "record-the-workflow-part-of-the-pack"
# The bundle after that: everything PATCHES_2026_12_D stands for, and WORKFLOW_PACK_PATCH.
PATCHES_2026_12_E = "patches-2026-12-e"
# Issue 15: a customer lookup whose one short local attempt failed or was slow goes on as the normal
# activity (options.py LOCAL_NETWORK_ATTEMPT), instead of three local tries that held every update.
# Asked when a local lookup fails, so a run that recorded such a failure replays without the activity.
CRM_FALLBACK_PATCH = "crm-lookup-goes-on-as-an-activity"
# The bundle after that: everything PATCHES_2026_12_E stands for, and CRM_FALLBACK_PATCH.
PATCHES_2026_12_F = "patches-2026-12-f"
# A send whose short local attempt the channel did not take goes on in the background, in order,
# instead of holding its handler and the lock for the normal activity's hour of retries (delivery.py).
# Asked when a local send fails retryably, so a run that recorded one replays with the activity inside.
BACKGROUND_SENDS_PATCH = "sends-go-on-in-the-background"
# The bundle after that: everything PATCHES_2026_12_F stands for, and BACKGROUND_SENDS_PATCH.
PATCHES_2026_12_G = "patches-2026-12-g"
# A rule's CRM write gets one short local attempt, and goes on in the background when the CRM does not
# take it, instead of a normal activity with an hour of retries inside the handler (delivery.py).
# Asked at a run's first CRM write.
CRM_WRITES_PATCH = "crm-writes-local-first-then-in-the-background"
# The bundle after that: everything PATCHES_2026_12_G stands for, and CRM_WRITES_PATCH.
PATCHES_2026_12_H = "patches-2026-12-h"
# Notifications and webhooks wait in a line of their own (a URL that is down delays no reply), a survey
# joins the customer's line instead of waiting for it under the lock, and a run whose handlers are done
# waits for its background items in the main loop, where its timers fire (delivery.py). Asked when a
# line is in use, so runs of the two bundles before keep one line and a survey that waits.
LINES_PATCH = "a-line-per-recipient-and-surveys-in-the-background"
# The bundle after that: everything PATCHES_2026_12_H stands for, and LINES_PATCH.
PATCHES_2026_12_I = "patches-2026-12-i"
# A task that changed nothing a list shows upserts nothing, and `ConvoLastActivityAt` holds the minute
# of the latest activity (search_attributes.py `minute_of`): a customer's next message within the
# minute used to cost the server a visibility write for its timestamp alone (a fifth to a quarter
# of the server's CPU for that message, docs/performance.md "Session 23"). Asked at a run's first
# task with nothing new to publish, so a run recorded before it replays with the upsert that repeated
# the tenant.
QUIET_ATTRIBUTES_PATCH = "no-upsert-when-nothing-listed-changed"
# The bundle after that: everything PATCHES_2026_12_I stands for, and QUIET_ATTRIBUTES_PATCH.
PATCHES_2026_12_J = "patches-2026-12-j"
# A repeat of an agent's reply that arrives while the original waits for the conversation (its
# message's handling held by a slow CRM) is answered once the original has its seq, with that seq; it
# was answered at once with the newest seq then. Asked only by such a repeat (workflow.py `post_reply`).
REPEAT_WAITS_PATCH = "a-repeated-reply-waits-for-its-original"
# The bundle after that: everything PATCHES_2026_12_J stands for, and REPEAT_WAITS_PATCH.
PATCHES_2026_12_K = "patches-2026-12-k"
# A send or a CRM write that ends in the background after the next thread began is recorded on the
# thread that put it in: its trail entry, its KPI facts (with that thread's view as it closed) and the
# integrator's event. It was recorded on the thread under way, so a survey that failed then stayed
# counted as sent. Asked only when such an item ends.
LATE_ITEMS_PATCH = "background-items-end-on-their-own-thread"
# The bundle after that: everything PATCHES_2026_12_K stands for, and LATE_ITEMS_PATCH.
PATCHES_2026_12_L = "patches-2026-12-l"
# An agent's reply the channel refused at once (a 4xx on its first attempt) gets a
# `message.delivery_failed` entry after its `message.sent`, as a send refused in the background does,
# so subscribers hear of it; before, only the `message.sent` entry's note said so (replies.py). Asked
# only when a reply is refused at once.
REFUSED_TOLD_PATCH = "a-reply-refused-at-once-is-told"
# The bundle after that: everything PATCHES_2026_12_L stands for, and REFUSED_TOLD_PATCH.
PATCHES_2026_12_M = "patches-2026-12-m"
# An agent's reply the channel refused (at once, or for good in the background) is decided by the rules
# as `message.delivery_failed` (`event.failed_message_id`), so a pack can tag the conversation or tell
# its team; it was only recorded, and no rule could see it (replies.py). Asked only when such a
# refusal of the thread under way, not closed, is recorded.
FAILED_REPLY_DECIDED_PATCH = "a-failed-reply-is-decided-by-the-rules"
# The bundle after that: everything PATCHES_2026_12_M stands for, and FAILED_REPLY_DECIDED_PATCH.
PATCHES_2026_12_N = "patches-2026-12-n"
# A conversation waiting in its team's queue (or holding a seat) tells the desk when its priority
# changes, with its earliest SLA breach: the desk serves its queue by both and kept what the request
# said, so an `urgent` set after queuing was served after `normal` ones (assigning.py). Asked only
# when the priority of a conversation the desk holds changes.
PRIORITY_TOLD_PATCH = "the-desk-hears-a-priority-change"
# The bundle after that: everything PATCHES_2026_12_N stands for, and PRIORITY_TOLD_PATCH.
PATCHES_2026_12_O = "patches-2026-12-o"
# An SLA clock a customer message starts (first response and resolution of a new thread, next
# response, resolution again at a reopen) counts from when the channel received the message
# (`received_at`), as the KPIs' response times do: it counted from when the workflow handled it, so a
# message the channel held for hours met its first-response SLA while the KPIs counted hours.
# Asked when such a message was received before its clocks start, which nearly every message was:
# its handling's local activities move the workflow's clock on by a few ms. Temporal keeps a run's
# first answer to a patch: a run that asked it while replaying what the code before did keeps its
# clocks for the rest of the run (the next run, after a continue-as-new, has the new ones).
SLA_FROM_RECEIVED_PATCH = "sla-clocks-start-when-the-customer-wrote"
# The bundle after that: everything PATCHES_2026_12_O stands for, and SLA_FROM_RECEIVED_PATCH.
PATCHES_2026_12_P = "patches-2026-12-p"
# A rule's CRM note (`add_note`) and CRM value (`update_crm`, a text) fill their `{placeholders}`, as
# a `notify` message does; they were written as the rule had them ("VIP {customer.name}"). Asked
# only when such a text has a `{`.
CRM_TEXT_FILLED_PATCH = "crm-notes-and-values-fill-placeholders"
# The bundle after that: everything PATCHES_2026_12_P stands for, and CRM_TEXT_FILLED_PATCH.
PATCHES_2026_12_Q = "patches-2026-12-q"
# An SLA escalation's next level counts from the breach that raised it: when a second target breached
# (resolution after first response), the level after it was timed from the first breach (so it ran
# at once), named the first target, and replaced that target's own pending level. Asked only while
# two targets are breached.
ESCALATION_OWN_BREACH_PATCH = "escalations-count-from-their-own-breach"
# The bundle after that: everything PATCHES_2026_12_Q stands for, and ESCALATION_OWN_BREACH_PATCH.
PATCHES_2026_12_R = "patches-2026-12-r"
# A breached SLA target that gives way to a new clock of its name (the next response to the customer's
# next message, the resolution of a reopen, a changed policy's target) is kept as an earlier breach, so
# the conversation stays breached (GET, the list's `sla_breached`, as the KPIs count it); the new clock
# made it unbreached. Asked only when a breached target is replaced.
BREACHES_KEPT_PATCH = "a-replaced-breach-still-counts"
# The bundle after that: everything PATCHES_2026_12_R stands for, and BREACHES_KEPT_PATCH.
PATCHES_2026_12_S = "patches-2026-12-s"
# An assignee's `unanswered_minutes` count on the team's calendar (the one `business_hours` reads), as
# the README says; they counted on the SLA policy's, so a 24/7 team whose policy keeps office hours
# left a customer waiting on a silent agent until the office opened. Asked only where the calendars
# differ.
UNANSWERED_ON_TEAM_CALENDAR_PATCH = "unanswered-counts-on-the-team-calendar"
# The bundle after that: everything PATCHES_2026_12_S stands for, and UNANSWERED_ON_TEAM_CALENDAR_PATCH.
PATCHES_2026_12_T = "patches-2026-12-t"
# A changed SLA policy keeps a met target met and the next response a customer waits for (under the
# new policy's minutes, less the time consumed): both were dropped, so a rule making an angry
# follow-up's policy faster took its response clock away. Asked only when there is one to keep.
POLICY_CHANGE_KEEPS_PATCH = "a-changed-policy-keeps-met-and-waiting-clocks"
# The bundle after that: everything PATCHES_2026_12_T stands for, and POLICY_CHANGE_KEEPS_PATCH.
PATCHES_2026_12_U = "patches-2026-12-u"
# A conversation waiting in its team's queue tells the desk when its earliest SLA deadline moves (a
# rule applied a faster policy, a next response started, a reassignment put it back in the queue),
# and a breached target keeps its breach as that deadline: the desk served its queue by what the
# request said when it asked, and a breach moved the conversation behind ones not yet breached
# (assigning.py `_desk_deadline`). Asked only when the desk holds a deadline that is no longer true.
DESK_DEADLINES_PATCH = "the-desk-hears-each-new-sla-deadline"
# The bundle after that: everything PATCHES_2026_12_U stands for, and DESK_DEADLINES_PATCH.
PATCHES_2026_12_V = "patches-2026-12-v"
# An automatic reply of the customer's side (an out-of-office, `Auto-Submitted`) after their first
# message is recorded and decided, and changes nothing else: it reopened a solved conversation
# (cancelling its survey, restarting its resolution clock), woke a pending one, started a next
# response clock and an assignee's unanswered timer, and our next reply threaded under it
# (inbox.py `_take_message`). Asked only when such a reply arrives.
AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH = "a-customer-s-automatic-reply-changes-nothing"
# The bundle after that: everything PATCHES_2026_12_V stands for, and AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH.
PATCHES_2026_12_W = "patches-2026-12-w"
# A `conversation.assigned` or `conversation.unassigned` entry marks who holds the thread in its KPI
# view (engine/kpis/facts.py HOLDER), which makes it a KPI fact: the agent a thread is reported
# under was whoever held it at its last message or reply, so a reassignment regrouped nothing and an
# unassigned thread stayed in its former agent's backlog. Asked at a run's first such entry.
ASSIGNMENT_FACTS_PATCH = "assignments-are-kpi-facts"
# The bundle after that: everything PATCHES_2026_12_W stands for, and ASSIGNMENT_FACTS_PATCH.
PATCHES_2026_12_X = "patches-2026-12-x"
# A customer named "Doe, John" (an Outlook or Exchange directory's order) is greeted by the name after
# the comma: `customer.first_name` was "Doe," ("Hi Doe,, thanks for your message"). Asked only when
# the two readings differ (rule_context.py `first_name_of`).
LAST_COMMA_FIRST_PATCH = "a-last-comma-first-name-greets-the-first-name"
# The bundle after that: everything PATCHES_2026_12_X stands for, and LAST_COMMA_FIRST_PATCH.
PATCHES_2026_12_Y = "patches-2026-12-y"
# A bounce of an agent's reply names the reply (`message.bounced`'s `message_id`, the integrator's id of
# it), as `message.delivery_failed` does: with several replies out, an integrator could not tell which
# one bounced. Asked only when the bounced Message-ID is one of the run's agent replies (bounces.py).
BOUNCED_REPLY_PATCH = "a-bounce-names-the-reply-it-bounced"
# The bundle after that: everything PATCHES_2026_12_Y stands for, and BOUNCED_REPLY_PATCH.
PATCHES_2026_12_Z = "patches-2026-12-z"
BUNDLES = (
    *LATE_BUNDLES,
    PATCHES_2026_12_Z,
    PATCHES_2026_12_Y,
    PATCHES_2026_12_X,
    PATCHES_2026_12_W,
    PATCHES_2026_12_V,
    PATCHES_2026_12_U,
    PATCHES_2026_12_T,
    PATCHES_2026_12_S,
    PATCHES_2026_12_R,
    PATCHES_2026_12_Q,
    PATCHES_2026_12_P,
    PATCHES_2026_12_O,
    PATCHES_2026_12_N,
    PATCHES_2026_12_M,
    PATCHES_2026_12_L,
    PATCHES_2026_12_K,
    PATCHES_2026_12_J,
    PATCHES_2026_12_I,
    PATCHES_2026_12_H,
    PATCHES_2026_12_G,
    PATCHES_2026_12_F,
    PATCHES_2026_12_E,
    PATCHES_2026_12_D,
    PATCHES_2026_12_C,
    PATCHES_2026_12_B,
    PATCHES_2026_12,
)
IN_PATCHES_2026_12 = frozenset(
    {
        THREADS_PATCH,
        LOCAL_IO_PATCH,
        DECIDE_FILLED_PATCH,
        KPI_PATCH,
        EVENTS_PATCH,
        TRIAGE_PATCH,
        "answer-on-record",  # inbox.py
        "threading-note",  # inbox.py
        "thread-keeps-unsent-events",  # threads.py
        "assignment-desk",  # assigning.py
    }
)
"""What PATCHES_2026_12 stands for: every patch made before it."""
LATER_PATCHES = {
    RECORDS_PATCH: PATCHES_2026_12_B,
    ATTRIBUTES_ONCE_PATCH: PATCHES_2026_12_C,
    TRAIL_BYTES_PATCH: PATCHES_2026_12_D,
    WORKFLOW_PACK_PATCH: PATCHES_2026_12_E,
    CRM_FALLBACK_PATCH: PATCHES_2026_12_F,
    BACKGROUND_SENDS_PATCH: PATCHES_2026_12_G,
    CRM_WRITES_PATCH: PATCHES_2026_12_H,
    LINES_PATCH: PATCHES_2026_12_I,
    QUIET_ATTRIBUTES_PATCH: PATCHES_2026_12_J,
    REPEAT_WAITS_PATCH: PATCHES_2026_12_K,
    LATE_ITEMS_PATCH: PATCHES_2026_12_L,
    REFUSED_TOLD_PATCH: PATCHES_2026_12_M,
    FAILED_REPLY_DECIDED_PATCH: PATCHES_2026_12_N,
    PRIORITY_TOLD_PATCH: PATCHES_2026_12_O,
    SLA_FROM_RECEIVED_PATCH: PATCHES_2026_12_P,
    CRM_TEXT_FILLED_PATCH: PATCHES_2026_12_Q,
    ESCALATION_OWN_BREACH_PATCH: PATCHES_2026_12_R,
    BREACHES_KEPT_PATCH: PATCHES_2026_12_S,
    UNANSWERED_ON_TEAM_CALENDAR_PATCH: PATCHES_2026_12_T,
    POLICY_CHANGE_KEEPS_PATCH: PATCHES_2026_12_U,
    DESK_DEADLINES_PATCH: PATCHES_2026_12_V,
    AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH: PATCHES_2026_12_W,
    ASSIGNMENT_FACTS_PATCH: PATCHES_2026_12_X,
    LAST_COMMA_FIRST_PATCH: PATCHES_2026_12_Y,
    BOUNCED_REPLY_PATCH: PATCHES_2026_12_Z,
    **LATE_PATCHES,
}
"""The patches made after PATCHES_2026_12, each with the first bundle that stands for it."""


def first_bundle(patch: str) -> str:
    """The first bundle that stands for `patch`; a patch in none is a bug (a new patch must be added to
    LATER_PATCHES, or runs that began with an older bundle would take it without a marker)."""
    if patch in LATER_PATCHES:
        return LATER_PATCHES[patch]
    if patch in IN_PATCHES_2026_12:
        return PATCHES_2026_12
    raise ValueError(f"patch {patch!r} is in no bundle: add it to LATER_PATCHES")
