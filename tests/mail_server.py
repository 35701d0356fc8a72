"""A real IMAP server for the tests: Debian's dovecot-imapd, unprivileged, in a temporary directory.

One Dovecot per test session (starting it costs ~0.2 s, but every test pays nothing after): plain
IMAP (with STARTTLS) and implicit TLS (imaps) on free ports of 127.0.0.1, a self-signed certificate
made here, and throwaway users in a passwd-file. `make test` installs the package (.ci/dovecot.sh);
without it the tests that need it fail saying how, never skip.

Recipe measured in /work/shared/notes/real-servers.md: Dovecot refuses to run its login process as
root, so it uses the package's `dovecot`/`dovenull` users and mail owned by `nobody`.
"""

from __future__ import annotations

import datetime
import imaplib
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aioimaplib
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
INSTALL_HINT = "apt-get update && apt-get install -y dovecot-imapd   (or run .ci/dovecot.sh as root)"
PASSWORD = "secret-imap-password"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    """Plain IMAP, STARTTLS offered."""
    tls_port: int
    """Implicit TLS (imaps)."""
    cafile: Path
    """The self-signed certificate the server presents (trust it to verify)."""
    root: Path
    users: Path

    def add_user(self, user: str, password: str = PASSWORD) -> str:
        """A throwaway mailbox user, once Dovecot lets it log in.

        Dovecot notices a changed passwd-file by its stat, which two additions within the same
        second may not change visibly: so wait for the login to work (the observable event).
        """
        with self.users.open("a") as out:
            out.write(f"{user}:{{PLAIN}}{password}::::::\n")
        deadline = time.monotonic() + 10
        while True:
            with imaplib.IMAP4(self.host, self.port, timeout=5) as probe:
                try:
                    probe.login(user, password)
                    return user
                except imaplib.IMAP4.error:
                    if time.monotonic() > deadline:
                        raise
            os.utime(self.users)  # a new stamp for Dovecot's next look
            time.sleep(0.05)

    def kick(self, user: str) -> None:
        """End the user's sessions from the server's side, as a restart or an administrator does."""
        subprocess.run(
            [DOVEADM, "-c", str(self.root / "dovecot.conf"), "kick", user], check=True, capture_output=True
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
# A test's wrong password slowed every later login from 127.0.0.1, up to 15 s each (Dovecot's auth
# penalty, by address): the mailbox tests held each other up, past their time limits on a loaded
# machine. Refused at once, and nothing held against the address.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


def start_dovecot(root: Path) -> tuple[Dovecot, subprocess.Popen[bytes]]:
    """Dovecot serving on 127.0.0.1, ready for logins; the caller stops the process (SIGTERM)."""
    if not os.path.exists(DOVECOT):
        raise RuntimeError(
            f"the IMAP tests need Debian's dovecot-imapd, which is not installed: {INSTALL_HINT}"
        )
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(exist_ok=True)
    shutil.chown(root / "mail", "nobody", "nogroup")
    cert, key = self_signed(root)
    users = root / "users"
    users.write_text("")
    port, tls_port = free_port(), free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, cert=cert, key=key, port=port, tls_port=tls_port))
    server = Dovecot("127.0.0.1", port, tls_port, cert, root, users)
    return server, run_dovecot(server)


def run_dovecot(server: Dovecot) -> subprocess.Popen[bytes]:
    """Dovecot started on its configuration, once it answers; the caller stops it (`stop_dovecot`)."""
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(server.root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}: {output[-2000:]}")
        try:
            with socket.create_connection((server.host, server.port), timeout=0.5) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return process
        except OSError:
            time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    raise RuntimeError("dovecot did not answer on 127.0.0.1 within 15 s")


