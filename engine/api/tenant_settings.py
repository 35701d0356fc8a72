"""`GET|PUT /v1/tenant/settings`: the caller's tenant's own settings (today: four-eyes publishing).

An admin key sets `require_approval`; ops and auditors read it, with every change (who, when, to
what), because turning the control off is what a reviewer of the pack history needs to see.
`convoflow tenant set NAME --require-approval on|off` does the same from a shell.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from engine.api.auth import KEY_ID, TENANT
from engine.api.conversations import DATABASE, read_body
from engine.db.tenant_settings import SettingChange, TenantSettings, set_require_approval, settings_of

routes = web.RouteTableDef()


class SettingsInput(BaseModel):
    """The settings to change; one left out keeps its value."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    require_approval: bool | None = None
    """Four-eyes: publishing or promoting a pack makes a proposal that another ops or admin key of the
    tenant approves (POST /v1/rules/proposals/{proposal_id}/approve)."""


class SettingsView(BaseModel):
    """The tenant's settings, with every change (who, when, to what), newest first."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    require_approval: bool
    """Four-eyes publishing: a publish or promotion waits for a second key's approval."""
    changes: list[SettingChange]


def _shown(settings: TenantSettings) -> dict:
    return SettingsView(require_approval=settings.require_approval, changes=settings.changes).model_dump(
        mode="json"
    )


@routes.get("/v1/tenant/settings")
async def show_settings(request: web.Request) -> web.Response:
    return web.json_response(_shown(await settings_of(request.app[DATABASE], request[TENANT])))


@routes.put("/v1/tenant/settings")
async def change_settings(request: web.Request) -> web.Response:
    body = await read_body(request, SettingsInput)
    database = request.app[DATABASE]
    tenant = request[TENANT]
    if body.require_approval is not None:
        await set_require_approval(
            database, tenant, body.require_approval, changed_by=f"api:{tenant}/{request[KEY_ID]}"
        )
    return web.json_response(_shown(await settings_of(database, tenant)))
