"""Which role each route needs: one table, checked by one middleware after authentication.

A key has one role in its tenant (engine/db/keys.py):

- `integrator`: conversations and their messages, what a helpdesk front end or a mail gateway does;
- `ops`: its tenant's rule packs (validate, check, test, simulate, diff, coverage, publish, versions,
  shadow mode: publish a candidate as shadow, stop it, promote it; four-eyes: approve or reject
  another key's proposal);
- `auditor`: read-only: conversations, their threads and decisions, the pack versions in force,
  the shadow pack and its report, proposals, the tenant's settings;
- subscriptions (event deliveries to the integrator's systems): integrators create, rotate,
  redeliver and delete them; ops read them too (they are the ones told when one is failing);
- `admin`: every right of the others in its tenant, plus its tenant's keys, webhook secrets and
  settings (four-eyes publishing on or off), and a data subject's requests (a customer's records
  found, exported, erased; auditors read the erasures' records),
  except the audit export (AUDITOR_ONLY: what an auditor is handed, only an auditor's key fetches).

Agents (the roster) are managed by ops; an agent's presence and heartbeats come through the
integrator's backend (the helpdesk front end the agent works in); every role reads the roster.

The table is keyed by route (method and path template), so a route nobody listed is refused to every
role but admin: forgetting an entry closes a door rather than opening one, and a test checks that
every route of the app is listed.
"""

from __future__ import annotations

from aiohttp import web

from engine.api.auth import ROLE, is_open
from engine.api.errors import ApiError, Handler, named

