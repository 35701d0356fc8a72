"""`convoflow rules proposals [ID]`: a tenant's pack proposals (four-eyes publishing), read-only.

Proposals are made and decided through the API only (engine/api/rules_proposals.py): approving
needs a second key, and the CLI speaks for whoever holds the database, not for a key. Here ops
read what is waiting, who proposed and decided what, and one proposal's diff. Exit codes: 0 fine,
2 no such proposal.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli.command import DEFAULT_TENANT, CommandFailed, with_store
from engine.db.packs import PackStore
from engine.db.proposals import STATUSES, Proposal, ProposalStore, UnknownProposal


def _line(p: Proposal) -> str:
    state = "stale" if p.stale else p.status
    decided = f", {p.status} by {p.decided_by} {p.decided_at}" if p.decided_by else ""
    comment = f" ({p.comment})" if p.comment else ""
    return (
        f"{p.id}  {state:<8} {p.kind:<7} {p.hash[:12]}  {p.name} {p.version}  "
        f"proposed {p.proposed_at} by {p.proposed_by}{decided}{comment}"
    )


def _changes(structure: dict[str, Any]) -> list[str]:
    lines = []
    for section, found in structure.items():
        if not isinstance(found, dict):
            if found:
                lines.append(f"  {section.removesuffix('_changed')}: changed")
            continue
        for change in ("added", "removed", "changed"):
            if found[change]:
                lines.append(f"  {section} {change}: {', '.join(found[change])}")
        if found.get("reordered"):
            lines.append(f"  {section}: order changed")
    return lines or ["  no change"]


def cmd_proposals(args: argparse.Namespace) -> int:
    async def read(packs: PackStore) -> list[Proposal]:
        store = ProposalStore(packs.engine)
        if args.id:
            return [await store.get(args.tenant, args.id)]
        return await store.list(args.tenant, args.status)

    try:
        proposals = with_store(read)
    except UnknownProposal:
        raise CommandFailed(2, [f"tenant {args.tenant} has no proposal {args.id}"]) from None
    if args.format == "json":
        shown = [{k: v for k, v in p.__dict__.items() if v is not None or k != "diff"} for p in proposals]
        print(json.dumps(shown[0] if args.id else shown, indent=1))
        return 0
    if not proposals:
        print(f"no proposals for tenant {args.tenant}")
    for proposal in proposals:
        print(_line(proposal))
    if args.id and proposals[0].diff is not None:
        diff = proposals[0].diff
        print(f"against active pack {diff['against'] or '(none)'}:")
        print("\n".join(_changes(diff["structure"])))
        print(diff["unified"], end="")
    return 0


def add_commands(command: Any) -> None:
    """Register `proposals` with `rules`' own `command(name, func, help)` helper."""
    p = command(
        "proposals",
        cmd_proposals,
        "a tenant's pack proposals (four-eyes); with an ID, one with its diff (approve through the API)",
    )
    p.add_argument("id", nargs="?", help="one proposal (p_...), shown with its diff")
    p.add_argument("--tenant", default=DEFAULT_TENANT, help=f"whose proposals (default: {DEFAULT_TENANT})")
    p.add_argument("--status", choices=STATUSES, help="only the proposals with this status")
    p.add_argument("--format", choices=("text", "json"), default="text")
