from enum import StrEnum


class QuarantineReason(StrEnum):
    BLOCKED_SENDER = "blocked_sender"
    LOOP = "loop"
    NO_SENDER = "no_sender"
    SENDER_RATE = "sender_rate"
    SPAM = "spam"
    UNPARSEABLE = "unparseable"

    def __str__(self) -> str:
        return str(self.value)
