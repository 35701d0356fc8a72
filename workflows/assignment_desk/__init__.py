"""The assignment desk: one workflow per tenant owning its team queues and its agents' loads."""
