"""The OpenAPI entries of a data subject's requests (engine/api/customers.py), in
engine/api/openapi.py's table shape; that module merges them into its own table."""

from __future__ import annotations

from pydantic import BaseModel

from engine.api.customers import (
    CustomerAddresses,
    CustomerRecordsView,
    EraseCustomer,
    ErasureList,
    ErasureRecord,
)

CUSTOMER_ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, type[BaseModel] | None, int]] = {
    ("POST", "/v1/customers/search"): (
        "A customer's conversations, local CRM contacts and held mail, found by any form of their "
        "addresses (in the body: never in a URL)",
        CustomerAddresses,
        CustomerRecordsView,
        200,
    ),
    ("POST", "/v1/customers/export"): (
        "Everything of the customer (right of access): what they wrote, agents' replies, survey "
        "answers, what was sent, each conversation as it stands, CRM contacts, held mail",
        CustomerAddresses,
        None,
        200,
    ),
    ("POST", "/v1/customers/erasures"): (
        "Erase everything of the customer from Temporal and the database (201 with the record; 503 "
        "`erasure_blocked`: nothing erased, a worker did not answer); `dry_run` answers what would be "
        "erased (200)",
        EraseCustomer,
        ErasureRecord,
        201,
    ),
    ("GET", "/v1/customers/erasures"): (
        "The tenant's erasures, newest first (no address: digests and conversation ids)",
        None,
        ErasureList,
        200,
    ),
}
# A dry run's answer: what the search answers.
DRY_RUN = {("POST", "/v1/customers/erasures"): (200, CustomerRecordsView, "A dry run: nothing erased")}
