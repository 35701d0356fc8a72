"""Whether a customer's address is one mailbox a reply can go to.

A customer's address becomes the `To` of every acknowledgement and reply. A text the API took as it
came ("John Smith, john@customer.example") made two recipients of the header, one an SMTP relay
refuses, so the send failed on every retry; "ada@x.example, eve@y.example" would have copied the
conversation to a stranger. One bare addr-spec, as a relay takes it on its RCPT line, is what both the
API and the mail parser accept.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import Any

# What ends an address on an SMTP command line, outside a quoted local part (aiosmtplib's own test).
_BREAKS_THE_LINE = re.compile(r'[\s<>"]')
_QUOTED_LOCAL_PART = re.compile(r'^"(?:[^"\\\r\n]|\\.)*"')


def is_one_mailbox(address: str) -> bool:
    """Whether `address` is one bare `local@domain`: no display name, no list, nothing a relay refuses."""
    found = getaddresses([address])
    if len(found) != 1 or found[0] != ("", address):
        return False
    local, _, domain = address.rpartition("@")  # no "@": local is empty
    if not (local and domain):
        return False
    return not _BREAKS_THE_LINE.search(_QUOTED_LOCAL_PART.sub("", address, count=1))


def name_and_mailbox(written: str) -> tuple[str | None, str] | None:
    """`("Acme Support", "support@acme.example")` of `Acme Support <support@acme.example>`, `(None,
    address)` of a bare one, None of anything else: a setting written as a header is read as one,
    where its whole text compared with a bare sender never matched (the loop check)."""
    if is_one_mailbox(written):
        return None, written
    found = getaddresses([written])
    if len(found) == 1 and is_one_mailbox(found[0][1]):
        return found[0][0] or None, found[0][1]
    return None


class NotOneMailbox(ValueError):
    """A setting's address that is not one mailbox, even read as a header."""


def with_name_read(given: Any, address_key: str, name_key: str) -> Any:
    """Settings `given` (a dict, as a model's before-validator sees them) with `address_key` written
    as a header read as the bare address and, unless `name_key` is set, its name."""
    if not isinstance(given, dict) or not isinstance(written := given.get(address_key), str):
        return given
    split = name_and_mailbox(written)
    if split is None:
        raise NotOneMailbox(f"{address_key}: {ONE_MAILBOX}")
    name, address = split
    return {**given, address_key: address, name_key: given.get(name_key) or name}


ONE_MAILBOX = "one email address (s@acme.example, or Acme Support <s@acme.example>)"
