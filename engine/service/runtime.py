"""Running the parts: the embedded Temporal server, a worker, the HTTP API, or all of them at once.

`convoflow up` is what `make run` starts: one process supervising the dev server child, a worker and
the API, stopped together by Ctrl-C. `convoflow worker` and `convoflow api` run one part each, for
scaling out against a Temporal cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from temporalio.client import Client

from engine.api.app import create_app
from engine.api.auth import KeyStore, development_key
from engine.db.keys import ensure_tenant, has_keys_beyond
from engine.private_files import open_to_others, private_dir
from engine.service.audit_key import audit_key_of, check_audit_key
from engine.service.config import DEV_TENANT, Settings
from engine.service.connection_guard import GuardedAppRunner
from engine.service.database import database_of, prepare_database, require_shared_database
from engine.service.embedded_service import mark_running
from engine.service.listening import Listeners, listen, sites
from engine.service.mailbox_config import MailboxConfigError, mailboxes_of
from engine.service.metrics_server import serve_worker_metrics, temporal_runtime
from engine.service.payload_keys import keyring_of
from engine.service.temporal_client import connect_checked, ensure_search_attributes
from engine.service.temporal_server import DevServer, PortInUse
from engine.service.worker import build_worker

log = logging.getLogger("convoflow")


FORCED_EXIT = 130  # 128 + SIGINT, as a shell reports a process Ctrl-C ended


def _stop_event(at_once: list[Callable[[], None]] | None = None) -> asyncio.Event:
    """Set at the first Ctrl-C (or SIGTERM): the parts stop in order, work under way finishes. A
    second one stops the process at once, after `at_once` (the embedded Temporal's process group
    killed, the running marker removed): a shutdown waiting for work that does not end (a stuck
    activity's thread) ignored every Ctrl-C after the first, and only `kill -9` ended it, leaving the
    embedded Temporal running and the marker behind (helper-122)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def asked() -> None:
        if not stop.is_set():
            stop.set()
            return
        with contextlib.suppress(Exception):  # a closed pipe must not keep the process alive
            print("convoflow: stopping at once (asked twice); the next worker takes what was under way")
            sys.stdout.flush()
        for step in at_once or []:
            with contextlib.suppress(Exception):
                step()
        os._exit(FORCED_EXIT)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, asked)
    return stop


async def _connect(settings: Settings, address: str | None = None) -> Client:
    client = await connect_checked(settings, address, runtime=temporal_runtime(settings))
    try:
        added = await ensure_search_attributes(client)
        if added:
            log.info("registered search attributes: %s", ", ".join(added))
    except Exception as exc:  # a cluster may deny operator calls; its admin registers them instead
        log.warning("could not check search attributes (%s); register them as README says", exc)
    return client


async def _keys(settings: Settings) -> tuple[KeyStore, str | None]:
    """Configured keys, or (embedded defaults only) a development key for tenant `dev` while no key
    is configured in the settings and the database holds no admin key and no key of another tenant:
    either (`convoflow key create`, or an admin key the development key made) retires it. The ops,
    auditor and integrator keys it makes for its own tenant do not, or following README's
    walk-through would lock tenant `dev` out at a restart.

    Settings keys are admin keys of their tenants, which are created in the database if missing:
    a tenant owns its packs, keys and secrets there, and webhooks are refused for unknown tenants.
    """
    keys = KeyStore.from_settings(settings)
    dev_key = None
    database = database_of(settings)
    try:
        # Only under the embedded defaults: an API against a cluster with no key configured came up
        # with an admin key printed on its console.
        if settings.embedded and not len(keys) and not await has_keys_beyond(database, DEV_TENANT):
            dev_key = development_key(settings.data_dir)
            keys.add_key(DEV_TENANT, dev_key)
        for tenant in sorted(keys.tenants):
            if await ensure_tenant(database, tenant):
                log.debug("created tenant %s (named by a configured API key)", tenant)
    finally:
        await database.dispose()
    return keys, dev_key


async def _start_api(
    client: Client, settings: Settings, keys: KeyStore, sockets: list[socket.socket] | None = None
) -> web.AppRunner:
    """The API served on `sockets` (see `_listen`), or on its host and port when none are given."""
    runner = GuardedAppRunner(create_app(client, settings, keys), share=0.8)
    await runner.setup()
    for site in sites(runner, sockets, settings.api_host, settings.api_port):
        await site.start()
    return runner


