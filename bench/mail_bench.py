"""Inbound mail parsing (issue 20): what reading a mail leniently costs next to the standard library alone.

The baseline is what the service did before: `BytesParser(policy=policy.default)` and the plain (or
HTML) body's `get_content()`. The lenient reader adds bounds checks (a compat32 pass), the header
check, charset fallbacks, HTML to text, TNEF, the derived Message-ID and the reply split. Measured
over the whole corpus (tests/data/email, 27 shapes), paired rounds so a busy spell hits both alike.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING

from bench.calendar_bench import paired
from bench.results import Result
from engine.mail import parse_mail
from engine.mail.replies import split_reply

if TYPE_CHECKING:
    from tests.mail_server import Dovecot

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "email"


def _stdlib(raws: list[bytes]) -> None:
    for raw in raws:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        try:
            body = mail.get_body(preferencelist=("plain", "html"))
            if body is not None:
                body.get_content()
        except Exception:
            pass


def _lenient(raws: list[bytes]) -> None:
    for raw in raws:
        parse_mail(raw)


def main() -> list[Result]:
    raws = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    ms = 1e3 / len(raws)  # per mail, in ms
    base, lenient = (s * ms for s in paired(lambda: _stdlib(raws), lambda: _lenient(raws), calls=20))
    texts = [parse_mail(raw) for raw in raws]
    joined = [f"{m.text}\n\n{m.quoted}" for m in texts]
    split, _ = paired(lambda: [split_reply(t) for t in joined], lambda: None, calls=20)
    return [
        Result("mail: stdlib parse + body, per corpus mail", base, "ms"),
        Result("mail: lenient parse (engine/mail), per corpus mail", lenient, "ms", base, goal="<= 6x"),
        Result("mail: new text vs quoted split alone, per corpus mail", split * ms, "ms", base),
    ]


# -- fetch -> conversation: the IMAP connector against a real Dovecot, next to the intake alone ----
LATENCY_MAILS = 15


def _mail(n: int, prefix: str) -> bytes:
    return (
        f"From: Customer {n} <c{n}@customer.example>\r\nTo: support@convoflow.local\r\n"
        f"Subject: Question {n}\r\nMessage-ID: <{prefix}-{n}@customer.example>\r\n\r\n"
        f"My invoice {n} is wrong.\r\n"
    ).encode()


async def _latency(data_dir: Path, imap: Dovecot) -> tuple[list[float], list[float]]:
    """Per mail: seconds from APPEND to the mail taken and marked, and from `take` called to its answer."""
    import asyncio
    import json
    import os
    import time

    from bench.stack import TENANT, bench_settings, dev_server, prepare
    from engine.api.conversation_calls import Conversations
    from engine.service.database import database_of
    from engine.service.mail_intake import mail_intake
    from engine.service.mailbox import MailboxConnector
    from engine.service.mailbox_config import mailboxes_of
    from engine.service.temporal_client import connect
    from engine.service.worker import build_worker
    from tests.mail_server import PASSWORD, append

    user = imap.add_user("support@convoflow.local")
    os.environ["BENCH_IMAP_PASSWORD"] = PASSWORD
    box = {
        "name": "bench",
        "tenant": TENANT,
        "host": imap.host,
        "port": imap.tls_port,
        "cafile": str(imap.cafile),
    }
    config = mailboxes_of(json.dumps([{**box, "user": user, "password_env": "BENCH_IMAP_PASSWORD"}]))[0]
    async with dev_server() as server:
        settings = bench_settings(server, data_dir / "data")
        await prepare(settings)
        client = await connect(settings)
        database = database_of(settings)
        async with build_worker(client, settings):
            intake = mail_intake(Conversations.of(client, settings, database), database)
            direct = []
            for n in range(LATENCY_MAILS + 2):  # the first two warm the worker's cache of the pack
                started = time.perf_counter()
                await intake.take(TENANT, _mail(n, "direct"), source="bench")
                direct.append(time.perf_counter() - started)
            connector = MailboxConnector(config, intake)
            task = asyncio.create_task(connector.run())
            await asyncio.wait_for(connector.connected.wait(), 30)
            fetched = []
            for n in range(LATENCY_MAILS + 2):
                await append(imap, user, _mail(n, "imap"))
                started = time.perf_counter()
                while connector.taken <= n:  # noqa: ASYNC110 - the bench watches the connector, never changes it
                    await asyncio.sleep(0.002)
                fetched.append(time.perf_counter() - started)
            task.cancel()
        await database.dispose()
    return fetched[2:], direct[2:]


def latency() -> list[Result]:
    """`python -m bench mail-latency`: needs Debian's dovecot-imapd (root), like the tests."""
    import asyncio
    import statistics
    import tempfile

    from tests.mail_server import start_dovecot

    with tempfile.TemporaryDirectory(prefix="convoflow-mail-bench-") as work:
        Path(work).chmod(0o755)  # Dovecot's unprivileged processes read below it
        imap, process = start_dovecot(Path(work) / "dovecot")
        try:
            fetched, direct = asyncio.run(_latency(Path(work), imap))
        finally:
            process.terminate()
            process.wait()
    ms = 1e3
    return [
        Result("mail: take a mail (intake alone, p50)", statistics.median(direct) * ms, "ms"),
        Result(
            "mail: APPEND to taken and marked (IMAP IDLE, p50)",
            statistics.median(fetched) * ms,
            "ms",
            statistics.median(direct) * ms,
        ),
        Result("mail: APPEND to taken and marked (max)", max(fetched) * ms, "ms", max(direct) * ms),
    ]
