"""Reading one conversation out of Temporal and the database into an audit bundle, and bundles from disk.

A conversation is one workflow for its whole life; its runs are the continue-as-new chain of that
workflow id, found by walking back from the latest run through each run's start event (visibility
may lag a fresh run), plus any other run visibility lists under the id. Each run's history is
fetched as Temporal stores it. The decision trail is what the workflow's `decisions` query answers
on each run (Temporal rebuilds it from the history; a run carries only the newest records into
the next, so earlier runs are asked too and their records merged in order), and the packs are the
ones those records name, read from the pack store by hash. engine/audit/bundle.py builds and seals
the document.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHistory, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from engine.audit.bundle import (
    BundleError,
    BundleParts,
    RunHistory,
    as_files,
    build,
    from_files,
    histories,
    loads,
)
from engine.audit.chain import canonical_json
from engine.contracts.conversation import DecisionEntry, conversation_workflow_id, external_id_of
from engine.db.packs import AlteredPack, PackStore, UnknownPack
from engine.private_files import open_private, write_private
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow

QUERY_SECONDS = 30.0
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""A zip's files together, as they unpack (the longest conversations' bundles are tens of MB)."""
CONVERSATION_TYPE = "ConversationWorkflow"
_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Recorded:
    """One run's history and whose it is, for a replay report."""

    conversation: str
    run_id: str
    history: WorkflowHistory


class ConversationNotFound(LookupError):
    """No workflow under this conversation's id in this tenant."""


def exporter_version() -> str:
    try:
        return metadata.version("convoflow")
    except metadata.PackageNotFoundError:
        return "unknown"


async def run_ids(client: Client, workflow_id: str) -> list[str]:
    """Every run of the conversation's workflow, oldest first; ConversationNotFound when there is none."""
    try:
        latest = (await client.get_workflow_handle(workflow_id).describe()).run_id
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ConversationNotFound(workflow_id) from None
        raise
    assert latest is not None
    chain, run_id = [], latest
    while run_id:
        chain.append(run_id)
        # Its first event only (a page of one): the whole history of every run was read for it.
        events = client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events(page_size=1)
        first = await anext(aiter(events))
        run_id = first.workflow_execution_started_event_attributes.continued_execution_run_id
        if run_id in chain:  # never expected; guards against a loop
            break
    chain.reverse()
    listed = [wf async for wf in client.list_workflows(f"WorkflowId = '{_quoted(workflow_id)}'")]
    earlier = sorted((wf.start_time, wf.run_id) for wf in listed if wf.run_id not in chain)
    return [run for _, run in earlier] + chain


def _quoted(value: str) -> str:
    """A visibility query literal; conversation ids and tenants are restricted to safe characters."""
    if not _SAFE.match(value.replace(":", "")):
        raise ValueError(f"unsafe characters in {value!r}")
    return value


async def export(
    client: Client, database: AsyncEngine, tenant: str, conversation: str, key: bytes
) -> dict[str, Any]:
    """The sealed bundle of one conversation of `tenant`."""
    workflow_id = conversation_workflow_id(tenant, conversation)
    runs = await run_ids(client, workflow_id)
    # The trail first, then the histories: every record's event is in the history fetched.
    entries, notes = await whole_trail(client, workflow_id, runs)
    trail = [entry.model_dump(mode="json") for entry in entries]
    histories_ = []
    for run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories_.append(RunHistory(run_id=run_id, history=json.loads(history.to_json())))
    packs = await _packs(database, trail, notes)
    parts = BundleParts(
        conversation=conversation,
        workflow_id=workflow_id,
        tenant=tenant,
        exported_at=datetime.now(UTC).isoformat(),
        exporter_version=exporter_version(),
        runs=histories_,
        packs=packs,
        decisions=trail,
        notes=notes,
    )
    return await asyncio.to_thread(build, parts, key)  # hashing every record: off the event loop


async def whole_trail(
    client: Client, workflow_id: str, runs: list[str]
) -> tuple[list[DecisionEntry], list[str]]:
    """The decision trail of every run of the conversation, oldest first, each record once (a run
    carries its newest records into the next), and a note for each earlier run that could not
    answer; the latest run's failure is raised. A run's own trail holds its last 500 records: read
    from the latest run alone, a conversation that continued as new lost its early decisions."""
    notes: list[str] = []
    trail: list[DecisionEntry] = []
    seen: set[bytes] = set()
    for run_id in runs:
        handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id, run_id=run_id)
        try:
            entries = await handle.query(
                ConversationWorkflow.decisions, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
            )
        except (WorkflowQueryFailedError, RPCError) as exc:
            if run_id == runs[-1]:
                raise
            notes.append(f"run {run_id} did not answer the decisions query ({type(exc).__name__})")
            continue
        for entry in entries:
            if (fingerprint := canonical_json(entry.model_dump(mode="json"))) not in seen:
                seen.add(fingerprint)
                trail.append(entry)
    return trail, notes


