"""What every `convoflow` command shares: how it fails (an exit code and the lines it prints), the
tenant it means when none is named, the control-plane store it opens, and who runs it."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from engine.db.connection import DatabaseUnreachable
from engine.db.keys import tenant_exists
from engine.db.packs import PackStore
from engine.db.tenant_settings import requires_approval
from engine.service.config import DEV_TENANT, Settings
from engine.service.database import NoSharedDatabase, database_of, prepare_database, require_shared_database


class CommandFailed(Exception):
    """A command's end: its exit code and the lines to print on stderr (the `rules` group's `_run`
    prints them; other commands catch it where they say more)."""

    def __init__(self, code: int, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.code = code
        self.lines = lines


T = TypeVar("T")
DEFAULT_TENANT = DEV_TENANT  # the tenant of `make run`'s development key


def with_store(action: Callable[[PackStore], Awaitable[T]]) -> T:
    """Run `action` on the configured control-plane database (the embedded one is migrated first)."""

    async def run() -> T:
        settings = Settings()
        try:
            require_shared_database(settings)
        except NoSharedDatabase as exc:
            raise CommandFailed(2, [f"convoflow: {exc}"]) from None
        await prepare_database(settings)
        database = database_of(settings)
        try:
            return await action(PackStore(database))
        finally:
            await database.dispose()

    return asyncio.run(run())


def require_tenant(tenant: str, *, unreachable_ok: bool = False) -> None:
    """A `--tenant` naming no tenant (a typo) is refused, as `publish` refuses it: its roster and
    traffic read empty, and `check` said "acmee has no agents", `coverage` "never fired".
    `unreachable_ok`: a command on a pack's files goes on without the database (`check` says its
    roster was not checked)."""
    if tenant == DEV_TENANT:
        return
    try:
        known = with_store(lambda store: tenant_exists(store.engine, tenant))
    except (DatabaseUnreachable, OSError, SQLAlchemyError):
        if unreachable_ok:
            return
        raise
    if not known:
        raise CommandFailed(2, [f"no tenant {tenant!r}: create it with `convoflow tenant create`"])


def cli_user() -> str:
    """Who publishes from this shell, for the version history."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry and no USER (some containers)
        return "cli:unknown"


async def refuse_when_approval_required(store: PackStore, tenant: str, what: str, route: str) -> None:
    """Four-eyes: the tenant's packs change only through the API, proposed by one key and approved by
    another (`convoflow rules proposals` shows them)."""
    if await requires_approval(store.engine, tenant):
        rollback = ' (a rollback: {"pack": "<hash>"})' if what == "published" else ""
        raise CommandFailed(
            2,
            [
                f"not {what}: tenant {tenant} requires approval (four-eyes publishing); the CLI has no "
                f"second person to approve. Propose it with {route} using an ops key{rollback}; another "
                "ops or admin key approves it with POST /v1/rules/proposals/{proposal_id}/approve"
            ],
        )
