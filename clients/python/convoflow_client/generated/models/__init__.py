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
from .channel import Channel
from .check_report import CheckReport
from .conversation_list import ConversationList
from .conversation_summary import ConversationSummary
from .conversation_view import ConversationView
from .conversation_view_survey import ConversationViewSurvey
from .coverage_request import CoverageRequest
from .coverage_request_pack_type_1 import CoverageRequestPackType1
from .create_key import CreateKey
from .create_key_role import CreateKeyRole
from .create_subscription import CreateSubscription
from .create_subscription_events_item import CreateSubscriptionEventsItem
from .decided_proposal import DecidedProposal
from .decided_proposal_diff_type_0 import DecidedProposalDiffType0
from .decision_entry import DecisionEntry
from .decision_entry_assignment_type_0 import DecisionEntryAssignmentType0
from .decision_entry_decision_type_0 import DecisionEntryDecisionType0
from .decision_entry_kpi_type_0 import DecisionEntryKpiType0
from .decision_entry_triage_type_0 import DecisionEntryTriageType0
from .decision_trail import DecisionTrail
from .deleted import Deleted
from .delivered_event import DeliveredEvent
from .delivered_event_type import DeliveredEventType
from .delivery_attempt_list import DeliveryAttemptList
from .delivery_attempt_view import DeliveryAttemptView
from .diff_packs_response_200 import DiffPacksResponse200
from .diff_request import DiffRequest
from .diff_request_new_type_1 import DiffRequestNewType1
from .diff_request_old_type_1 import DiffRequestOldType1
from .earlier_breach import EarlierBreach
from .event_data import EventData
from .event_response import EventResponse
from .event_response_delivery_type_0 import EventResponseDeliveryType0
from .event_type import EventType
from .executed_action import ExecutedAction
from .executed_action_action import ExecutedActionAction
from .finding import Finding
from .finding_severity import FindingSeverity
from .get_kpis_format import GetKpisFormat
from .get_kpis_interval import GetKpisInterval
from .get_shadow_response_200 import GetShadowResponse200
from .key_list import KeyList
from .key_view import KeyView
from .kpi_report import KpiReport
from .kpi_report_rows_item import KpiReportRowsItem
from .list_conversations_assigned import ListConversationsAssigned
from .list_conversations_channel import ListConversationsChannel
from .list_conversations_priority import ListConversationsPriority
from .list_conversations_sla_breached import ListConversationsSlaBreached
from .list_conversations_status import ListConversationsStatus
from .list_proposals_status import ListProposalsStatus
from .list_quarantine_reason import ListQuarantineReason
from .list_quarantine_released import ListQuarantineReleased
from .live import Live
from .new_key import NewKey
from .new_secret import NewSecret
from .openapi_document_response_200 import OpenapiDocumentResponse200
from .pack_coverage_response_200 import PackCoverageResponse200
from .pack_request import PackRequest
from .pack_request_pack_type_1 import PackRequestPackType1
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
from .promote_shadow_response_200 import PromoteShadowResponse200
from .promote_shadow_response_202 import PromoteShadowResponse202
from .proposal import Proposal
from .proposal_decision import ProposalDecision
from .proposal_diff_type_0 import ProposalDiffType0
from .proposal_list import ProposalList
from .publish_pack_response_201 import PublishPackResponse201
from .publish_pack_response_202 import PublishPackResponse202
from .publish_shadow_response_201 import PublishShadowResponse201
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
from .revoked_key import RevokedKey
from .rotate_secret import RotateSecret
from .rotate_subscription_secret import RotateSubscriptionSecret
from .rotate_webhook_secret_channel import RotateWebhookSecretChannel
from .run_pack_tests_response_200 import RunPackTestsResponse200
from .secret_list import SecretList
from .secret_view import SecretView
from .setting_change import SettingChange
from .settings_input import SettingsInput
from .settings_view import SettingsView
from .shadow_report_response_200 import ShadowReportResponse200
from .simulate_pack_response_200 import SimulatePackResponse200
from .simulate_request import SimulateRequest
from .simulate_request_pack_type_1 import SimulateRequestPackType1
from .sla_view import SlaView
from .sla_view_targets import SlaViewTargets
from .sla_view_targets_additional_property import SlaViewTargetsAdditionalProperty
from .status import Status
from .stop_shadow_response_200 import StopShadowResponse200
from .subscription_list import SubscriptionList
from .subscription_view import SubscriptionView
from .subscription_view_queue_type_0 import SubscriptionViewQueueType0
from .subscription_view_state import SubscriptionViewState
from .subscription_with_secret import SubscriptionWithSecret
from .subscription_with_secret_queue_type_0 import SubscriptionWithSecretQueueType0
from .subscription_with_secret_state import SubscriptionWithSecretState
from .team_queue import TeamQueue
from .thread_list import ThreadList
from .thread_view import ThreadView
from .traffic_request import TrafficRequest
from .validate_pack_response_200 import ValidatePackResponse200
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
    "Channel",
    "CheckReport",
    "ConversationList",
    "ConversationSummary",
    "ConversationView",
    "ConversationViewSurvey",
    "CoverageRequest",
    "CoverageRequestPackType1",
    "CreateKey",
    "CreateKeyRole",
    "CreateSubscription",
    "CreateSubscriptionEventsItem",
    "DecidedProposal",
    "DecidedProposalDiffType0",
    "DecisionEntry",
    "DecisionEntryAssignmentType0",
    "DecisionEntryDecisionType0",
    "DecisionEntryKpiType0",
    "DecisionEntryTriageType0",
    "DecisionTrail",
    "Deleted",
    "DeliveredEvent",
    "DeliveredEventType",
    "DeliveryAttemptList",
    "DeliveryAttemptView",
    "DiffPacksResponse200",
    "DiffRequest",
    "DiffRequestNewType1",
    "DiffRequestOldType1",
    "EarlierBreach",
    "EventData",
    "EventResponse",
    "EventResponseDeliveryType0",
    "EventType",
    "ExecutedAction",
    "ExecutedActionAction",
    "Finding",
    "FindingSeverity",
    "GetKpisFormat",
    "GetKpisInterval",
    "GetShadowResponse200",
    "KeyList",
    "KeyView",
    "KpiReport",
    "KpiReportRowsItem",
    "ListConversationsAssigned",
    "ListConversationsChannel",
    "ListConversationsPriority",
    "ListConversationsSlaBreached",
    "ListConversationsStatus",
    "ListProposalsStatus",
    "ListQuarantineReason",
    "ListQuarantineReleased",
    "Live",
    "NewKey",
    "NewSecret",
    "OpenapiDocumentResponse200",
    "PackCoverageResponse200",
    "PackRequest",
    "PackRequestPackType1",
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
    "PromoteShadowResponse200",
    "PromoteShadowResponse202",
    "Proposal",
    "ProposalDecision",
    "ProposalDiffType0",
    "ProposalList",
    "PublishedVersion",
    "PublishPackResponse201",
    "PublishPackResponse202",
    "PublishShadowResponse201",
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
    "RevokedKey",
    "RotateSecret",
    "RotateSubscriptionSecret",
    "RotateWebhookSecretChannel",
    "RunPackTestsResponse200",
    "SecretList",
    "SecretView",
    "SettingChange",
    "SettingsInput",
    "SettingsView",
    "ShadowReportResponse200",
    "SimulatePackResponse200",
    "SimulateRequest",
    "SimulateRequestPackType1",
    "SlaView",
    "SlaViewTargets",
    "SlaViewTargetsAdditionalProperty",
    "Status",
    "StopShadowResponse200",
    "SubscriptionList",
    "SubscriptionView",
    "SubscriptionViewQueueType0",
    "SubscriptionViewState",
    "SubscriptionWithSecret",
    "SubscriptionWithSecretQueueType0",
    "SubscriptionWithSecretState",
    "TeamQueue",
    "ThreadList",
    "ThreadView",
    "TrafficRequest",
    "ValidatePackResponse200",
    "VersionList",
)
