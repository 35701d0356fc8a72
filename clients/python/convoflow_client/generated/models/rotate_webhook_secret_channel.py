from enum import StrEnum


class RotateWebhookSecretChannel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
