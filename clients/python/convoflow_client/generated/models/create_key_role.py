from enum import StrEnum


class CreateKeyRole(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    INTEGRATOR = "integrator"
    OPS = "ops"

    def __str__(self) -> str:
        return str(self.value)
