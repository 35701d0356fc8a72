"""The keyring that encrypts conversation content in Temporal history: which key each tenant uses.

Why this shape:

- **Master keys, tenant keys derived.** `CONVOFLOW_PAYLOAD_KEYS` lists master keys as `keyid:base64`
  (32 random bytes each). A tenant's key is HKDF-SHA256(master, info="convoflow payload v1" + tenant),
  so every tenant has its own AES-256 key without the configuration listing tenants: a tenant created
  with `convoflow tenants create` is encrypted under its own key at once, and one tenant's key (say,
  handed to its auditors) decrypts nothing of another's.
- **Explicit tenant keys, optional.** An entry `tenant/keyid:base64` gives one tenant a key of its own
  (for a tenant that wants its key held apart, or rotated on its own schedule). It takes precedence
  over the derived key for that tenant's new payloads.
- **Rotation.** The *last* master key listed (the last key of the tenant, for explicit keys) encrypts,
  unless `CONVOFLOW_PAYLOAD_KEY_SEALING` names another (`k1` for the master, `acme/a1` for a tenant's:
  an older own key, or a master's id for its derived key); every listed key decrypts. Parts of a
  cluster are restarted one by one, so a key that seals at once on the first restarted part sealed
  payloads the others could not open (their API calls failed, their workers' tasks too): list the new
  key with the old one still sealing, then switch the sealing key. Each payload records its key id
  (metadata `encryption-key-id`) and its tenant (`convoflow-tenant`, both also bound into the
  AES-GCM associated data), so decoding never guesses. Drop an old key only when no open
  conversation's history still holds payloads under it (histories live as long as the namespace
  retention after closing).
- **Key ids are unique across the keyring**: a payload's key id names exactly one key.
- **Development default.** Under `make run`'s embedded defaults (no TEMPORAL_ADDRESS) and no configured keys,
  `convoflow up` generates a development keyring once in the data directory (`payload-keys`, mode 0600), so
  content is encrypted from the first run; other commands read it, never make one. Against a cluster, no
  keyring is an error at start: a deployment that forgot its secret would otherwise write personal data in the
  clear, unnoticed. `CONVOFLOW_PAYLOAD_ENCRYPTION=false` turns encryption off explicitly (a warning at every
  start).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.db.key_fingerprints import differing_keys, recorded_keys
from engine.db.keys import TENANT_PATTERN
from engine.private_files import private_dir
from engine.service.config import Settings
from engine.service.database import database_of

KEY_BYTES = 32  # AES-256
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9._\-]{1,32}$")
DERIVATION_INFO = b"convoflow payload v1\x00"
FINGERPRINT_INFO = b"convoflow payload key fingerprint v1"
DEV_KEYRING_FILE = "payload-keys"


class KeyringError(ValueError):
    """The configured keyring cannot be used; the message names the entry, never a key."""


@dataclass(frozen=True)
class Keyring:
    """Master keys and explicit tenant keys, each list oldest first (the last one encrypts)."""

    masters: tuple[tuple[str, bytes], ...]
    tenant_keys: dict[str, tuple[tuple[str, bytes], ...]] = field(default_factory=dict)
    sealing: str | None = None
    """The master key id that seals new payloads (None: the last master)."""
    tenant_sealing: dict[str, str] = field(default_factory=dict)
    """Tenant -> the key id its new payloads are sealed with, when not its last own key: an older own
    key, or a master's id (its derived key), while a new own key reaches every part."""

    def __post_init__(self) -> None:
        if not self.masters:
            raise KeyringError("the payload keyring needs at least one master key (`keyid:base64`)")
        master_ids = {key_id for key_id, _ in self.masters}
        if self.sealing is not None and self.sealing not in master_ids:
            raise KeyringError(
                f"CONVOFLOW_PAYLOAD_KEY_SEALING names {self.sealing!r}, which is not a master key id of "
                "the keyring"
            )
        for tenant, key_id in self.tenant_sealing.items():
            if key_id not in master_ids | {own for own, _ in self.tenant_keys.get(tenant, ())}:
                raise KeyringError(
                    f"CONVOFLOW_PAYLOAD_KEY_SEALING names {tenant}/{key_id}, which is neither a key of "
                    f"tenant {tenant} nor a master key id of the keyring"
                )
        ids = [key_id for key_id, _ in self.masters]
        ids += [key_id for keys in self.tenant_keys.values() for key_id, _ in keys]
        if duplicated := sorted({key_id for key_id in ids if ids.count(key_id) > 1}):
            raise KeyringError(f"payload key ids must be unique; repeated: {', '.join(duplicated)}")

    def sealing_id(self, tenant: str) -> str:
        """The key id new payloads of `tenant` ("" = no tenant known) are sealed under."""
        if pinned := self.tenant_sealing.get(tenant):
            return pinned
        if own := self.tenant_keys.get(tenant):
            return own[-1][0]
        return next((m[0] for m in self.masters if m[0] == self.sealing), self.masters[-1][0])

    def encrypting_key(self, tenant: str) -> tuple[str, bytes]:
        """The key id and AES key new payloads of `tenant` ("" = no tenant known) are sealed with."""
        key_id = self.sealing_id(tenant)
        key = self.decrypting_key(tenant, key_id)
        assert key is not None  # the sealing id is a key of the tenant's or a master's (__post_init__)
        return key_id, key

    def decrypting_key(self, tenant: str, key_id: str) -> bytes | None:
        """The AES key a payload of `tenant` sealed under `key_id` needs; None when not configured."""
        for own_id, key in self.tenant_keys.get(tenant, ()):
            if own_id == key_id:
                return key
        for master_id, master in self.masters:
            if master_id == key_id:
                return derive(master, tenant)
        return None

    def sealing_ids(self) -> list[str]:
        """Every key id new payloads may be sealed with: the sealing master's, then each tenant's
        that has keys of its own or a pinned one."""
        tenants = sorted(set(self.tenant_keys) | set(self.tenant_sealing))
        return list(dict.fromkeys([self.sealing_id(""), *(self.sealing_id(t) for t in tenants)]))

    def tenant_key_ids(self) -> set[str]:
        """The ids of the tenants' own keys (recorded beside the master keys' under their bare id)."""
        return {key_id for keys in self.tenant_keys.values() for key_id, _ in keys}

    def fingerprints(self) -> dict[str, str]:
        """Each key id's fingerprint: a one-way derivation of its key, which tells two different keys
        under one id apart and tells nothing of either (engine/db/key_fingerprints.py)."""
        keys = [*self.masters, *(key for keys in self.tenant_keys.values() for key in keys)]
        return {key_id: fingerprint(key) for key_id, key in keys}

    @classmethod
    def parse(cls, *sources: tuple[str, str], sealing: str | None = None) -> Keyring:
        """One keyring from (text, source name) pairs, in order: see `_entries` for the format.
        `sealing` (CONVOFLOW_PAYLOAD_KEY_SEALING): `keyid` of the sealing master and/or
        `tenant/keyid` entries, comma-separated."""
        masters: list[tuple[str, bytes]] = []
        tenant_keys: dict[str, list[tuple[str, bytes]]] = {}
        for text, source in sources:
            _entries(text, source, masters, tenant_keys)
        master, pinned = _sealing(sealing)
        return cls(tuple(masters), {t: tuple(keys) for t, keys in tenant_keys.items()}, master, pinned)