def stop_dovecot(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session; each test adds its own user (mailbox)."""
    root = Path(tempfile.mkdtemp(prefix="convoflow-dovecot-"))
    root.chmod(0o755)  # Dovecot's unprivileged processes must reach the users file and the mail
    server, process = start_dovecot(root / "server")
    try:
        yield server
    finally:
        stop_dovecot(process)
        shutil.rmtree(root, ignore_errors=True)


async def imap_session(server: Dovecot, user: str) -> aioimaplib.IMAP4_SSL:
    """A logged-in test client over implicit TLS (verifying the server's certificate)."""
    client = aioimaplib.IMAP4_SSL(
        server.host, server.tls_port, ssl_context=ssl.create_default_context(cafile=str(server.cafile))
    )
    await client.wait_hello_from_server()
    response = await client.login(user, PASSWORD)
    assert response.result == "OK", response
    return client


async def append(server: Dovecot, user: str, *messages: bytes, folder: str = "INBOX") -> None:
    """Put mail into the user's mailbox as a mail server's delivery would (IMAP APPEND)."""
    client = await imap_session(server, user)
    try:
        for raw in messages:
            response = await client.append(raw, mailbox=folder)
            assert response.result == "OK", response
    finally:
        await client.logout()


async def untaken(server: Dovecot, user: str, folder: str = "INBOX") -> list[str]:
    """UIDs of the mails in `folder` not yet marked taken by the connector."""
    return await searched(server, user, "UNKEYWORD $ConvoflowTaken", folder)


async def searched(server: Dovecot, user: str, criteria: str, folder: str = "INBOX") -> list[str]:
    """UIDs of the mails in `folder` an IMAP SEARCH finds (`SEEN`, `ALL`)."""
    client = await imap_session(server, user)
    try:
        await client.select(folder)
        response = await client.uid_search(criteria)
        return [u for u in response.lines[0].decode().split() if u.isdigit()]
    finally:
        await client.logout()


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.mail_server serve|append`: the tests' Dovecot for a person (README walk-through).

    `serve` starts it (as root, like the tests) with one mailbox, prints the CONVOFLOW_MAILBOXES
    entry that connects it and runs until Ctrl-C; `append` puts .eml files into that mailbox as a mail
    server's delivery would.
    """
    import argparse
    import asyncio
    import json

    parser = argparse.ArgumentParser(prog="python -m tests.mail_server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start Dovecot on 127.0.0.1 with one mailbox, until Ctrl-C")
    serve.add_argument("--user", default="support@convoflow.local")
    serve.add_argument("--tenant", default="dev")
    serve.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "convoflow-dovecot")
    put = sub.add_parser("append", help="put .eml files into the mailbox `serve` printed")
    put.add_argument("files", nargs="+", type=Path)
    put.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "convoflow-dovecot")
    args = parser.parse_args(argv)
    state = args.dir / "walkthrough.json"
    if args.command == "serve":
        args.dir.mkdir(parents=True, exist_ok=True)
        args.dir.chmod(0o755)
        server, process = start_dovecot(args.dir / "server")
        server.add_user(args.user)
        mailbox = {
            "name": "support",
            "tenant": args.tenant,
            "host": server.host,
            "port": server.tls_port,
            "security": "tls",
            "cafile": str(server.cafile),
            "user": args.user,
            "password_env": "SUPPORT_IMAP_PASSWORD",
        }
        state.write_text(
            json.dumps({"tls_port": server.tls_port, "cafile": str(server.cafile), "user": args.user})
        )
        print(f"export SUPPORT_IMAP_PASSWORD={PASSWORD}")
        print(f"export CONVOFLOW_MAILBOXES='{json.dumps([mailbox])}'")
        try:
            process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGTERM)
            process.wait()
        return 0
    saved = json.loads(state.read_text())
    server = Dovecot("127.0.0.1", 0, saved["tls_port"], Path(saved["cafile"]), args.dir, args.dir / "users")
    asyncio.run(append(server, saved["user"], *(f.read_bytes() for f in args.files)))
    print(f"appended {len(args.files)} mail(s) to {saved['user']}'s INBOX")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
