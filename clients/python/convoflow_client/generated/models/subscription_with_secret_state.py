from enum import StrEnum


class SubscriptionWithSecretState(StrEnum):
    ACTIVE = "active"
    FAILING = "failing"

    def __str__(self) -> str:
        return str(self.value)
