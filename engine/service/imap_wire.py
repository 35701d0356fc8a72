"""What the mailbox connector says and reads on the IMAP wire that aioimaplib has no method for:
STARTTLS, a SEARCH answer among untagged lines, a SELECT answer's numbers, a quoted folder name.
Kept apart from the connector (engine/service/mailbox.py), which decides when to say them."""

from __future__ import annotations

import asyncio
import re
import ssl

from aioimaplib import IMAP4, Command


class MailboxError(RuntimeError):
    """The server refused something the connector needs (login, the folder, STARTTLS); retried."""


async def starttls(client: IMAP4, context: ssl.SSLContext, host: str) -> None:
    """Upgrade the connection before login (aioimaplib has the command but no method for it).

    A server that does not offer STARTTLS is an error: the password never goes out in clear text
    because a server (or someone between) stopped offering encryption.
    """
    protocol = client.protocol
    if not client.has_capability("STARTTLS"):
        raise MailboxError("the server does not offer STARTTLS")
    response = await protocol.execute(Command("STARTTLS", protocol.new_tag(), loop=protocol.loop))
    if response.result != "OK":
        raise MailboxError("STARTTLS refused")
    loop = asyncio.get_running_loop()
    protocol.transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    await protocol.capability()


def search_uids(lines: list[bytes]) -> list[str]:
    """The UIDs of a SEARCH answer. Other untagged answers may come along with it (`4 EXISTS` when mail
    arrived meanwhile): only a line of numbers alone is the result; the last line is the tagged status."""
    found: list[str] = []
    for line in lines[:-1]:
        words = bytes(line).decode(errors="replace").split()
        if words and all(word.isdigit() for word in words):
            found.extend(words)
    return found


def selected_number(lines: list[bytes], name: bytes) -> int | None:
    """A number of the SELECT answer: `OK [UIDNEXT 42] Predicted next UID` -> 42."""
    for line in lines:
        found = re.search(rb"\[" + name + rb" (\d+)\]", line)
        if found:
            return int(found.group(1))
    return None


def quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
