"""Contains all the data models used in inputs/outputs"""

from .activation import Activation
from .activation_list import ActivationList
from .agent_input import AgentInput
from .agent_input_capacity_type_1 import AgentInputCapacityType1
from .agent_list import AgentList
from .agent_list_desk import AgentListDesk
from .agent_view import AgentView
from .agent_view_capacity_type_1 import AgentViewCapacityType1
from .agent_view_load_by_channel_type_0 import AgentViewLoadByChannelType0
from .agent_view_presence import AgentViewPresence
from .audit_bundle import AuditBundle
from .audit_bundle_files import AuditBundleFiles
from .audit_bundle_manifest import AuditBundleManifest
from .branch_coverage import BranchCoverage
from .branch_totals import BranchTotals
from .case_outcome import CaseOutcome
from .case_totals import CaseTotals
from .change_subscription import ChangeSubscription
from .change_subscription_events_type_0_item import ChangeSubscriptionEventsType0Item
from .channel import Channel
from .check_report import CheckReport
from .conversation_list import ConversationList
from .conversation_summary import ConversationSummary
from .conversation_view import ConversationView
from .conversation_view_survey import ConversationViewSurvey
from .coverage_report import CoverageReport
from .coverage_request import CoverageRequest
from .coverage_request_pack_type_1 import CoverageRequestPackType1
from .coverage_summary import CoverageSummary
from .covered_pack import CoveredPack
from .create_key import CreateKey
from .create_key_role import CreateKeyRole
from .create_subscription import CreateSubscription
from .create_subscription_events_item import CreateSubscriptionEventsItem
from .customer_addresses import CustomerAddresses
from .customer_records_view import CustomerRecordsView
from .decided_action import DecidedAction
from .decided_action_action import DecidedActionAction
from .decided_proposal import DecidedProposal
from .decided_proposal_diff_type_0 import DecidedProposalDiffType0
from .decision_change import DecisionChange
from .decision_change_after_item import DecisionChangeAfterItem
from .decision_change_before_item import DecisionChangeBeforeItem
from .decision_entry import DecisionEntry
from .decision_entry_assignment_type_0 import DecisionEntryAssignmentType0
from .decision_entry_decision_type_0 import DecisionEntryDecisionType0
from .decision_entry_kpi_type_0 import DecisionEntryKpiType0
from .decision_entry_triage_type_0 import DecisionEntryTriageType0
from .decision_record import DecisionRecord
from .decision_trail import DecisionTrail
from .deleted import Deleted
from .delivered_event import DeliveredEvent
from .delivered_event_type import DeliveredEventType
from .delivery_attempt_list import DeliveryAttemptList
from .delivery_attempt_view import DeliveryAttemptView
from .diff_report import DiffReport
from .diff_request import DiffRequest
from .diff_request_new_type_1 import DiffRequestNewType1
from .diff_request_old_type_1 import DiffRequestOldType1
from .earlier_breach import EarlierBreach
from .erase_customer import EraseCustomer
from .erasure_list import ErasureList
from .erasure_record import ErasureRecord
from .erasure_record_removed import ErasureRecordRemoved
from .event_data import EventData
from .event_response import EventResponse
from .event_response_delivery_type_0 import EventResponseDeliveryType0
from .event_tally import EventTally
from .event_type import EventType
from .executed_action import ExecutedAction
from .executed_action_action import ExecutedActionAction
from .export_customer_response_200 import ExportCustomerResponse200
from .finding import Finding
from .finding_severity import FindingSeverity
from .found_conversation import FoundConversation
from .gateway_party import GatewayParty
from .get_kpis_format import GetKpisFormat
from .get_kpis_interval import GetKpisInterval
from .given_up_list import GivenUpList
from .given_up_view import GivenUpView
from .inbound_webhook import InboundWebhook
from .inbound_webhook_headers import InboundWebhookHeaders
from .intent_gate import IntentGate
from .intent_report import IntentReport
from .intent_score import IntentScore
from .key_list import KeyList
from .key_view import KeyView
from .kpi_report import KpiReport
from .kpi_report_rows_item import KpiReportRowsItem
from .last_sweep import LastSweep
from .list_conversations_assigned import ListConversationsAssigned
from .list_conversations_channel import ListConversationsChannel
from .list_conversations_priority import ListConversationsPriority
from .list_conversations_sla_breached import ListConversationsSlaBreached
from .list_conversations_status import ListConversationsStatus
from .list_proposals_status import ListProposalsStatus
from .list_quarantine_reason import ListQuarantineReason
from .list_quarantine_released import ListQuarantineReleased
from .live import Live
from .live_pack_tally import LivePackTally
from .new_key import NewKey
from .new_secret import NewSecret
from .openapi_document_response_200 import OpenapiDocumentResponse200
from .pack_request import PackRequest
from .pack_request_pack_type_1 import PackRequestPackType1
from .pack_summary import PackSummary
from .party import Party
from .pending_escalation import PendingEscalation
from .post_assignment import PostAssignment
from .post_attachment import PostAttachment
from .post_message import PostMessage
from .post_message_headers import PostMessageHeaders
from .post_message_wait import PostMessageWait
from .post_party import PostParty
from .post_reply import PostReply
from .post_status import PostStatus
from .post_survey import PostSurvey
from .post_unassignment import PostUnassignment
from .presence_input import PresenceInput
from .presence_input_status import PresenceInputStatus
from .problem import Problem
from .problem_fields_item import ProblemFieldsItem
from .promoted import Promoted
from .proposal import Proposal
from .proposal_decision import ProposalDecision
from .proposal_diff_type_0 import ProposalDiffType0
from .proposal_list import ProposalList
from .proposed import Proposed
from .published import Published
from .published_version import PublishedVersion
from .quarantine_attachment import QuarantineAttachment
from .quarantine_deleted import QuarantineDeleted
from .quarantine_detail import QuarantineDetail
from .quarantine_item import QuarantineItem
from .quarantine_list import QuarantineList
from .quarantine_reason import QuarantineReason
from .quarantine_release import QuarantineRelease
from .quarantined import Quarantined
from .quarantined_fields_type_0_item import QuarantinedFieldsType0Item
from .queue_entry import QueueEntry
from .ready import Ready
from .recorded_conversation import RecordedConversation
from .recorded_event import RecordedEvent
from .recorded_event_context import RecordedEventContext
from .redelivered import Redelivered
from .removed import Removed
from .repeated_mail import RepeatedMail
from .repeated_webhook import RepeatedWebhook
from .retention_sweeps import RetentionSweeps
from .revoked_key import RevokedKey
from .rotate_secret import RotateSecret
from .rotate_subscription_secret import RotateSubscriptionSecret
from .rotate_webhook_secret_channel import RotateWebhookSecretChannel
from .rule_cases import RuleCases
from .rule_coverage import RuleCoverage
from .rule_outcome import RuleOutcome
from .rule_outcome_outcome import RuleOutcomeOutcome
from .rule_outcome_reads import RuleOutcomeReads
from .rule_tally import RuleTally
from .rule_traffic import RuleTraffic
from .secret_list import SecretList
from .secret_view import SecretView
from .setting_change import SettingChange
from .settings_input import SettingsInput
from .settings_view import SettingsView
from .shadow_candidate import ShadowCandidate
from .shadow_published import ShadowPublished
from .shadow_report import ShadowReport
from .shadow_shown import ShadowShown
from .shadow_stopped import ShadowStopped
from .simulate_request import SimulateRequest
from .simulate_request_pack_type_1 import SimulateRequestPackType1
from .simulated_conversation import SimulatedConversation
from .simulated_event import SimulatedEvent
from .simulated_event_actions_item import SimulatedEventActionsItem
from .simulation_report import SimulationReport
from .simulation_totals import SimulationTotals
from .simulation_totals_routed import SimulationTotalsRouted
from .simulation_totals_tags import SimulationTotalsTags
from .sla_view import SlaView
from .sla_view_targets import SlaViewTargets
from .sla_view_targets_additional_property import SlaViewTargetsAdditionalProperty
from .status import Status
from .subscription_list import SubscriptionList
from .subscription_view import SubscriptionView
from .subscription_view_queue_type_0 import SubscriptionViewQueueType0
from .subscription_view_state import SubscriptionViewState
from .subscription_with_secret import SubscriptionWithSecret
from .subscription_with_secret_queue_type_0 import SubscriptionWithSecretQueueType0
from .subscription_with_secret_state import SubscriptionWithSecretState
from .tally import Tally
from .team_queue import TeamQueue
from .test_report import TestReport
from .thread_list import ThreadList
from .thread_view import ThreadView
from .traffic_counted import TrafficCounted
from .traffic_counted_other_rules import TrafficCountedOtherRules
from .traffic_counted_packs import TrafficCountedPacks
from .traffic_request import TrafficRequest
from .uncovered_branch import UncoveredBranch
from .version_list import VersionList

