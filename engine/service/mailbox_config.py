"""Which support mailboxes the worker reads, per tenant: CONVOFLOW_MAILBOXES (JSON, or a file of it).

    [{"name": "acme-support", "tenant": "acme", "host": "imap.example.com", "user": "support@acme.example",
      "password_env": "ACME_IMAP_PASSWORD", "folder": "INBOX", "processed_folder": "Convoflow"}]

Passwords are never in this document, in code, in logs or in the database: each mailbox names the
environment variable (`password_env`) or the file (`password_file`, e.g. a mounted secret) its
password is read from, when it connects. Transport security is TLS (implicit, port 993) by default,
or STARTTLS (refused if the server does not offer it: never a silent fall back to clear text); plain
IMAP only to a loopback address (the tests' Dovecot) or with an explicit `allow_plain: true`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from engine.contracts.ids import ID_PATTERN
from engine.contracts.single_line import SINGLE_LINE
from engine.db.keys import TENANT_PATTERN
from engine.mail.addresses import with_name_read

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}


class MailboxConfigError(ValueError):
    """The mailboxes setting cannot be used; the message names the mailbox and field, never a secret."""


class MailboxConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=ID_PATTERN, max_length=64, description="Names the mailbox in logs and metrics.")
    tenant: str = Field(pattern=TENANT_PATTERN.pattern)
    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535, description="Default 993 (tls) or 143.")
    security: Literal["tls", "starttls", "plain"] = "tls"
    allow_plain: bool = Field(default=False, description="Allow `plain` to a non-loopback host.")
    cafile: Path | None = Field(default=None, description="Trust this CA bundle (a private CA).")
    user: str = Field(min_length=1, max_length=320)
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    password_file: Path | None = None
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    processed_folder: str | None = Field(
        default=None,
        max_length=200,
        description="Move taken mail here; unset: it stays, flagged $ConvoflowTaken (and \\Seen).",
    )
    address: str | None = Field(
        default=None,
        max_length=320,
        description="The support address, bare (`support@acme.example`; default: `user`, if it is one).",
    )
    display_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=SINGLE_LINE,
        description="The name replies come from (`Acme Support`); default: CONVOFLOW_EMAIL_FROM_NAME.",
    )
    existing_mail: Literal["unread", "all"] = Field(
        default="unread",
        description="The mail already in the folder when the mailbox was first connected: `unread` takes "
        "only what nobody has read (a mailbox connected with a year of handled mail in it acknowledged "
        "every one of those customers), `all` takes it all. Mail that comes later is always taken.",
    )
    idle: bool = Field(default=True, description="Use IMAP IDLE when the server has it; else poll.")
    poll_seconds: float = Field(default=30.0, gt=0, le=3600, description="Poll interval, and IDLE's renewal.")

    @model_validator(mode="after")
    def _checked(self) -> MailboxConfig:
        if (self.password_env is None) == (self.password_file is None):
            raise ValueError("give exactly one of password_env or password_file")
        if self.security == "plain" and not self.allow_plain and not _loopback(self.host):
            raise ValueError("plain IMAP (no TLS) only to a loopback address, or with allow_plain: true")
        return self

    @model_validator(mode="before")
    @classmethod
    def _named_address(cls, given: Any) -> Any:
        """`"address": "Acme Support <s@acme.example>"` is read as the address and its name (kept
        whole, a mail from the mailbox itself was never recognised as a loop); not one mailbox at
        all, it is refused naming the field."""
        return with_name_read(given, "address", "display_name")

    @property
    def server_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def support_address(self) -> str | None:
        if self.address:
            return self.address
        return self.user if "@" in self.user else None

    def password_digest(self) -> bytes | None:
        """The password's digest as read now (None: it cannot be read)."""
        try:
            return password_digest(self.password())
        except MailboxConfigError:
            return None

    def password(self) -> str:
        """Read now (rotation needs no restart); the error names where it looked, never a value."""
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if not value:
                # The log line names the mailbox already ("mailbox x (tenant t): ..."): said once.
                raise MailboxConfigError(f"environment variable {self.password_env} is not set")
            return value
        assert self.password_file is not None
        try:
            value = self.password_file.read_text().strip()
        except OSError as exc:
            raise MailboxConfigError(f"cannot read password_file ({exc.strerror})") from None
        if not value:  # as an unset variable: no login tried with it (a file being rewritten)
            raise MailboxConfigError("password_file is empty")
        return value


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_MAILBOXES: TypeAdapter[list[MailboxConfig]] = TypeAdapter(list[MailboxConfig])


def mailboxes_of(text: str | None) -> list[MailboxConfig]:
    """The mailboxes of CONVOFLOW_MAILBOXES: JSON (a list), or the path of a file holding it."""
    if not text or not text.strip():
        return []
    source = text.strip()
    if not source.startswith("["):
        try:
            source = Path(source).read_text()
        except OSError as exc:
            raise MailboxConfigError(f"CONVOFLOW_MAILBOXES: cannot read {text!r} ({exc.strerror})") from None
    try:
        found = _MAILBOXES.validate_python(json.loads(source))
    except json.JSONDecodeError as exc:
        raise MailboxConfigError(f"CONVOFLOW_MAILBOXES is not JSON: line {exc.lineno}: {exc.msg}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MailboxConfigError(f"CONVOFLOW_MAILBOXES [{where}]: {first['msg']}") from None
    names = [m.name for m in found]
    if len(set(names)) != len(names):
        raise MailboxConfigError("CONVOFLOW_MAILBOXES: mailbox names must be unique")
    return found


def password_digest(password: str) -> bytes:
    """Tells a mended password from the one refused without keeping either."""
    return hashlib.sha256(password.encode()).digest()