async def up(settings: Settings) -> None:
    started = time.monotonic()
    at_once: list[Callable[[], None]] = []
    stop = _stop_event(at_once)
    server: DevServer | None = None
    marker: Path | None = None
    address = settings.temporal_address
    require_shared_database(settings)
    listeners = _listen(settings, api=True, worker=True)
    try:
        if settings.embedded:
            private_dir(settings.data_dir)
            if open_to_others(settings.data_dir):
                log.warning(
                    "the data directory %s is open to other users of this machine (it holds the "
                    "database with contacts and secrets, and the replies sent): chmod 700 it",
                    settings.data_dir.resolve(),
                )
            server = DevServer(
                db_file=settings.data_dir / "temporal.db",
                grpc_port=settings.embedded_grpc_port,
                ui_port=settings.embedded_ui_port,
                fast_timers=settings.embedded_fast_timers,
                log_file=settings.data_dir / "temporal.log",
                ui_codec_endpoint=settings.codec_endpoint,
            )
            try:
                await server.start()
            except PortInUse as exc:
                setting = {server.grpc_port: "GRPC", server.ui_port: "UI"}[exc.port]
                raise RuntimeError(f"{exc} with CONVOFLOW_EMBEDDED_{setting}_PORT") from None
            address = server.address
            at_once.append(server.kill)
            marker = mark_running(settings.data_dir, server.grpc_port)  # CLI commands send only to it
            at_once.append(functools.partial(marker.unlink, missing_ok=True))
        await prepare_database(settings)
        if settings.embedded:  # the development keys exist from the first start on; only `up` makes them
            audit_key_of(settings, create=True)
            keyring_of(settings, create=True)
        await check_audit_key(settings)
        client = await _connect(settings, address)
        keys, dev_key = await _keys(settings)
        worker = build_worker(client, settings)
        worker_task = asyncio.create_task(worker.run())
        runner = await _start_api(client, settings, keys, listeners.api)
        worker_metrics = await serve_worker_metrics(settings, listeners.worker_metrics)
        _print_banner(settings, server, address, dev_key, time.monotonic() - started)
        stop_task = asyncio.create_task(stop.wait())
        # The embedded Temporal gone (killed, crashed): `up` stops, saying so. It ran on, answering
        # /healthz and logging poll failures, while no conversation moved.
        ended: asyncio.Future[int] = (
            asyncio.ensure_future(server.exited())
            if server is not None
            else asyncio.get_running_loop().create_future()
        )
        waited: list[asyncio.Future[Any]] = [worker_task, stop_task, ended]
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        print("convoflow: stopping ... (Ctrl-C again to stop at once)", flush=True)
        await runner.cleanup()
        if worker_metrics is not None:
            await worker_metrics.cleanup()
        if not worker_task.done():
            await worker.shutdown()
        await worker_task  # re-raises a worker that died on its own
        if ended.done() and not stop_task.done():  # not asked to stop: it went first
            raise RuntimeError(
                f"the embedded Temporal server exited (code {ended.result()}): see "
                f"{settings.data_dir / 'temporal.log'}; start `convoflow up` again"
            )
        ended.cancel()
    finally:
        listeners.close()
        if marker is not None:
            marker.unlink(missing_ok=True)
        if server is not None:
            await server.stop()
    print("convoflow: stopped", flush=True)


def _listen(settings: Settings, *, api: bool = False, worker: bool = False) -> Listeners:
    """The ports this process serves, taken before anything starts (engine/service/listening.py).

    A taken port is said at once, naming its setting: found when the API or the worker's metrics
    bound, it came after Temporal and the worker had started (a worker polled, then shut down), as
    asyncio's bind error ("[Errno 98] address already in use") naming no setting.
    """
    listeners = Listeners()
    try:
        if api:
            listeners.api = listen(
                settings.api_host, settings.api_port, what="API", setting="CONVOFLOW_API_PORT"
            )
        if worker and settings.worker_metrics_port is not None:
            listeners.worker_metrics = listen(
                settings.worker_metrics_host,
                settings.worker_metrics_port,
                what="worker metrics",
                setting="CONVOFLOW_WORKER_METRICS_PORT",
            )
    except BaseException:
        listeners.close()
        raise
    return listeners