__all__ = (
    "Activation",
    "ActivationList",
    "AgentInput",
    "AgentInputCapacityType1",
    "AgentList",
    "AgentListDesk",
    "AgentView",
    "AgentViewCapacityType1",
    "AgentViewLoadByChannelType0",
    "AgentViewPresence",
    "AuditBundle",
    "AuditBundleFiles",
    "AuditBundleManifest",
    "BranchCoverage",
    "BranchTotals",
    "CaseOutcome",
    "CaseTotals",
    "ChangeSubscription",
    "ChangeSubscriptionEventsType0Item",
    "Channel",
    "CheckReport",
    "ConversationList",
    "ConversationSummary",
    "ConversationView",
    "ConversationViewSurvey",
    "CoverageReport",
    "CoverageRequest",
    "CoverageRequestPackType1",
    "CoverageSummary",
    "CoveredPack",
    "CreateKey",
    "CreateKeyRole",
    "CreateSubscription",
    "CreateSubscriptionEventsItem",
    "CustomerAddresses",
    "CustomerRecordsView",
    "DecidedAction",
    "DecidedActionAction",
    "DecidedProposal",
    "DecidedProposalDiffType0",
    "DecisionChange",
    "DecisionChangeAfterItem",
    "DecisionChangeBeforeItem",
    "DecisionEntry",
    "DecisionEntryAssignmentType0",
    "DecisionEntryDecisionType0",
    "DecisionEntryKpiType0",
    "DecisionEntryTriageType0",
    "DecisionRecord",
    "DecisionTrail",
    "Deleted",
    "DeliveredEvent",
    "DeliveredEventType",
    "DeliveryAttemptList",
    "DeliveryAttemptView",
    "DiffReport",
    "DiffRequest",
    "DiffRequestNewType1",
    "DiffRequestOldType1",
    "EarlierBreach",
    "EraseCustomer",
    "ErasureList",
    "ErasureRecord",
    "ErasureRecordRemoved",
    "EventData",
    "EventResponse",
    "EventResponseDeliveryType0",
    "EventTally",
    "EventType",
    "ExecutedAction",
    "ExecutedActionAction",
    "ExportCustomerResponse200",
    "Finding",
    "FindingSeverity",
    "FoundConversation",
    "GatewayParty",
    "GetKpisFormat",
    "GetKpisInterval",
    "GivenUpList",
    "GivenUpView",
    "InboundWebhook",
    "InboundWebhookHeaders",
    "IntentGate",
    "IntentReport",
    "IntentScore",
    "KeyList",
    "KeyView",
    "KpiReport",
    "KpiReportRowsItem",
    "LastSweep",
    "ListConversationsAssigned",
    "ListConversationsChannel",
    "ListConversationsPriority",
    "ListConversationsSlaBreached",
    "ListConversationsStatus",
    "ListProposalsStatus",
    "ListQuarantineReason",
    "ListQuarantineReleased",
    "Live",
    "LivePackTally",
    "NewKey",
    "NewSecret",
    "OpenapiDocumentResponse200",
    "PackRequest",
    "PackRequestPackType1",
    "PackSummary",
    "Party",
    "PendingEscalation",
    "PostAssignment",
    "PostAttachment",
    "PostMessage",
    "PostMessageHeaders",
    "PostMessageWait",
    "PostParty",
    "PostReply",
    "PostStatus",
    "PostSurvey",
    "PostUnassignment",
    "PresenceInput",
    "PresenceInputStatus",
    "Problem",
    "ProblemFieldsItem",
    "Promoted",
    "Proposal",
    "ProposalDecision",
    "ProposalDiffType0",
    "ProposalList",
    "Proposed",
    "Published",
    "PublishedVersion",
    "QuarantineAttachment",
    "Quarantined",
    "QuarantineDeleted",
    "QuarantineDetail",
    "QuarantinedFieldsType0Item",
    "QuarantineItem",
    "QuarantineList",
    "QuarantineReason",
    "QuarantineRelease",
    "QueueEntry",
    "Ready",
    "RecordedConversation",
    "RecordedEvent",
    "RecordedEventContext",
    "Redelivered",
    "Removed",
    "RepeatedMail",
    "RepeatedWebhook",
    "RetentionSweeps",
    "RevokedKey",
    "RotateSecret",
    "RotateSubscriptionSecret",
    "RotateWebhookSecretChannel",
    "RuleCases",
    "RuleCoverage",
    "RuleOutcome",
    "RuleOutcomeOutcome",
    "RuleOutcomeReads",
    "RuleTally",
    "RuleTraffic",
    "SecretList",
    "SecretView",
    "SettingChange",
    "SettingsInput",
    "SettingsView",
    "ShadowCandidate",
    "ShadowPublished",
    "ShadowReport",
    "ShadowShown",
    "ShadowStopped",
    "SimulatedConversation",
    "SimulatedEvent",
    "SimulatedEventActionsItem",
    "SimulateRequest",
    "SimulateRequestPackType1",
    "SimulationReport",
    "SimulationTotals",
    "SimulationTotalsRouted",
    "SimulationTotalsTags",
    "SlaView",
    "SlaViewTargets",
    "SlaViewTargetsAdditionalProperty",
    "Status",
    "SubscriptionList",
    "SubscriptionView",
    "SubscriptionViewQueueType0",
    "SubscriptionViewState",
    "SubscriptionWithSecret",
    "SubscriptionWithSecretQueueType0",
    "SubscriptionWithSecretState",
    "Tally",
    "TeamQueue",
    "TestReport",
    "ThreadList",
    "ThreadView",
    "TrafficCounted",
    "TrafficCountedOtherRules",
    "TrafficCountedPacks",
    "TrafficRequest",
    "UncoveredBranch",
    "VersionList",
)
