from enum import StrEnum


class SubscriptionViewState(StrEnum):
    ACTIVE = "active"
    FAILING = "failing"

    def __str__(self) -> str:
        return str(self.value)
