"""The aiohttp application: middlewares (problem+json errors, body limits, auth, rate limits, roles,
Idempotency-Key) and routes."""

from __future__ import annotations

from aiohttp import web
from temporalio.client import Client

from engine.api.active_packs import ACTIVE_PACKS
from engine.api.agents import routes as agent_routes
from engine.api.audit_export import routes as audit_export_routes
from engine.api.audit_timeline import routes as timeline_routes
from engine.api.auth import STORED_KEYS, DatabaseKeys, KeyStore, auth_middleware
from engine.api.body_limits import body_limits
from engine.api.caching import no_store
from engine.api.console.assets import routes as console_assets
from engine.api.console.floor import routes as console_floor
from engine.api.console.overview import routes as console_overview
from engine.api.console.sessions import SESSIONS, ConsoleSessions, console_gate
from engine.api.console.sessions import routes as console_sign_in
from engine.api.console.workbench import routes as console_workbench
from engine.api.content_reads import record_reads
from engine.api.conversation_calls import Conversations
from engine.api.conversation_reads import routes as read_routes
from engine.api.conversations import CLIENT, CONVERSATIONS, DATABASE, INBOUND_SEEN, SETTINGS, routes
from engine.api.customers import ERASING
from engine.api.customers import routes as customer_routes
from engine.api.email_intake import MAIL_INTAKE
from engine.api.errors import json_errors
from engine.api.idempotency import IDEMPOTENCY, idempotent_posts, lease_for
from engine.api.inbound_email import routes as email_routes
from engine.api.inbound_webhook import routes as webhook_routes
from engine.api.keys import routes as key_routes
from engine.api.kpis import routes as kpi_routes
from engine.api.metrics import count_requests
from engine.api.metrics import routes as metrics_routes
from engine.api.openapi import openapi
from engine.api.pack_parsing import pack_workers
from engine.api.quarantine import routes as quarantine_routes
from engine.api.query_parameters import known_parameters
from engine.api.rate_limits import RATE_LIMITS, RateLimits, limit_rates
from engine.api.readiness import READINESS, Live, Readiness
from engine.api.readiness import routes as readiness_routes
from engine.api.roles import require_role
from engine.api.rules import routes as rule_routes
from engine.api.rules_proposals import routes as proposal_routes
from engine.api.rules_shadow import routes as shadow_routes
from engine.api.subscriptions import routes as subscription_routes
from engine.api.tenant_settings import routes as tenant_settings_routes
from engine.api.webhook_secrets import routes as secret_routes
from engine.db.idempotency import IdempotencyKeys
from engine.db.inbound_seen import InboundSeen
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.mail_intake import mail_intake


async def healthz(request: web.Request) -> web.Response:
    return web.json_response(Live(status="ok").model_dump())


def create_app(client: Client, settings: Settings, keys: KeyStore) -> web.Application:
    database = database_of(settings)
    stored_keys = DatabaseKeys(database)
    sessions = ConsoleSessions(database, keys, stored_keys, settings)
    app = web.Application(
        middlewares=[
            count_requests,
            json_errors,
            body_limits(settings),
            console_gate(sessions),
            auth_middleware(keys, stored_keys),
            record_reads,
            limit_rates,
            require_role,
            known_parameters,
            idempotent_posts,
        ],
        client_max_size=max(settings.max_body_bytes, settings.max_rules_body_bytes, settings.max_email_bytes),
    )
    app[CLIENT] = client
    app[SETTINGS] = settings
    app[STORED_KEYS] = stored_keys
    app[RATE_LIMITS] = RateLimits(settings, database)
    app.router.add_get("/healthz", healthz)
    app.add_routes(readiness_routes)
    app[READINESS] = Readiness()
    app.router.add_get("/v1/openapi.json", openapi)
    app.add_routes(routes)
    app.add_routes(read_routes)
    app.add_routes(rule_routes)
    app.add_routes(shadow_routes)
    app.add_routes(proposal_routes)
    app.add_routes(tenant_settings_routes)
    app.add_routes(webhook_routes)
    app.add_routes(email_routes)
    app.add_routes(quarantine_routes)
    app.add_routes(key_routes)
    app.add_routes(secret_routes)
    app.add_routes(agent_routes)
    app.add_routes(timeline_routes)
    app.add_routes(audit_export_routes)
    app.add_routes(metrics_routes)
    app.add_routes(kpi_routes)
    app.add_routes(subscription_routes)
    app.add_routes(customer_routes)
    app[ERASING] = {}
    app[SESSIONS] = sessions
    for console_routes in (
        console_sign_in,
        console_overview,
        console_floor,
        console_workbench,
        console_assets,
    ):
        app.add_routes(console_routes)
    app[DATABASE] = database
    app[CONVERSATIONS] = Conversations.of(client, settings, database)
    app[ACTIVE_PACKS] = app[CONVERSATIONS].packs
    app[INBOUND_SEEN] = InboundSeen(database)
    app[MAIL_INTAKE] = mail_intake(app[CONVERSATIONS], database)
    lease = lease_for(settings.update_timeout_seconds, settings.rules_time_limit_seconds)
    app[IDEMPOTENCY] = IdempotencyKeys(database, lease)
    app.on_response_prepare.append(no_store)
    app.on_cleanup.append(_close_database)
    app.cleanup_ctx.append(pack_workers(settings.rules_time_limit_seconds))
    return app


async def _close_database(app: web.Application) -> None:
    await app[DATABASE].dispose()