def _sealing(text: str | None) -> tuple[str | None, dict[str, str]]:
    """The master id and the tenants' key ids CONVOFLOW_PAYLOAD_KEY_SEALING names."""
    masters: list[str] = []
    pinned: dict[str, str] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        tenant, slash, key_id = entry.rpartition("/")
        if slash and tenant in pinned:
            raise KeyringError(f"CONVOFLOW_PAYLOAD_KEY_SEALING names tenant {tenant} twice")
        if slash:
            pinned[tenant] = key_id
        else:
            masters.append(key_id)
    if len(masters) > 1:
        raise KeyringError(
            f"CONVOFLOW_PAYLOAD_KEY_SEALING names {len(masters)} master key ids ({', '.join(masters)}): "
            "one seals; a tenant's is written tenant/keyid"
        )
    return (masters[0] if masters else None), pinned


def _entries(
    text: str, source: str, masters: list[tuple[str, bytes]], tenant_keys: dict[str, list[tuple[str, bytes]]]
) -> None:
    """Entries separated by commas or newlines: `keyid:base64` or `tenant/keyid:base64`; `#` comments."""
    entries = [e.strip() for line in text.splitlines() for e in line.split("#", 1)[0].split(",")]
    for n, entry in enumerate((e for e in entries if e), 1):
        name, sep, encoded = entry.partition(":")
        tenant, slash, key_id = name.rpartition("/")
        where = f"{source} entry {n}"
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise KeyringError(f"{where}: expected `keyid:base64` or `tenant/keyid:base64`")
        if slash and not TENANT_PATTERN.match(tenant):
            raise KeyringError(f"{where}: invalid tenant name")
        key = _decode_key(encoded.strip(), where)
        if slash:
            tenant_keys.setdefault(tenant, []).append((key_id, key))
        else:
            masters.append((key_id, key))


