"""`convoflow rules list` and `rules history`: a tenant's versions, and every activation of them.

`rules list` shows each version once, with its latest activation; after a rollback the earlier
activations of that version were readable nowhere. Which pack was live on a given day, and who made
it so, is a line here (and `GET /v1/rules/activations`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli.command import DEFAULT_TENANT, with_store
from engine.db.pack_history import Activation, activations
from engine.db.packs import PackStore, PublishedVersion


def _who(activated_by: str | None, proposed_by: str | None, approved_by: str | None) -> str:
    """Who made a version active: the key or user, or for four-eyes the proposer and the approver
    (`activated_by` already reads "<proposer> approved by <approver>"; it was printed twice)."""
    if approved_by:
        return f"{proposed_by}, approved by {approved_by}"
    return activated_by or "-"


def _line(a: Activation) -> str:
    what = f"{a.via:<7} {a.hash[:12]}  {a.name} {a.version}"
    return f"{a.activated_at}  {what}  by {_who(a.activated_by, a.proposed_by, a.approved_by)}"


def _activation(v: PublishedVersion) -> str:
    """The version's latest activation, where it is not its publication itself: a rollback by
    hash, a promotion, an approval (the line showed the first publication only)."""
    if v.activated_at is None:
        return ""
    who = _who(v.activated_by, v.proposed_by, v.approved_by)
    if v.activations == 1 and v.activated_via in ("publish", "shipped") and who == (v.published_by or "-"):
        return ""
    verb = {"promote": "promoted", "publish": "activated"}.get(v.activated_via or "", "activated")
    return f"; {verb} by {who} at {v.activated_at}"


def cmd_list(args: argparse.Namespace) -> int:
    versions = with_store(lambda store: store.versions(args.tenant))
    if not versions:
        print(f"no published rule packs for tenant {args.tenant}")
    for v in versions:
        print(
            f"{'*' if v.active else 'S' if v.shadow else ' '} {v.hash}  {v.name} {v.version}  "
            f"published {v.published_at} by {v.published_by or '-'}{_activation(v)}"
        )
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    async def read(packs: PackStore) -> list[Activation]:
        return await activations(packs.engine, args.tenant)

    found = with_store(read)
    if args.format == "json":
        print(json.dumps([a.__dict__ for a in found], indent=1))
        return 0
    if not found:
        print(f"no activations for tenant {args.tenant}")
    for activation in found:
        print(_line(activation))
    return 0


def add_commands(command: Any) -> None:
    """Register `list` and `history` with `rules`' own `command(name, func, help)` helper."""
    p = command("list", cmd_list, "a tenant's published versions, the active one starred, the shadow one S")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=f"whose versions (default: {DEFAULT_TENANT})")
    p = command("history", cmd_history, "every activation of a tenant's packs, oldest first: who, when, how")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=f"whose packs (default: {DEFAULT_TENANT})")
    p.add_argument("--format", choices=("text", "json"), default="text")
