"""Rule packs: every published version, the active and the shadow pack per tenant, activations,
four-eyes proposals, the shadow decisions compared, and the intent models trained from packs."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from engine.db.schema._base import TENANT, WHEN, metadata

AUTHOR = "The API key that published the candidate as shadow (none from the CLI): it may not approve."
BASE_ACTIVATED = (
    "When the base was activated: activated again since (a rollback to it), the proposal is stale."
)

rule_packs = Table(
    "rule_packs",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("pack_hash", String(64), nullable=False, comment="SHA-256 of the canonical content."),
    Column("content", Text, nullable=False, comment="The canonical pack JSON the hash covers."),
    Column("name", String(64), nullable=False),
    Column("version", String(32), nullable=False),
    Column("published_by", String(128), nullable=True),
    Column("published_at", WHEN, nullable=False),
    Column("source", Text, nullable=True, comment="Where it was published from (path, API request)."),
    Column(
        "tests",
        JSON,
        nullable=True,
        comment="The test cases this tenant last published the version with: a rollback reruns them.",
    ),
    Column(
        "text",
        Text,
        nullable=True,
        comment="The YAML this tenant last made the version active from, through the API or console.",
    ),
    PrimaryKeyConstraint("tenant", "pack_hash"),
    Index("ix_rule_packs_pack_hash", "pack_hash"),
)

intent_models = Table(
    "intent_models",
    metadata,
    Column("pack_hash", String(64), primary_key=True, comment="The pack version whose intents trained it."),
    Column("model_hash", String(64), nullable=False, comment="SHA-256 of `model`: named in decision trails."),
    Column("model", Text, nullable=False, comment="The classifier's weights as plain JSON (never pickled)."),
    Column("trained_at", WHEN, nullable=False),
)

active_packs = Table(
    "active_packs",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column("pack_hash", String(64), nullable=False),
    Column("activated_at", WHEN, nullable=False),
)

pack_activations = Table(
    "pack_activations",
    metadata,
    Column("tenant", TENANT, nullable=False),
    Column("pack_hash", String(64), nullable=False),
    Column("activated_at", WHEN, nullable=False),
    Column("activated_by", String(128), nullable=True, comment="`api:<tenant>/<key>` or `cli:<user>`."),
    Column("via", String(16), nullable=False, comment="publish or promote (a shadow pack made active)."),
    Column(
        "proposal_id",
        String(32),
        nullable=True,
        comment="The approved proposal this activation carried out (four-eyes); null without one.",
    ),
    PrimaryKeyConstraint("tenant", "activated_at", "pack_hash"),
)

shadow_packs = Table(
    "shadow_packs",
    metadata,
    Column("tenant", TENANT, primary_key=True),
    Column("pack_hash", String(64), nullable=False, comment="A version of the tenant's (rule_packs)."),
    Column(
        "tests",
        JSON,
        nullable=False,
        comment="The candidate's test cases (not part of the hashed content): what promotion runs.",
    ),
    Column("published_by", String(128), nullable=True),
    Column("published_at", WHEN, nullable=False),
    Column("publisher_key", String(32), nullable=True, comment=AUTHOR),
    Column(
        "text",
        Text,
        nullable=True,
        comment="The YAML the candidate was published as shadow from: its version's text once promoted.",
    ),
)

shadow_decisions = Table(
    "shadow_decisions",
    metadata,
    Column("run_id", String(64), nullable=False, comment="The conversation run whose decision this was."),
    Column(
        "decision",
        String(32),
        nullable=False,
        comment="The `decide` local activity's id in the run: one row per decision, however often retried.",
    ),
    Column("tenant", TENANT, nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("shadow_hash", String(64), nullable=False),
    Column("live_hash", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column(
        "event_at", WHEN, nullable=False, comment="The event's time as the rules saw it (the trail's `at`)."
    ),
    Column("event_depth", Integer, nullable=False),
    Column("live_actions", JSON, nullable=False, comment="[{rule, action}] as the decision record has them."),
    Column("shadow_actions", JSON, nullable=False),
    Column("live_matched", JSON, nullable=False, comment="Ids of the rules that matched."),
    Column("shadow_matched", JSON, nullable=False),
    Column("shadow_errors", JSON, nullable=False, comment="Ids of the candidate's rules that failed."),
    Column("differs", Boolean, nullable=False, comment="Whether the actions differ (as `rules diff` says)."),
    Column("at", WHEN, nullable=False, comment="When the comparison was made."),
    PrimaryKeyConstraint("run_id", "decision"),
    Index("ix_shadow_decisions_tenant_at", "tenant", "at"),
)

pack_proposals = Table(
    "pack_proposals",
    metadata,
    Column("proposal_id", String(32), primary_key=True, comment="Public id (p_ and 16 hex digits)."),
    Column("tenant", TENANT, nullable=False),
    Column("kind", String(16), nullable=False, comment="publish or promote (the shadow pack's)."),
    Column("pack_hash", String(64), nullable=False, comment="A version of the tenant's (rule_packs)."),
    Column(
        "base_hash",
        String(64),
        nullable=True,
        comment="The active pack when proposed: approving after it changed is refused (stale).",
    ),
    Column("tests", JSON, nullable=True, comment="A promotion's test cases: the gate re-runs them."),
    Column(
        "text",
        Text,
        nullable=True,
        comment="The YAML the pack was proposed as: its version's text once approved.",
    ),
    Column(
        "diff", JSON, nullable=False, comment="What changes against the base (engine/rules/pack_diff.py)."
    ),
    Column("proposed_by", String(128), nullable=False, comment="`api:<tenant>/<key>`."),
    Column("proposer_key", String(32), nullable=False, comment="The proposing key's id."),
    Column("author_key", String(32), nullable=True, comment=AUTHOR),
    Column("base_activated_at", WHEN, nullable=True, comment=BASE_ACTIVATED),
    Column("proposed_at", WHEN, nullable=False),
    Column("status", String(16), nullable=False, comment="pending, approved or rejected."),
    Column("decided_by", String(128), nullable=True),
    Column("decider_key", String(32), nullable=True),
    Column("decided_at", WHEN, nullable=True),
    Column("comment", Text, nullable=True, comment="The approver's or rejecter's comment."),
    Index("ix_pack_proposals_tenant_proposed_at", "tenant", "proposed_at"),
)
