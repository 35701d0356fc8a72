"""Writes the email corpus (tests/data/email/*.eml): real-world shapes made with the stdlib email package.

Generated rather than collected, so there is no licence to track and no personal data: each file
stands for a kind of mail that mail servers deliver and that helpdesks have refused or lost before
(issue 20). `EXPECTED` says what each must become: a conversation (`customer`, `automatic`), a bounce
on the conversation it names, or a quarantined item with its reason. Run it to rewrite the files:

    PYTHONPATH=$PWD .venv/bin/python tests/data/email/generate.py
"""

from __future__ import annotations

import struct
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

HERE = Path(__file__).parent
SUPPORT = "support@convoflow.local"  # the default CONVOFLOW_EMAIL_FROM: our own address
DATE = "Tue, 01 Dec 2026 09:30:00 +0100"
OUR_REPLY_ID = "<bounced-1.0123456789abcdef01234567@convoflow.local>"

# name -> what it must become: customer | automatic | bounce | quarantine:<reason>
EXPECTED: dict[str, str] = {
    "plain": "customer",
    "no-message-id": "customer",
    "encoded-headers": "customer",
    "unknown-charset": "customer",
    "raw-latin1-bytes": "customer",
    "html-only": "customer",
    "nested-multipart": "customer",
    "winmail-dat": "customer",
    "forwarded-message": "customer",
    "quoted-de": "customer",
    "quoted-fr": "customer",
    "quoted-es": "customer",
    "signature-en": "customer",
    "sender-only-header": "customer",
    "out-of-office": "automatic",
    "auto-submitted": "automatic",
    "mailing-list-bulk": "automatic",
    "dsn-of-our-reply": "bounce",
    "dsn-unknown": "automatic",
    "no-sender": "quarantine:no_sender",
    "garbage-from": "quarantine:no_sender",
    "from-ourselves": "quarantine:loop",
    "x-loop": "quarantine:loop",
    "spam-flag": "quarantine:spam",
    "spam-status": "quarantine:spam",
    "blocked-sender": "quarantine:blocked_sender",
    "unreadable-header": "quarantine:unparseable",
}
BLOCKED_SENDERS = ["*@offers.example"]  # what the tests' pack blocks


def base(
    sender: str | None = "Ada Lovelace <ada@customer.example>", subject: str = "Invoice wrong", **headers: str
) -> EmailMessage:
    mail = EmailMessage()
    if sender is not None:
        mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail["Date"] = DATE
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    return mail


def with_id(mail: Message, name: str) -> Message:
    mail["Message-ID"] = f"<{name}@customer.example>"
    return mail


def text(body: str, name: str, **kw: str) -> bytes:
    mail = base(**kw)
    mail.set_content(body)
    return with_id(mail, name).as_bytes()


def tnef() -> bytes:
    def attr(level: int, ident: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    return (
        struct.pack("<IH", 0x223E9F78, 1)
        + attr(1, 0x00089006, b"\x00\x00\x01\x00")
        + attr(1, 0x0002800C, b"Hello from Outlook, the invoice is attached.\x00")
        + attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8)
        + attr(2, 0x00018010, b"invoice.pdf\x00")
        + attr(2, 0x0006800F, b"%PDF-1.4 not really")
    )


