from enum import StrEnum


class AgentListDesk(StrEnum):
    ANSWERED = "answered"
    NOT_ANSWERING = "not answering"
    NOT_RUNNING = "not running"

    def __str__(self) -> str:
        return str(self.value)
