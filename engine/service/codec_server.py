"""`convoflow codec-server`: the Temporal codec server protocol, so people allowed to read a tenant's
conversations can see them decrypted in the Temporal Web UI or the `temporal` CLI.

Protocol (what the Web UI and `temporal ... --codec-endpoint` speak): `POST /decode` and
`POST /encode` with `{"payloads": [Payload as protobuf JSON, ...]}`, answering the same shape; the UI
calls from the browser, so the configured UI origins get CORS headers (preflight included).

Who may decode: a Bearer API key of role `auditor` or `admin` (settings keys count as `admin`, as in
the API), and only payloads sealed for the key's tenant: a batch holding another tenant's payload (or
one under the deployment-wide key) is refused whole with 403, naming the payload's index. Plain
payloads (written before encryption) come back unchanged. `/encode` seals under the caller tenant's
current key (the UI uses it for signals and queries typed in by hand).
The Web UI can only send its own OIDC access token, not a convoflow key: put an authenticating proxy
in front of this server for the UI, or use the CLI's `--codec-auth "Bearer <key>"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from engine.api.auth import DatabaseKeys, KeyStore
from engine.api.errors import ApiError, Handler, json_errors, malformed_json, named
from engine.service.config import Settings
from engine.service.connection_guard import GuardedAppRunner
from engine.service.database import database_of, prepare_database
from engine.service.payload_codec import (
    PayloadDecryptionError,
    is_encrypted,
    seal,
    tenant_of_payload,
    unseal,
)
from engine.service.payload_keys import Keyring, KeyringError, check_key_material, keyring_of
from engine.service.runtime import _keys, _stop_event  # the API's key rules, dev key included

log = logging.getLogger("convoflow.codec")

CODEC_ROLES = ("auditor", "admin")
MAX_BODY_BYTES = 8 * 1024 * 1024  # a batch of payloads up to Temporal's 2 MiB each
KEYRING = web.AppKey("keyring", Keyring)
KEYS = web.AppKey("keys", KeyStore)
STORED = web.AppKey("stored", DatabaseKeys)
ORIGINS = web.AppKey("origins", frozenset)
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


async def _caller_tenant(request: web.Request) -> str:
    """The tenant of the Bearer key; 401 without a valid key, 403 for a role that may not read."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            "missing API key: send `Authorization: Bearer <key>`",
            named("Authorization", "missing Bearer token"),
        )
    tenant, role = request.app[KEYS].tenant_for(token), "admin"
    if tenant is None and (identity := await request.app[STORED].identity_for(token)) is not None:
        tenant, role = identity.tenant, identity.role
    if tenant is None:
        raise ApiError(401, "unauthorized", "unknown API key", named("Authorization", "unknown key"))
    if role not in CODEC_ROLES:
        raise ApiError(
            403,
            "forbidden",
            f"role {role!r} may not decode payloads; needs one of: {', '.join(CODEC_ROLES)}",
            named("Authorization", f"role {role!r}; needs auditor or admin"),
        )
    return tenant


async def _payloads(request: web.Request) -> list[Payload]:
    try:
        body = json.loads(await request.read())
    except json.JSONDecodeError as exc:
        raise malformed_json(exc) from None
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_json", "request body is not UTF-8 JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("payloads"), list):
        raise ApiError(
            422,
            "invalid_request",
            'expected {"payloads": [...]}',
            named("payloads", "a list of payloads is required"),
        )
    try:
        parsed = json_format.ParseDict(body, Payloads(), ignore_unknown_fields=True)
    except json_format.ParseError:
        raise ApiError(
            422,
            "invalid_request",
            "payloads: not Temporal payloads in protobuf JSON",
            named("payloads", "each item needs base64 `metadata` values and `data`"),
        ) from None
    return list(parsed.payloads)


def _answer(payloads: list[Payload]) -> web.Response:
    return web.json_response(json_format.MessageToDict(Payloads(payloads=payloads)) or {"payloads": []})


async def decode(request: web.Request) -> web.Response:
    tenant = await _caller_tenant(request)
    payloads = await _payloads(request)
    for index, payload in enumerate(payloads):
        if is_encrypted(payload) and tenant_of_payload(payload) != tenant:
            raise ApiError(
                403,
                "forbidden",
                f"payloads[{index}] is not sealed for your tenant",
                named(f"payloads[{index}]", "sealed for another tenant"),
            )
    decoded = []
    for index, payload in enumerate(payloads):
        try:
            decoded.append(unseal(request.app[KEYRING], payload) if is_encrypted(payload) else payload)
        except PayloadDecryptionError as exc:
            raise ApiError(
                422,
                "undecryptable",
                f"payloads[{index}]: {exc}",
                named(f"payloads[{index}]", str(exc)),
            ) from None
    return _answer(decoded)


async def encode(request: web.Request) -> web.Response:
    tenant = await _caller_tenant(request)
    payloads = await _payloads(request)
    return _answer([seal(request.app[KEYRING], payload, tenant) for payload in payloads])


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for the configured Web UI origins; the preflight is answered here, before auth."""
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin in request.app[ORIGINS]
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204 if allowed else 403)
    else:
        response = await handler(request)
    if allowed and origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Vary"] = "Origin"
    return response


def create_codec_app(settings: Settings, keyring: Keyring, keys: KeyStore) -> web.Application:
    """The codec server application (its database engine is disposed when the app stops)."""
    database = database_of(settings)
    app = web.Application(middlewares=[cors, json_errors], client_max_size=MAX_BODY_BYTES)
    app[KEYRING] = keyring
    app[KEYS] = keys
    app[STORED] = DatabaseKeys(database)
    app[ORIGINS] = settings.codec_origins()
    app.router.add_post("/decode", decode)
    app.router.add_post("/encode", encode)

    async def dispose(_: web.Application) -> None:
        await database.dispose()

    app.on_cleanup.append(dispose)
    return app


async def run_codec_server(settings: Settings) -> None:
    """`convoflow codec-server`: serve until SIGINT/SIGTERM."""
    keyring = keyring_of(settings)
    if keyring is None:
        raise KeyringError(
            "payload encryption is off (CONVOFLOW_PAYLOAD_ENCRYPTION=false): nothing to decode"
        )
    stop = _stop_event()
    await prepare_database(settings)
    await check_key_material(settings, keyring)
    keys, dev_key = await _keys(settings)
    runner = GuardedAppRunner(create_codec_app(settings, keyring, keys), share=0.1)
    await runner.setup()
    await web.TCPSite(runner, settings.codec_server_host, settings.codec_server_port).start()
    url = f"http://{settings.codec_server_host}:{settings.codec_server_port}"
    print(
        f"convoflow codec server on {url} (CORS: {', '.join(sorted(settings.codec_origins()))})", flush=True
    )
    if dev_key:
        print(f"  development API key (tenant 'dev'): {dev_key}", flush=True)
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    await runner.cleanup()
