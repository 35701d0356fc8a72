from enum import StrEnum


class RuleOutcomeOutcome(StrEnum):
    ERROR = "error"
    MATCHED = "matched"
    NOT_MATCHED = "not_matched"
    NOT_REACHED = "not_reached"

    def __str__(self) -> str:
        return str(self.value)
