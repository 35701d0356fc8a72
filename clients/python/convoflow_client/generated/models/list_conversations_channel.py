from enum import StrEnum


class ListConversationsChannel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
