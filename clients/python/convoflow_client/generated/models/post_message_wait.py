from enum import StrEnum


class PostMessageWait(StrEnum):
    DECIDED = "decided"
    RECORDED = "recorded"

    def __str__(self) -> str:
        return str(self.value)
