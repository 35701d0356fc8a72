"""Our email Message-IDs: unique per send, and a reply to one names the conversation it belongs to.

Outbound email writes them (activities/email_channel.py) and inbound mail is threaded by them
(engine/api/inbound_email.py): one scheme, kept here so both sides read the same code.
"""

from __future__ import annotations

import hashlib
import re

from engine.contracts.ids import is_safe_id
from engine.contracts.outbound import OutboundMessage

# The domain of the id given to a mail that came without one: recognisable as ours, it never collides
# with a real one (`.invalid`, RFC 2606) and no mail client holds it.
DERIVED_DOMAIN = "derived.convoflow.invalid"
_MSG_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_BARE_ID = re.compile(r"[^<>\s@]+@[^<>\s@]+")


def is_threading_id(message_id: str) -> bool:
    """Whether an id may go in our In-Reply-To or References: an RFC 5322 `<left@right>` a mail client
    may hold, not an integrator's own id ("m-1") nor one derived for a mail that had none."""
    return bool(_MSG_ID.fullmatch(message_id)) and not message_id.lower().endswith(f"@{DERIVED_DOMAIN}>")


def threading_id(message_id: str) -> str | None:
    """The id as our In-Reply-To or References carry it, or None (`is_threading_id`). A bare
    `left@right` gets its angle brackets: a client that wrote its Message-ID without them got a
    reply with no In-Reply-To, which its customer's mail client showed outside the thread."""
    if _BARE_ID.fullmatch(message_id):
        message_id = f"<{message_id}>"
    return message_id if is_threading_id(message_id) else None


def domain_of(sender: str) -> str:
    """The domain our Message-IDs carry: the From address's, so replies to them can be recognised."""
    return sender.rsplit("@", 1)[-1].strip(">") or "convoflow.local"


def message_id_for(message: OutboundMessage, domain: str) -> str:
    """`<{conversation}.{hash of key}@{domain}>`: unique per send; a reply to it names its conversation."""
    return f"<{message.external_conversation_id}.{key_digest(message.idempotency_key)}@{domain}>"


def key_digest(idempotency_key: str) -> str:
    """The part of a send's Message-ID its idempotency key makes: a bounce quoting the Message-ID
    names the send by it."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def digest_in(message_id: str) -> str | None:
    """The key digest in one of our Message-IDs (`key_digest`), or None for another shape."""
    local = message_id.strip().strip("<>").partition("@")[0]
    _, dot, digest = local.rpartition(".")
    return digest if dot and len(digest) == 24 else None


def conversation_of(message_id: str, domain: str) -> str | None:
    """The conversation id inside one of our Message-IDs, or None for anyone else's.

    Anyone can write a Message-ID with our domain, so the id found is only a claim: it must match the
    id pattern (engine/contracts/ids.py) or it is no id at all (`<../../etc/passwd.x@our.domain>`), and
    the caller still checks that the sender belongs to that conversation before threading under it.
    """
    local, _, host = message_id.strip().strip("<>").partition("@")
    if host.lower() != domain.lower() or "." not in local:
        return None
    conversation = local.rsplit(".", 1)[0]
    return conversation if is_safe_id(conversation) else None
