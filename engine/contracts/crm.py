"""What the workflow asks of a CRM and what it gets back: a customer record, a write with its key."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CustomerQuery(BaseModel):
    tenant: str
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None


class Customer(BaseModel):
    id: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    first_name: str | None = None
    tier: str | None = None
    lifetime_value: float | None = None
    language: str | None = None
    custom: dict[str, Any] = Field(default_factory=dict)


class CrmWrite(BaseModel):
    tenant: str
    customer_id: str
    idempotency_key: str
    field: str | None = None
    value: Any = None
    note: str | None = None
