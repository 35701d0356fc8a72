from enum import StrEnum


class PresenceInputStatus(StrEnum):
    AWAY = "away"
    OFFLINE = "offline"
    ONLINE = "online"

    def __str__(self) -> str:
        return str(self.value)