def build() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    out["plain"] = text("My invoice INV-7 is wrong, please check.", "plain")
    mail = base()
    mail.set_content("No Message-ID on this one (RFC 5322 says SHOULD).")
    out["no-message-id"] = mail.as_bytes()
    out["encoded-headers"] = text(
        "Grüße aus München",
        "encoded-headers",
        sender="=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@customer.example>",
        subject="=?iso-8859-1?q?Rechnung_f=FCr_M=E4rz?=",
    )
    out["unknown-charset"] = (
        b"From: Kim <kim@customer.example>\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: charset\r\n"
        b"Message-ID: <unknown-charset@customer.example>\r\nDate: " + DATE.encode() + b"\r\n"
        b"Content-Type: text/plain; charset=x-mac-klingon\r\n\r\nThe order never arrived.\r\n"
    )
    out["raw-latin1-bytes"] = (
        b"From: Ren\xe9 <rene@customer.example>\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: caf\xe9\r\n"
        b"Message-ID: <raw-latin1@customer.example>\r\n\r\nMon caf\xe9 est froid.\r\n"
    )
    html = MIMEText(
        "<html><body><p>Hello,</p><p>the <b>app</b> crashes on start.</p>"
        "<blockquote>Earlier: thanks for writing</blockquote></body></html>",
        "html",
        "utf-8",
    )
    for name, value in (
        ("From", "Lee <lee@customer.example>"),
        ("To", SUPPORT),
        ("Subject", "Crash"),
        ("Date", DATE),
    ):
        html[name] = value
    out["html-only"] = with_id(html, "html-only").as_bytes()
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("See the screenshot, the button is grey.", "plain", "utf-8"))
    alternative.attach(MIMEText("<p>See the screenshot, the button is grey.</p>", "html", "utf-8"))
    related = MIMEMultipart("related")
    related.attach(alternative)
    image = MIMEBase("image", "png")
    image.set_payload(b"\x89PNG fake")
    image.add_header("Content-Disposition", "inline", filename="screen.png")
    related.attach(image)
    mixed = MIMEMultipart("mixed")
    mixed.attach(related)
    pdf = MIMEBase("application", "pdf")
    pdf.set_payload(b"%PDF-1.4 x" * 10)
    pdf.add_header("Content-Disposition", "attachment", filename="Rechnung März.pdf")
    mixed.attach(pdf)
    for name, value in (
        ("From", "Max <max@customer.example>"),
        ("To", SUPPORT),
        ("Subject", "Nested"),
        ("Date", DATE),
    ):
        mixed[name] = value
    out["nested-multipart"] = with_id(mixed, "nested").as_bytes()
    outlook = MIMEMultipart("mixed")
    outlook.attach(MIMEText("", "plain", "utf-8"))
    winmail = MIMEBase("application", "ms-tnef")
    winmail.set_payload(tnef())
    winmail.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    outlook.attach(winmail)
    for name, value in (
        ("From", "Pat <pat@customer.example>"),
        ("To", SUPPORT),
        ("Subject", "Outlook"),
        ("Date", DATE),
    ):
        outlook[name] = value
    out["winmail-dat"] = with_id(outlook, "winmail").as_bytes()
    forward = MIMEMultipart("mixed")
    forward.attach(MIMEText("Forwarding the confirmation I got, the amount is wrong.", "plain", "utf-8"))
    inner = base(sender="shop@shop.example", subject="Your order")
    inner.set_content("Total: 99 EUR")
    forward.attach(MIMEMessage(inner))
    for name, value in (
        ("From", "Ada <ada@customer.example>"),
        ("To", SUPPORT),
        ("Subject", "Fwd: Your order"),
        ("Date", DATE),
    ):
        forward[name] = value
    out["forwarded-message"] = with_id(forward, "forwarded").as_bytes()
    out["quoted-de"] = text(
        "Hallo, das Problem besteht weiterhin.\n\n"
        "Am 01.12.2026 um 10:00 schrieb Support <support@convoflow.local>:\n"
        "> Wir haben Ihre Nachricht erhalten.\n",
        "quoted-de",
        sender="Kai <kai@customer.example>",
    )
    out["quoted-fr"] = text(
        "Bonjour, toujours pas de remboursement.\n\n"
        "Le lun. 1 déc. 2026 à 10:00, Support <support@convoflow.local> a écrit :\n"
        "> Nous avons bien reçu votre message.\n",
        "quoted-fr",
        sender="Jean <jean@customer.example>",
    )
    out["quoted-es"] = text(
        "Hola, sigue sin funcionar.\n\n"
        "El lun, 1 dic 2026 a las 10:00, Soporte <support@convoflow.local> escribió:\n"
        "> Hemos recibido su mensaje.\n",
        "quoted-es",
        sender="Ana <ana@customer.example>",
    )
    out["signature-en"] = text(
        "Please cancel my subscription.\n\n-- \nBob Smith\nACME Corp, +44 20 0000 0000\n",
        "signature-en",
        sender="Bob <bob@customer.example>",
    )
    only_sender = base(sender=None)
    only_sender["Sender"] = "Sam <sam@customer.example>"
    only_sender.set_content("Our mail system only sets Sender.")
    out["sender-only-header"] = with_id(only_sender, "sender-only").as_bytes()
    out["out-of-office"] = text(
        "I am out of office until Monday.",
        "ooo",
        sender="Eve <eve@customer.example>",
        subject="Out of office",
        X_Autoreply="yes",
    )
    out["auto-submitted"] = text(
        "Your ticket was received.",
        "auto",
        sender="desk@other.example",
        subject="Re: ticket",
        Auto_Submitted="auto-replied",
    )
    out["mailing-list-bulk"] = text("Newsletter", "bulk", sender="news@list.example", Precedence="bulk")
    out["dsn-of-our-reply"] = dsn("dsn-ours", OUR_REPLY_ID)
    out["dsn-unknown"] = dsn("dsn-unknown", "<someone-else@elsewhere.example>")
    nobody = base(sender=None)
    nobody.set_content("Who sent this?")
    out["no-sender"] = with_id(nobody, "no-sender").as_bytes()
    out["garbage-from"] = text("From is not an address", "garbage", sender="just some words")
    out["from-ourselves"] = text("Hi, we have your message", "ourselves", sender=f"Support <{SUPPORT}>")
    out["x-loop"] = text("Looping", "x-loop", sender="robot@other.example", X_Loop=SUPPORT)
    out["spam-flag"] = text("Cheap pills", "spam-flag", sender="x@spam.example", X_Spam_Flag="YES")
    out["spam-status"] = text(
        "Cheap pills", "spam-status", sender="x@spam.example", X_Spam_Status="Yes, score=12.3 required=5.0"
    )
    out["blocked-sender"] = text("Buy now", "blocked", sender="deals@offers.example")
    out["unreadable-header"] = (
        b"From: "
        + b"(" * 3000
        + b"ada@customer.example\r\nTo: "
        + SUPPORT.encode()
        + b"\r\nSubject: hi\r\nMessage-ID: <unreadable@customer.example>\r\n\r\nhello\r\n"
    )
    return out


def dsn(name: str, original_id: str) -> bytes:
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Delivery to the following recipient failed permanently.", "plain", "utf-8"))
    status = Message()
    status.set_type("message/delivery-status")
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = "dns; mx.customer.example"
    per_recipient["Final-Recipient"] = "rfc822; gone@customer.example"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    status.set_payload([per_message, per_recipient])
    report.attach(status)
    headers = MIMEText(
        f"From: {SUPPORT}\nTo: gone@customer.example\nMessage-ID: {original_id}\nSubject: Re: hi\n",
        "rfc822-headers",
    )
    report.attach(headers)
    for n, v in (
        ("From", "Mail Delivery System <MAILER-DAEMON@mx.customer.example>"),
        ("To", SUPPORT),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", DATE),
        ("Auto-Submitted", "auto-replied"),
    ):
        report[n] = v
    report["Message-ID"] = f"<{name}@mx.customer.example>"
    return report.as_bytes()


if __name__ == "__main__":
    for stale in HERE.glob("*.eml"):
        stale.unlink()
    for name, raw in build().items():
        (HERE / f"{name}.eml").write_bytes(raw)
    print(f"wrote {len(EXPECTED)} messages to {HERE}")