async def _packs(database: AsyncEngine, trail: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    hashes = {
        str(record["decision"]["pack_hash"])
        for record in trail
        if isinstance(record.get("decision"), dict) and record["decision"].get("pack_hash")
    }
    store = PackStore(database)
    packs: dict[str, Any] = {}
    for digest in sorted(hashes):
        try:
            packs[digest] = (await store.get(digest)).canonical()
        except (UnknownPack, AlteredPack) as exc:
            notes.append(str(exc))
    return packs


async def conversations(client: Client, tenant: str, since: datetime | None = None) -> list[str]:
    """The tenant's conversations (external ids), with activity at or after `since` when given (the
    minute `since` falls in: lists hold the minute of a conversation's latest activity)."""
    query = f"WorkflowType = '{CONVERSATION_TYPE}' AND ConvoTenant = '{_quoted(tenant)}'"
    if since is not None:
        query += f" AND {sa.active_since(since)}"
    found: dict[str, None] = {}
    async for wf in client.list_workflows(query):
        found.setdefault(external_id_of(wf.id), None)
    return sorted(found)


async def recorded_runs(client: Client, tenant: str) -> list[Recorded]:
    """Every run of every conversation of the tenant, as Temporal holds them (for `replay --all`)."""
    out = []
    for conversation in await conversations(client, tenant):
        workflow_id = conversation_workflow_id(tenant, conversation)
        for run_id in await run_ids(client, workflow_id):
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
            out.append(Recorded(conversation, run_id, history))
    return out


def recorded_in(bundle: Any) -> list[Recorded]:
    """The histories of a bundle, ready to replay under the conversation's workflow id."""
    manifest = bundle["manifest"] if isinstance(bundle, dict) else {}
    workflow_id = str(manifest.get("workflow_id", ""))
    conversation = str(manifest.get("conversation", workflow_id))
    return [
        Recorded(conversation, run_id, WorkflowHistory.from_json(workflow_id, history))
        for run_id, history in histories(bundle)
    ]


@dataclass(frozen=True)
class Written:
    path: Path
    size: int


def write_bundle(path: Path, bundle: dict[str, Any]) -> Written:
    """One JSON document, or a zip of JSON files when `path` ends in .zip; mode 0600 (personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".zip":
        with (
            open_private(path) as file,
            zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for name, data in as_files(bundle).items():
                archive.writestr(name, data)
    else:
        write_private(path, canonical_json(bundle))
    return Written(path, path.stat().st_size)


def read_bundle(path: Path) -> dict[str, Any]:
    """A bundle from a file either form; BundleError, naming the path, when it is neither."""
    try:
        return _bundle_of(path.read_bytes())
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}") from None


def _bundle_of(data: bytes) -> dict[str, Any]:
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return from_files(_unpacked(archive))
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as exc:
            # A damaged entry (its CRC), a compression or an encryption zipfile does not read.
            raise BundleError(f"the archive cannot be read: {exc}") from None
    try:
        bundle = loads(data, "the bundle")
    except BundleError:
        raise
    except json.JSONDecodeError as exc:
        if data.lstrip()[:1] == b"{":  # a JSON bundle cut short or damaged, not some other file
            raise BundleError(
                f"not valid JSON (cut short or damaged?): {exc.msg} at byte {exc.pos}"
            ) from None
        raise BundleError("neither a JSON bundle nor a zip") from None
    except (ValueError, UnicodeDecodeError):
        raise BundleError("neither a JSON bundle nor a zip") from None
    if not isinstance(bundle, dict):
        raise BundleError("not an audit bundle")
    return bundle


def _unpacked(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """Each file's bytes, read no further than MAX_UNPACKED_BYTES in all: the sizes an archive
    declares are its own word (a 400 KB zip declaring 2 bytes inflated 883 MB before its CRC failed)."""
    files: dict[str, bytes] = {}
    left = MAX_UNPACKED_BYTES
    for info in _members(archive):
        with archive.open(info) as member:
            data = member.read(left + 1)  # inflates at most this much
        if len(data) > left:
            raise BundleError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES:,} bytes: not read")
        left -= len(data)
        files[info.filename] = data
    return files


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's files, refused before any is read when one name comes twice or they unpack to
    more than MAX_UNPACKED_BYTES. Two entries of one name read as the last, so an edited copy
    before the original passed `verify` while `unzip` shows the edited one; a 1.5 MB zip unpacking
    to 1.5 GB took 3 GB of memory before anything was checked."""
    # A folder's own entry (`history/`), which `zip -r` of an unpacked bundle adds, holds no file:
    # only files are the bundle's (an extra one still fails the manifest's check).
    files = [info for info in archive.infolist() if not info.is_dir()]
    names = [info.filename for info in files]
    if twice := sorted({name for name in names if names.count(name) > 1}):
        raise BundleError(f"the archive holds {', '.join(twice)} more than once: one copy could hide another")
    if (size := sum(info.file_size for info in files)) > MAX_UNPACKED_BYTES:
        raise BundleError(
            f"the archive unpacks to {size:,} bytes, over {MAX_UNPACKED_BYTES:,}: not read "
            "(a conversation's bundle is far smaller)"
        )
    return files
