from enum import StrEnum


class ChangeSubscriptionEventsType0Item(StrEnum):
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_REOPENED = "conversation.reopened"
    CONVERSATION_UNASSIGNED = "conversation.unassigned"
    MESSAGE_BOUNCED = "message.bounced"
    MESSAGE_DELIVERY_FAILED = "message.delivery_failed"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    SLA_BREACHED = "sla.breached"
    SLA_WARNING = "sla.warning"
    STATUS_CHANGED = "status.changed"
    SURVEY_COMPLETED = "survey.completed"

    def __str__(self) -> str:
        return str(self.value)
