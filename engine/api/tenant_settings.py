"""`GET|PUT /v1/tenant/settings`: the caller's tenant's own settings: four-eyes publishing, and how
long closed conversations are kept (retention).

An admin key sets them; ops and auditors read them, with every change (who, when, to what), because
turning the control off, or shortening the keep time, is what a reviewer needs to see.
`convoflow tenant set NAME --require-approval on|off --retention-days N|off` does the same from a
shell.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import DATABASE, read_body
from engine.db.retention_sweeps import MAX_KEEP_DAYS, LastSweep, retention_of, set_keep_days
from engine.db.tenant_settings import SettingChange, TenantSettings, set_require_approval, settings_of

routes = web.RouteTableDef()


class SettingsInput(BaseModel):
    """The settings to change; one left out keeps its value."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    require_approval: bool | None = None
    """Four-eyes: publishing or promoting a pack makes a proposal that another ops or admin key of the
    tenant approves (POST /v1/rules/proposals/{proposal_id}/approve)."""
    retention_days: int | None = Field(default=None, strict=True, ge=1, le=MAX_KEEP_DAYS)
    """Keep a closed conversation this many days after its last activity, then delete it (its
    workflow runs and rows; KPI facts stay); `null` keeps conversations for ever. Left out: unchanged.
    The workers sweep at once on a change, then every CONVOFLOW_RETENTION_SWEEP_MINUTES."""


class RetentionSweeps(BaseModel):
    """The workers' sweeps of the tenant's closed conversations past `retention_days`."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    next_sweep_at: str | None
    """When a worker sweeps next (ISO instant); null when conversations are kept for ever."""
    last_sweep: LastSweep | None
    """What the last sweep did; null before the first."""


class SettingsView(BaseModel):
    """The tenant's settings, with every change (who, when, to what), newest first."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    require_approval: bool
    """Four-eyes publishing: a publish or promotion waits for a second key's approval."""
    retention_days: int | None
    """Days a closed conversation is kept after its last activity; null: kept for ever."""
    retention: RetentionSweeps
    """The sweeps that delete what is kept no longer: when the next runs, what the last did."""
    changes: list[SettingChange]


async def _shown(request: web.Request) -> web.Response:
    database, tenant = request.app[DATABASE], request[TENANT]
    settings: TenantSettings = await settings_of(database, tenant)
    retention = await retention_of(database, tenant)
    view = SettingsView(
        require_approval=settings.require_approval,
        retention_days=retention.keep_days,
        retention=RetentionSweeps(next_sweep_at=retention.next_sweep_at, last_sweep=retention.last_sweep),
        changes=settings.changes,
    )
    return web.json_response(view.model_dump(mode="json"))


@routes.get("/v1/tenant/settings")
async def show_settings(request: web.Request) -> web.Response:
    return await _shown(request)


@routes.put("/v1/tenant/settings")
async def change_settings(request: web.Request) -> web.Response:
    body = await read_body(request, SettingsInput)
    database = request.app[DATABASE]
    tenant = request[TENANT]
    changed_by = f"api:{tenant}/{request[KEY_ID]}"
    if body.require_approval is not None:
        await set_require_approval(database, tenant, body.require_approval, changed_by=changed_by)
    if "retention_days" in body.model_fields_set:  # null given: kept for ever; left out: unchanged
        await set_keep_days(database, tenant, body.retention_days, changed_by=changed_by)
    return await _shown(request)
