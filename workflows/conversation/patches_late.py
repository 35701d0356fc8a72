"""The patches of the conversation workflow from December's bundle `za` on, and their bundles.

patches.py says how a patch and a bundle go together and holds the ones before; its BUNDLES and
LATER_PATCHES take these in (LATE_BUNDLES, newest first, and LATE_PATCHES). A new patch goes here,
under a new bundle put first in LATE_BUNDLES.
"""

from __future__ import annotations

# An SLA clock whose deadline passed before the main loop handled its timer is breached (at its
# deadline) before the next event can stop it: a reply, a pause or a solve that came first marked it
# met or paused it with nothing left, never breached (a message the channel held past its target, a
# busy worker). Asked only when a clock is overdue as an update or a message is handled (timers.py).
OVERDUE_BREACH_PATCH = "an-overdue-clock-breaches-before-it-stops"
# The bundle after that: everything PATCHES_2026_12_Z stands for, and OVERDUE_BREACH_PATCH.
PATCHES_2026_12_ZA = "patches-2026-12-za"
# A changed policy keeps a breached first response or resolution breached: its clock started over
# with the new policy's full minutes (a rule moving a breached conversation to a faster policy), so
# the thread was warned, breached and escalated twice. Asked only when there is one (sla.py).
POLICY_CHANGE_KEEPS_BREACH_PATCH = "a-changed-policy-keeps-a-breach"
# The bundle after that: everything PATCHES_2026_12_ZA stands for, and POLICY_CHANGE_KEEPS_BREACH_PATCH.
PATCHES_2026_12_ZB = "patches-2026-12-zb"
# A customer who reopens a solved conversation waits for a response: the next response clock starts
# even when their message before the solve had none (the solve met that clock, and the reopen started
# the resolution only). Asked only when a reopen finds the next response stopped (inbox.py).
REOPEN_WAITS_PATCH = "a-reopen-waits-for-a-response"
# The bundle after that: everything PATCHES_2026_12_ZB stands for, and REOPEN_WAITS_PATCH.
PATCHES_2026_12_ZC = "patches-2026-12-zc"
# An escalation level to come waits while the SLA clocks are paused (a status in the policy's
# `pause_on`: waiting on the customer, snoozed) and comes its business minutes left after they
# resume: it ran on time, so a manager was paged about a conversation waiting on its customer.
# Asked only when a pause finds a level to come (sla.py `_escalations_to_hold`).
ESCALATIONS_WAIT_PATCH = "escalations-wait-while-the-clocks-are-paused"
# The bundle after that: everything PATCHES_2026_12_ZC stands for, and ESCALATIONS_WAIT_PATCH.
PATCHES_2026_12_ZD = "patches-2026-12-zd"
# A customer's message that wakes a paused conversation (pending, snoozed) resumes its clocks from
# when the channel received it, no earlier than the pause: they resumed at its handling, so a mail
# fetched minutes late gave the team those minutes, which the KPIs' response times count. Asked only
# when the two instants differ (sla.py `_woken_since`).
WAKE_FROM_RECEIVED_PATCH = "a-wake-resumes-the-clocks-when-the-customer-wrote"
# The bundle after that: everything PATCHES_2026_12_ZD stands for, and WAKE_FROM_RECEIVED_PATCH.
PATCHES_2026_12_ZE = "patches-2026-12-ze"
# A status nobody waits on (pending: the customer; on hold; solved) stops the assignee's unanswered
# timer, and a change back to open starts it again while the customer waits: it ran on, so a solved
# conversation timed out and went to a colleague (back in the queue when nobody was free), and a
# pending one went from agent to agent every `unanswered_minutes`. Asked only when a timer is armed
# at such a change, or would be (assigning.py `_unanswered_follows_status`, `_arm_unanswered`).
UNANSWERED_STOPS_PATCH = "a-status-nobody-waits-on-stops-the-unanswered-timer"
# The bundle after that: everything PATCHES_2026_12_ZE stands for, and UNANSWERED_STOPS_PATCH.
PATCHES_2026_12_ZF = "patches-2026-12-zf"
# A customer's message that is a rating alone ("5", "4/5", "★★★") while the survey waits for its answer
# answers it (`survey.completed`): the survey asks for a reply, and a reply reopened the conversation,
# started a response clock and lost the rating (after a close it began a new thread). Asked only when
# such a message comes (inbox.py `_keeps_the_thread`).
SURVEY_BY_MESSAGE_PATCH = "a-rating-alone-answers-the-survey"
# An automatic reply (out-of-office) to a closed conversation is recorded on its trail and begins no
# thread: it began one with no team, SLA or agent, which the customer's real follow-up then joined
# without an acknowledgement or routing. Asked only when such a reply comes.
AUTOMATIC_REPLY_KEEPS_CLOSED_PATCH = "an-automatic-reply-leaves-a-closed-conversation-closed"
# The bundle after that: everything PATCHES_2026_12_ZF stands for, and the two patches above.
PATCHES_2026_12_ZG = "patches-2026-12-zg"
# A survey is not scheduled again for a thread whose survey waits for its answer or was answered,
# unless the customer has written since it went out: an agent's solved -> open -> solved sent the
# customer who had rated 5 a second survey, and their second answer replaced the first in CSAT.
# Asked only when a `schedule_survey` finds such a survey (actions.py).
SURVEY_ONCE_PATCH = "a-thread-s-survey-goes-out-once-until-the-customer-writes"
# The bundle after that: everything PATCHES_2026_12_ZG stands for, and SURVEY_ONCE_PATCH.
PATCHES_2026_12_ZH = "patches-2026-12-zh"
# A customer message the channel delivered late, written before one already handled, leaves the
# time of their latest message as it was: it moved it back, so a WhatsApp survey went out as a
# template 90 s after the customer wrote (the 24-hour window read from a day-old message). Asked
# only when such a message comes (inbox.py).
LATEST_MESSAGE_TIME_PATCH = "a-late-message-keeps-the-latest-message-time"
# An agent's reply to a pending conversation starts its idle reminder and auto-close again: they
# counted from when it went pending, so a nudge was followed 26 s later by "we are waiting for your
# answer" and the close. Asked only when a reply finds them armed (replies.py).
REPLY_RESTARTS_IDLE_PATCH = "an-agent-s-reply-restarts-the-pending-timers"
# The bundle after that: everything PATCHES_2026_12_ZH stands for, and the two patches above.
PATCHES_2026_12_ZI = "patches-2026-12-zi"
# A WhatsApp or SMS sender written without `+` (WhatsApp Cloud API's `wa_id`: 4915100000301) is looked
# up in the CRM by its number as E.164: it was looked up by nothing, so a VIP writing on WhatsApp was
# an unknown customer on the standard SLA. Asked only for such a sender (deciding.py `_enrich`).
PHONE_WITHOUT_PLUS_PATCH = "a-number-without-plus-is-looked-up-as-a-phone"
# The bundle after that: everything PATCHES_2026_12_ZI stands for, and PHONE_WITHOUT_PLUS_PATCH.
PATCHES_2026_12_ZJ = "patches-2026-12-zj"
# A bounce handled once the conversation is closed is recorded on the closed thread, its rules not run
# (one accepted while open could wait for the lock behind a close; bounces after a close were refused
# until then). Asked only when a bounce finds the conversation closed (workflow.py `record_bounce`).
BOUNCE_AFTER_CLOSE_PATCH = "a-bounce-after-the-close-is-recorded-alone"
# A survey answer through the API that finds the survey answered meanwhile (the customer's rating,
# queued before it) is refused: both were recorded, two `survey.completed`. Asked only then.
SURVEY_ANSWERED_ONCE_PATCH = "a-survey-answered-meanwhile-refuses-the-api-s-answer"
# The bundle after that: everything PATCHES_2026_12_ZJ stands for, and the two patches above.
PATCHES_2026_12_ZK = "patches-2026-12-zk"
# A send whose first attempt the far side answered "try again later" (429 and its Retry-After) waits
# that long before its first try in the background: it was tried again at once, 36 ms later, into the
# same throttle. Asked only when such a first attempt goes to the background (delivery.py).
RETRY_AFTER_FIRST_PATCH = "the-background-waits-out-the-first-retry-after"
# The bundle after that: everything PATCHES_2026_12_ZK stands for, and RETRY_AFTER_FIRST_PATCH.
PATCHES_2026_12_ZL = "patches-2026-12-zl"
# A survey that expires unanswered says so on the trail (`survey.expired`, at its expiry): an auditor
# saw it sent and then nothing, and a 409 to a late answer with no entry to explain it. Asked only
# when a survey expires (timers.py).
SURVEY_EXPIRY_RECORDED_PATCH = "a-survey-s-expiry-is-on-the-trail"
# The bundle after that: everything PATCHES_2026_12_ZL stands for, and SURVEY_EXPIRY_RECORDED_PATCH.
PATCHES_2026_12_ZM = "patches-2026-12-zm"
# A rating written in German, French, Spanish, Portuguese, Italian or Dutch ("4 Sterne", "5 étoiles")
# answers the survey as "4 stars" does: it reopened the conversation and the rating was lost. Asked
# only for such a rating the English words do not read (inbox.py `_keeps_the_thread`).
RATING_WORDS_PATCH = "a-rating-in-other-languages-answers-the-survey"
# The bundle after that: everything PATCHES_2026_12_ZM stands for, and RATING_WORDS_PATCH.
PATCHES_2026_12_ZN = "patches-2026-12-zn"
# A policy that replaces, in the same message's handling, one applied from that message's received
# time counts from that time too (sla.py `_replaced_in_its_own_handling`). Asked only then.
SAME_HANDLING_POLICY_PATCH = "a-policy-replaced-in-its-own-handling-counts-from-the-message"
# The bundle after that: everything PATCHES_2026_12_ZN stands for, and SAME_HANDLING_POLICY_PATCH.
PATCHES_2026_12_ZO = "patches-2026-12-zo"
# A template of no text in the wanted `de-CH` takes the `de` one (engine/rules/templates.py
# `choose_text`), and the conversation's language becomes `de`: a Zürich customer got English. Asked
# only where the choice differs from the exact language's (delivery.py).
TEMPLATE_FALLBACK_PATCH = "a-regional-language-takes-its-language-s-template"
# The bundle after that: everything PATCHES_2026_12_ZO stands for, and TEMPLATE_FALLBACK_PATCH.
PATCHES_2026_12_ZP = "patches-2026-12-zp"

