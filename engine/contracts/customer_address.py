"""A customer's address in the one form its channel compares it in.

People and gateways write one address several ways: `Ada <ADA@example.com>`, `+49 151 0000 0300`
and WhatsApp's `4915100000300`, a chat handle in whatever case. The customer index digests this form
(engine/db/customer_index.py), and a conversation compares a message's sender with its customer in it
(workflows/conversation/workflow.py): on a channel whose address is the person (a phone number, a
chat or social handle), a message from another sender is someone else's.
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import parseaddr

from engine.contracts.phone_numbers import PHONE_CHANNELS, e164

HANDLE = "handle:"


def plain(address: str) -> str:
    """The address alone, composed: `Ada <ada@example.com>` is `ada@example.com`."""
    text = unicodedata.normalize("NFC", address).strip()
    if "<" in text and text.endswith(">"):
        text = parseaddr(text)[1] or text
    return text


def indexed_form(address: str, channel: str) -> str:
    """The one form a sender on `channel` is indexed and compared under: an email in lower case
    (Unicode composed, never case-folded: `straße@` and `strasse@` are two mailboxes), an SMS or
    WhatsApp number as E.164, a chat or social handle in lower case, marked as a handle (a chat
    handle of digits is nobody's phone number)."""
    text = plain(address)
    if channel in PHONE_CHANNELS and (number := e164(text)) is not None:
        return number
    if channel == "email":
        return text.lower()
    return HANDLE + text.lower()


def same_sender(address: str, other: str, channel: str) -> bool:
    """Whether two senders on a phone channel can be one number. Gateways write one number in many
    forms (`0151 0000 0300` national, `+49 151 0000 0300`, WhatsApp's `4915100000300`, Twilio's
    `whatsapp:+49...`, a US `(212) 555-0123` and `+1 212 555 0123`), and nothing says a national
    number's country. Two numbers both written internationally (`+` or `00`) are one when their E.164
    forms are; otherwise when the digits of one, without leading zeros, end the other's, seven digits
    at least. A sender of fewer digits (a shortcode, a business's name) is only itself. A refusal
    loses the customer's message: only a number that cannot be theirs is refused."""
    if indexed_form(address, channel) == indexed_form(other, channel):
        return True
    if channel not in PHONE_CHANNELS:
        return True
    mine, theirs = _number(address), _number(other)
    if mine.startswith(("+", "00")) and theirs.startswith(("+", "00")):
        return e164(mine) is not None and e164(mine) == e164(theirs)
    mine_digits, their_digits = _significant_digits(mine), _significant_digits(theirs)
    if min(len(mine_digits), len(their_digits)) < MIN_DIGITS:
        return mine.casefold() == theirs.casefold()
    shorter, longer = sorted((mine_digits, their_digits), key=len)
    return longer.endswith(shorter)


MIN_DIGITS = 7  # a subscriber number's fewest digits: fewer, and anything would end anything
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # `tel:`, `sms:`, Twilio's `whatsapp:`


def _number(address: str) -> str:
    return SCHEME.sub("", plain(address)).strip()


def _significant_digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit()).lstrip("0")
