"""A phone number as a CRM lookup compares it: E.164, `+` and digits.

A customer's number reaches us in the forms people and gateways write: `+49 151 0000 0300` in the
CRM's CSV, `+4915100000300` from an SMS gateway, `4915100000300` from WhatsApp's Cloud API (its
`wa_id` has no `+`), `0049 151 ...` dialled from abroad. The lookup compared them as written, so a
VIP writing on WhatsApp was an unknown customer on the standard SLA.
"""

from __future__ import annotations

import re

# The channels whose sender is a phone number (chat and social senders are handles: a Facebook page-
# scoped id has 15-16 digits and is no number).
PHONE_CHANNELS = frozenset({"whatsapp", "sms"})
# What is taken out of a number, in this order: the trunk 0 a caller at home dials (`+49 (0)151 ...`),
# then what people put between its digits. The local CRM takes the same out of its column in SQL.
NOT_DIGITS = ("(0)", " ", "-", "(", ")", ".", "\u00a0", "/")
_INTERNATIONAL = re.compile(r"^\+?([1-9]\d{6,14})$")  # E.164: at most 15 digits, no leading 0


def digits_of(number: str) -> str:
    """The number without NOT_DIGITS (a `+` stays)."""
    for mark in NOT_DIGITS:
        number = number.replace(mark, "")
    return number


def e164(number: str) -> str | None:
    """`+` and the digits of an international number written in any of those forms; None for
    anything else (a national number without its country code, a handle, an address)."""
    digits = digits_of(number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    found = _INTERNATIONAL.match(digits)
    return f"+{found.group(1)}" if found else None