ADMIN = "admin"
INTEGRATOR = frozenset({"integrator", ADMIN})
READER = frozenset({"integrator", "auditor", ADMIN})
LIST_READER = frozenset({"integrator", "auditor", "ops", ADMIN})
OPS = frozenset({"ops", ADMIN})
PACK_READER = frozenset({"ops", "auditor", ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
ROSTER_READER = frozenset({"ops", "integrator", "auditor", ADMIN})
PRESENCE = frozenset({"ops", "integrator", ADMIN})
# for the auditor role only
AUDITOR_ONLY = frozenset({"auditor"})
# KPIs: ops run the floor, auditors check the figures (docs/kpis.md)
KPI_READER = frozenset({"ops", "auditor", ADMIN})
# The ops console (engine/api/console): people who watch the floor or check it; only ops change it.
CONSOLE = frozenset({"ops", "auditor", ADMIN})
# Event subscriptions (engine/api/subscriptions.py): the integrator's systems; ops watch them fail.
SUBSCRIPTION_READER = frozenset({"integrator", "ops", ADMIN})
# The mail quarantine (engine/api/quarantine.py): ops judge it; auditors may list it (without content).
QUARANTINE_LISTER = frozenset({"ops", "auditor", ADMIN})
# A data subject's requests (engine/api/customers.py): the tenant's admin serves them; auditors check
# that they were (the erasures' records hold no address).
ERASURE_READER = frozenset({"auditor", ADMIN})

ROUTE_ROLES: dict[tuple[str, str], frozenset[str]] = {
    # The list's rows carry no message (ids, channel, status, team, assignee, tags, SLA): ops read it
    # as the console's Conversations page shows it to them (403 here, the same rows there).
    ("GET", "/v1/conversations"): LIST_READER,
    ("GET", "/v1/conversations/{conversation_id}"): READER,
    ("GET", "/v1/conversations/{conversation_id}/threads"): READER,
    ("GET", "/v1/conversations/{conversation_id}/decisions"): READER,
    ("GET", "/v1/conversations/{conversation_id}/export"): AUDITOR_ONLY,
    ("POST", "/v1/conversations/{conversation_id}/messages"): INTEGRATOR,
    ("POST", "/v1/conversations/{conversation_id}/replies"): INTEGRATOR,
    ("POST", "/v1/conversations/{conversation_id}/status"): INTEGRATOR,
    ("POST", "/v1/conversations/{conversation_id}/assignment"): INTEGRATOR,
    ("POST", "/v1/conversations/{conversation_id}/unassignment"): INTEGRATOR,
    ("POST", "/v1/conversations/{conversation_id}/survey"): INTEGRATOR,
    ("POST", "/v1/inbound/email"): INTEGRATOR,
    ("GET", "/v1/quarantine"): QUARANTINE_LISTER,
    ("GET", "/v1/quarantine/{quarantine_id}"): OPS,
    ("GET", "/v1/quarantine/{quarantine_id}/raw"): OPS,
    ("POST", "/v1/quarantine/{quarantine_id}/release"): OPS,
    ("DELETE", "/v1/quarantine/{quarantine_id}"): OPS,
    ("POST", "/v1/rules/validate"): OPS,
    ("POST", "/v1/rules/check"): OPS,
    ("POST", "/v1/rules/test"): OPS,
    ("POST", "/v1/rules/simulate"): OPS,
    ("POST", "/v1/rules/diff"): OPS,
    ("POST", "/v1/rules/coverage"): OPS,
    ("POST", "/v1/rules/publish"): OPS,
    ("GET", "/v1/rules/versions"): PACK_READER,
    ("GET", "/v1/rules/activations"): PACK_READER,
    ("POST", "/v1/rules/shadow"): OPS,
    ("GET", "/v1/rules/shadow"): PACK_READER,
    ("DELETE", "/v1/rules/shadow"): OPS,
    ("GET", "/v1/rules/shadow/report"): PACK_READER,
    ("POST", "/v1/rules/shadow/promote"): OPS,
    ("GET", "/v1/rules/proposals"): PACK_READER,
    ("GET", "/v1/rules/proposals/{proposal_id}"): PACK_READER,
    ("POST", "/v1/rules/proposals/{proposal_id}/approve"): OPS,
    ("POST", "/v1/rules/proposals/{proposal_id}/reject"): OPS,
    ("GET", "/v1/tenant/settings"): PACK_READER,
    ("PUT", "/v1/tenant/settings"): ADMIN_ONLY,
    ("GET", "/v1/keys"): ADMIN_ONLY,
    ("POST", "/v1/keys"): ADMIN_ONLY,
    ("DELETE", "/v1/keys/{key_id}"): ADMIN_ONLY,
    ("GET", "/v1/webhook-secrets"): ADMIN_ONLY,
    ("POST", "/v1/webhook-secrets/{channel}/rotate"): ADMIN_ONLY,
    ("POST", "/v1/agents"): OPS,
    ("GET", "/v1/agents"): ROSTER_READER,
    ("GET", "/v1/agents/{agent_id}"): ROSTER_READER,
    ("DELETE", "/v1/agents/{agent_id}"): OPS,
    ("PUT", "/v1/agents/{agent_id}/presence"): PRESENCE,
    ("POST", "/v1/agents/{agent_id}/heartbeat"): PRESENCE,
    ("GET", "/v1/teams/{team}/queue"): ROSTER_READER,
    ("GET", "/v1/conversations/{conversation_id}/timeline"): AUDITOR_ONLY,
    ("GET", "/v1/kpis"): KPI_READER,
    ("POST", "/v1/subscriptions"): INTEGRATOR,
    ("GET", "/v1/subscriptions"): SUBSCRIPTION_READER,
    ("GET", "/v1/subscriptions/{subscription_id}"): SUBSCRIPTION_READER,
    ("PATCH", "/v1/subscriptions/{subscription_id}"): INTEGRATOR,
    ("DELETE", "/v1/subscriptions/{subscription_id}"): INTEGRATOR,
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"): INTEGRATOR,
    ("GET", "/v1/subscriptions/{subscription_id}/deliveries"): SUBSCRIPTION_READER,
    ("GET", "/v1/subscriptions/{subscription_id}/given-up"): SUBSCRIPTION_READER,
    ("POST", "/v1/subscriptions/{subscription_id}/redeliver"): INTEGRATOR,
    ("POST", "/v1/customers/search"): ADMIN_ONLY,
    ("POST", "/v1/customers/export"): ADMIN_ONLY,
    ("POST", "/v1/customers/erasures"): ADMIN_ONLY,
    ("GET", "/v1/customers/erasures"): ERASURE_READER,
    ("GET", "/console"): CONSOLE,
    ("GET", "/console/"): CONSOLE,
    ("GET", "/console/kpis/{metric}"): CONSOLE,
    ("GET", "/console/queue"): CONSOLE,
    ("GET", "/console/conversations"): CONSOLE,
    ("GET", "/console/conversations/{conversation_id}"): CONSOLE,
    ("POST", "/console/agents/{agent_id}/presence"): OPS,
    ("POST", "/console/sign-out"): CONSOLE,
    ("GET", "/console/rules"): CONSOLE,
    ("POST", "/console/rules/check"): CONSOLE,
    ("POST", "/console/rules/shadow"): OPS,
    ("POST", "/console/rules/promote"): OPS,
    ("POST", "/console/rules/stop-shadow"): OPS,
    ("POST", "/console/rules/proposals/{proposal_id}/{decision}"): OPS,
}


def roles_for(method: str, template: str) -> frozenset[str]:
    """The roles allowed on a route; admin alone for a route missing from the table."""
    return ROUTE_ROLES.get((method.upper(), template), ADMIN_ONLY)


def route_template(request: web.Request) -> str | None:
    """The path template of the matched route (`/v1/conversations/{conversation_id}`), None if unmatched."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else None


@web.middleware
async def require_role(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_open(request.path):
        return await handler(request)
    template = route_template(request)
    if template is None:  # 404 or 405: aiohttp answers it, and there is nothing to protect
        return await handler(request)
    method = "GET" if request.method == "HEAD" else request.method
    allowed = roles_for(method, template)
    role = request[ROLE]
    if role not in allowed:
        needed = sorted(allowed - {ADMIN}) or [ADMIN]
        raise ApiError(
            403,
            "forbidden",
            f"{method} {template} needs role {' or '.join(needed)}"
            f"{' (or admin)' if ADMIN in allowed and needed != [ADMIN] else ''}; this key's role is {role}",
            named("role", f"needs {' or '.join(needed)}"),
        )
    return await handler(request)
