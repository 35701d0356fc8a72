from enum import StrEnum


class Status(StrEnum):
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"

    def __str__(self) -> str:
        return str(self.value)
