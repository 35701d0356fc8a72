"""Where each support mailbox began: the first UID of the mail that arrived after it was connected.

A mailbox connected with years of handled mail in it acknowledged every one of those customers; one
that took unread mail only lost the mail a person opened before the connector took it (a shared
mailbox, an outage). So the mail that was there at first connection is taken when unread, and the
mail after it always. IMAP numbers a folder's mail by UID, unique and ascending while its
UIDVALIDITY stays: the folder's UIDNEXT when first connected is that boundary. A new UIDVALIDITY
(the server renumbered the folder) starts again from the UIDNEXT then.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_or_ignore
from engine.db.schema import mailbox_marks


class MailboxMarks:
    def __init__(self, database: AsyncEngine) -> None:
        self._engine = database

    async def first_uid(self, tenant: str, mailbox: str, uid_validity: int, uid_next: int) -> int:
        """The first UID of mail that came after the mailbox was first connected; `uid_next` now
        when it never was (or its folder was renumbered since)."""
        where = (mailbox_marks.c.tenant == tenant) & (mailbox_marks.c.mailbox == mailbox)
        row = {"tenant": tenant, "mailbox": mailbox, "uid_validity": uid_validity, "first_uid": uid_next}
        async with self._engine.begin() as db:
            await db.execute(insert_or_ignore(db, mailbox_marks), {**row, "marked_at": datetime.now(UTC)})
            found = (await db.execute(select(mailbox_marks).where(where))).one()
            if found.uid_validity != uid_validity:
                changed = {
                    "uid_validity": uid_validity,
                    "first_uid": uid_next,
                    "marked_at": datetime.now(UTC),
                }
                await db.execute(update(mailbox_marks).where(where).values(**changed))
                return uid_next
            return int(found.first_uid)