LATE_BUNDLES = (
    PATCHES_2026_12_ZP,
    PATCHES_2026_12_ZO,
    PATCHES_2026_12_ZN,
    PATCHES_2026_12_ZM,
    PATCHES_2026_12_ZL,
    PATCHES_2026_12_ZK,
    PATCHES_2026_12_ZJ,
    PATCHES_2026_12_ZI,
    PATCHES_2026_12_ZH,
    PATCHES_2026_12_ZG,
    PATCHES_2026_12_ZF,
    PATCHES_2026_12_ZE,
    PATCHES_2026_12_ZD,
    PATCHES_2026_12_ZC,
    PATCHES_2026_12_ZB,
    PATCHES_2026_12_ZA,
)
LATE_PATCHES = {
    OVERDUE_BREACH_PATCH: PATCHES_2026_12_ZA,
    POLICY_CHANGE_KEEPS_BREACH_PATCH: PATCHES_2026_12_ZB,
    REOPEN_WAITS_PATCH: PATCHES_2026_12_ZC,
    ESCALATIONS_WAIT_PATCH: PATCHES_2026_12_ZD,
    WAKE_FROM_RECEIVED_PATCH: PATCHES_2026_12_ZE,
    UNANSWERED_STOPS_PATCH: PATCHES_2026_12_ZF,
    SURVEY_BY_MESSAGE_PATCH: PATCHES_2026_12_ZG,
    AUTOMATIC_REPLY_KEEPS_CLOSED_PATCH: PATCHES_2026_12_ZG,
    SURVEY_ONCE_PATCH: PATCHES_2026_12_ZH,
    LATEST_MESSAGE_TIME_PATCH: PATCHES_2026_12_ZI,
    REPLY_RESTARTS_IDLE_PATCH: PATCHES_2026_12_ZI,
    PHONE_WITHOUT_PLUS_PATCH: PATCHES_2026_12_ZJ,
    BOUNCE_AFTER_CLOSE_PATCH: PATCHES_2026_12_ZK,
    SURVEY_ANSWERED_ONCE_PATCH: PATCHES_2026_12_ZK,
    RETRY_AFTER_FIRST_PATCH: PATCHES_2026_12_ZL,
    SURVEY_EXPIRY_RECORDED_PATCH: PATCHES_2026_12_ZM,
    RATING_WORDS_PATCH: PATCHES_2026_12_ZN,
    SAME_HANDLING_POLICY_PATCH: PATCHES_2026_12_ZO,
    TEMPLATE_FALLBACK_PATCH: PATCHES_2026_12_ZP,
}
