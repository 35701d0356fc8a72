"""One parsed rule pack per content hash, shared by every conversation a worker runs.

Each run still records its pack (the `load_workflow_pack` local activity, `load_rule_pack` in runs
begun before it: replay never reads the store);
what is shared is only the parsed `RulePack` built from that recorded content. A hash names one
content for good (the store checks it), so every run pinned to a hash would parse the same object,
and nothing in the workflow mutates a pack (it reads templates, policies and settings). Sharing it
saves the parse (CPU per new run) and a full copy of the pack per cached conversation (memory).

This module is imported passed through the sandbox (see core.py), so the cache lives once per
worker process rather than once per run; it holds no state a workflow can observe other than the
pack itself.
"""

from __future__ import annotations

from typing import Any

from engine.rules.pack import RulePack
from engine.shared_values import SharedValues

# Packs a worker keeps parsed: tenants times the packs their open conversations pin. Past it the
# least recently used is dropped (runs holding it keep their reference); a miss only costs a parse.
MAX_SHARED_PACKS = 64

# Workflow activations run on the worker's thread pool, several at once: SharedValues locks.
_packs: SharedValues[str, RulePack] = SharedValues(MAX_SHARED_PACKS)


def shared_pack(key: str, canonical: dict[str, Any]) -> RulePack:
    """The parsed pack for `key` (its hash, or `{hash}:workflow` for the part the workflow reads: a run
    never sees a copy parsed from the other), parsing `canonical` (its recorded content) on a miss."""
    return _packs.get(key, lambda: RulePack.model_validate(canonical))