def _decode_key(encoded: str, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: the key is not base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{where}: the key must be {KEY_BYTES} bytes (base64 of 32 random bytes)")
    return key


@lru_cache(maxsize=4096)
def derive(master: bytes, tenant: str) -> bytes:
    """The tenant's AES key from a master key (cached: the same few tenants come back all the time)."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=DERIVATION_INFO + tenant.encode()
    )
    return hkdf.derive(master)


def fingerprint(key: bytes) -> str:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=FINGERPRINT_INFO)
    return hkdf.derive(key).hex()


async def check_key_material(settings: Settings, keyring: Keyring | None, *, part: bool = True) -> None:
    """Refuse (KeyringError) when a key id of `keyring` holds other key material than the cluster
    first used under that id. A part of the cluster (`part`: worker, API, codec server) records the
    ids it is the first to use, but is refused when it would seal under a key id new to a cluster
    that has one, a master's or a tenant's own (a rotation's first restarted part sealed what the
    others could not open);
    a CLI command records none, and is refused when it would seal under an id no part has (a shell
    preparing a rotation sealed with the new key no worker could open). A refused one records nothing."""
    if keyring is None:
        return
    database = database_of(settings)
    try:
        differing, unknown = await differing_keys(database, keyring.fingerprints(), record=False)
        new = [key_id for key_id in keyring.sealing_ids() if key_id in unknown]
        if part and not differing and new and not settings.embedded:
            # Another id recorded: the cluster runs with keys of its own (a fresh one's first seals).
            if others := sorted({k.key_id for k in await recorded_keys(database)}):
                raise KeyringError(
                    f"payload key id {', '.join(new)} would seal this part's payloads, and no other "
                    f"part has started with it (the cluster has {', '.join(others)}): the parts not yet "
                    "restarted could not open them. List it on every part first, with "
                    "CONVOFLOW_PAYLOAD_KEY_SEALING naming the key they seal with (`keyid` for the "
                    "master, `tenant/keyid` for a tenant's), then seal with it (README: Encryption at rest)"
                )
        if part and not differing:
            # Recorded and checked in one transaction: of two parts starting at once with other keys
            # under a new id, the second finds the first's record.
            differing, _ = await differing_keys(database, keyring.fingerprints(), record=True)
    finally:
        await database.dispose()
    if differing:
        raise KeyringError(
            f"payload key id(s) {', '.join(differing)} hold another key than the one this cluster first "
            "used under that id: every part needs the same CONVOFLOW_PAYLOAD_KEYS (a new key needs a new id)"
        )
    if not part and (sealing := sorted(set(keyring.sealing_ids()) & set(unknown))):
        raise KeyringError(
            f"payload key id(s) {', '.join(sealing)} would seal this command's payloads, and no worker or "
            "API has started with them: start the cluster with them first (or set "
            "CONVOFLOW_PAYLOAD_KEY_SEALING to a key id it has)"
        )


def new_key_entry(key_id: str) -> str:
    """A fresh `keyid:base64` master key entry (what `make run` writes, and what to append to rotate)."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def development_keyring(data_dir: Path, *, create: bool = False) -> Keyring:
    """The keyring of the embedded defaults, created once in the data dir by `convoflow up` (`create`)
    and kept across restarts. Anything else only reads it: a command run from another directory
    made a keyring of its own with the same key id, and what it sent the running service (a roster
    signal to the assignment desk) could never be decrypted there, so the desk stopped answering."""
    path = data_dir / DEV_KEYRING_FILE
    if not path.exists() and not create:
        raise KeyringError(
            f"no development payload keyring at {path}: `convoflow up` makes it in its data directory; "
            "run this with the same CONVOFLOW_DATA_DIR (or name the keys: CONVOFLOW_PAYLOAD_KEYS)"
        )
    if not path.exists():
        private_dir(data_dir)
        path.touch(mode=0o600)
        path.write_text(
            "# Development payload keys (convoflow up). Append a line to rotate; keep the old ones.\n"
            + new_key_entry("dev-1")
            + "\n"
        )
    return Keyring.parse((path.read_text(), str(path)))


def keyring_of(settings: Settings, *, create: bool = False) -> Keyring | None:
    """The keyring the settings name; None when encryption is explicitly off.

    Raises KeyringError when a cluster deployment names no keyring (see the module docstring), or
    when the development keyring is not there and this is not `convoflow up` (`create`).
    """
    if not settings.payload_encryption:
        return None
    sources: list[tuple[str, str]] = []
    if settings.payload_keys is not None:
        sources.append((settings.payload_keys.get_secret_value(), "CONVOFLOW_PAYLOAD_KEYS"))
    if settings.payload_keys_file is not None:
        path = settings.payload_keys_file
        try:
            sources.append((path.read_text(), str(path)))
        except OSError as exc:
            raise KeyringError(f"CONVOFLOW_PAYLOAD_KEYS_FILE {path}: {exc.strerror}") from None
    if sources:
        return Keyring.parse(*sources, sealing=settings.payload_key_sealing)
    if not settings.embedded:
        raise KeyringError(
            "no payload keyring: set CONVOFLOW_PAYLOAD_KEYS (or CONVOFLOW_PAYLOAD_KEYS_FILE) to "
            "encrypt conversation content in Temporal history, or CONVOFLOW_PAYLOAD_ENCRYPTION=false"
        )
    return development_keyring(settings.data_dir, create=create)