async def run_worker(settings: Settings) -> None:
    stop = _stop_event()
    require_shared_database(settings)
    listeners = _listen(settings, worker=True)
    try:
        await prepare_database(settings)
        client = await _connect(settings, _address(settings))
        worker = build_worker(client, settings)
    except BaseException:
        listeners.close()
        raise
    task = asyncio.create_task(worker.run())
    try:
        metrics = await serve_worker_metrics(settings, listeners.worker_metrics)
    except BaseException:
        listeners.close()
        raise
    print(f"convoflow worker polling {settings.task_queue!r} on {_address(settings)}", flush=True)
    if metrics is not None:
        where = f"http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics"
        print(f"  worker metrics    {where}", flush=True)
    await asyncio.wait({task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    if metrics is not None:
        await metrics.cleanup()
    if not task.done():
        await worker.shutdown()
    await task


async def run_api(settings: Settings) -> None:
    stop = _stop_event()
    require_shared_database(settings)
    listeners = _listen(settings, api=True)
    try:
        await prepare_database(settings)
        await check_audit_key(settings)
        client = await _connect(settings, _address(settings))
        keys, dev_key = await _keys(settings)
        runner = await _start_api(client, settings, keys, listeners.api)
    except BaseException:
        listeners.close()
        raise
    print(f"convoflow API on http://{settings.api_host}:{settings.api_port}", flush=True)
    if dev_key:
        print(f"  development API key (tenant 'dev'): {dev_key}", flush=True)
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    await runner.cleanup()


def _address(settings: Settings) -> str:
    return settings.temporal_address or f"127.0.0.1:{settings.embedded_grpc_port}"


def mail_lines(settings: Settings) -> list[str]:
    """Where email goes and which mailboxes are read: the banner named only the outbox file, which
    stays empty of email once SMTP is set, and nothing said a mailbox was connected."""
    lines = []
    if settings.smtp_host:
        lines.append(
            f"  email out         SMTP {settings.smtp_host}:{settings.smtp_port}, from {settings.email_from}"
        )
    try:
        names = [m.name for m in mailboxes_of(settings.mailboxes)]
    except MailboxConfigError:  # the worker refuses it at its start, saying why
        names = []
    if names:
        lines.append(f"  mailboxes         {', '.join(names)} (IMAP, read by the worker)")
    return lines


def _print_banner(
    settings: Settings, server: DevServer | None, address: str | None, dev_key: str | None, seconds: float
) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        f"convoflow is up ({seconds:.1f}s)",
        f"  HTTP API          {api}",
        f"  ops console       {api}/console/  (sign in with an ops, auditor or admin key)",
        f"  Temporal gRPC     {address}  namespace {settings.temporal_namespace!r}"
        + ("  (embedded dev server)" if server else ""),
    ]
    if server:
        lines.append(f"  Temporal Web UI   {server.ui_url}")
    lines += [
        f"  data directory    {settings.data_dir.resolve()}",
        # The outbox is the database's table; only embedded defaults mirror it to a file to `tail`.
        "  outbox            "
        + (f"{settings.outbox_path.resolve()}" if settings.database_url is None else "table outbox"),
        *mail_lines(settings),
        f"  worker task queue {settings.task_queue}",
        f"  metrics           {api}/metrics"
        + ("  (Bearer CONVOFLOW_METRICS_TOKEN)" if settings.metrics_token else "  (loopback clients only)"),
    ]
    if settings.temporal_metrics_address:
        lines.append(f"  Temporal SDK metrics http://{settings.temporal_metrics_address}/metrics")
    if dev_key is None and not settings.api_keys and not settings.api_keys_file:
        lines.append(
            "  API keys          in the database (`convoflow key list`): the development key is retired"
        )
    if dev_key:
        lines += [
            f"  development API key (tenant 'dev'): {dev_key}",
            "  try:",
            f"    curl -s -X POST {api}/v1/conversations/c-1/messages \\",
            f"      -H 'Authorization: Bearer {dev_key}' -H 'Content-Type: application/json' \\",
            '      -d \'{"message_id":"m-1","channel":"email",'
            '"sender":{"address":"ada@example.com"},"text":"Hello"}\'',
        ]
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)
