"""How a contact of the local CRM is found by what a channel knows of the customer.

The statements the local CRM's lookup runs (activities/local_crm.py) and an erasure's search for
every contact of an address (engine/service/customer_requests.py) run alike: an email in any case, a
phone number in any written form (engine/contracts/phone_numbers.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.phone_numbers import NOT_DIGITS, digits_of, e164
from engine.db.schema import crm_contacts


def _lookup(column: Any) -> Select[Any]:
    return (
        select(crm_contacts)
        .where(crm_contacts.c.tenant == bindparam("tenant"), func.lower(column) == bindparam("value"))
        .order_by(crm_contacts.c.customer_id)
        .limit(1)
    )


def _digits_of(column: Any) -> Any:
    """A phone column as the digits compared: `+49 (0)151 0000 0300` as 4915100000300 (digits_of's,
    in SQL, and the `+`)."""
    for mark in (*NOT_DIGITS, "+"):
        column = func.replace(column, mark, "")
    return column


# Built once: one statement object per search keeps its cache key (a lookup runs for every new
# conversation, and built per call the JSON path, the statement and its cache key were made again).
LOOKUPS = {
    "external_id": _lookup(crm_contacts.c.fields["external_id"].as_string()),
    "email": _lookup(crm_contacts.c.email),
    # A number as the CSV wrote it (`+49 151 0000 0300`) is found by any form of it (engine/contracts/
    # phone_numbers.py): compared as digits, the one statement for every lookup.
    "phone": _lookup(_digits_of(crm_contacts.c.phone)),
}


def searched_value(field: str, value: str) -> str:
    """The value as its column is compared: a phone number's digits (international as E.164's),
    anything else lowercased."""
    if field != "phone":
        return value.lower()
    if (number := e164(value)) is not None:
        return number.removeprefix("+")
    return digits_of(value).replace("+", "").lower()  # a national number: its digits, as the column


async def contacts_of(database: AsyncEngine, tenant: str, address: str) -> list[str]:
    """Every contact whose email or phone is `address`, in any written form (an erasure's)."""
    field = "email" if "@" in address else "phone"
    statement = LOOKUPS[field].with_only_columns(crm_contacts.c.customer_id).limit(None)
    value = {"tenant": tenant, "value": searched_value(field, address)}
    async with database.connect() as connection:
        return list((await connection.execute(statement, value)).scalars())
