from enum import StrEnum


class EventResponseDeliveryType0(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    SENDING = "sending"

    def __str__(self) -> str:
        return str(self.value)
