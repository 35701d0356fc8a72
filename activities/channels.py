"""Delivery of outbound messages: the configured adapter per channel, the outbox otherwise.

Routing: `call_webhook` actions, and notifications to a URL, go to their URL through the gateway
client; email (and notifications to an email address) go over SMTP when it is configured; chat,
WhatsApp, SMS and social go to the webhook gateway when it is configured; everything else, and
everything on embedded defaults, lands in the local outbox. Every adapter send claims its key in
the delivery ledger first (see there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.delivery_ledger import ClaimHeld, DeliveryLedger, LedgerUnavailable
from activities.email_channel import EmailChannel
from activities.http_outcome import unreachable
from activities.outbox import Outbox
from activities.webhook_gateway import WebhookGateway, outbound_body
from engine.contracts.activities import DELIVER_MESSAGE, Channels
from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.public_addresses import AddressRefused, DoesNotResolve, check_url

log = logging.getLogger("convoflow.channels")

GATEWAY_CHANNELS = frozenset({"chat", "whatsapp", "sms", "social"})
URLS = ("http://", "https://")


class Adapter(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> None: ...


class _UrlTarget:
    """call_webhook, and a `notify` to a `webhook`: the same signed POST, to the URL the rule names
    (a notification's body is the notify endpoint's, `message.outbound`).

    A tenant's ops write that URL, and the worker POSTs from inside our network: like a
    subscription's (engine/public_addresses.py), it reaches public addresses only, unless the
    operator lets the tenant reach private ones (CONVOFLOW_SUBSCRIPTION_PRIVATE_TENANTS). It reached
    any address: 127.0.0.1, 10.0.0.5 or the cloud's metadata service, for any tenant's pack.
    """

    name = "webhook"

    def __init__(self, secret: str | None, allows_private: Callable[[str], bool]) -> None:
        self._public = WebhookGateway("", secret, public_only=True)
        self._any = WebhookGateway("", secret)
        self._allows_private = allows_private
        self._unsigned_told = secret is not None

    async def close(self) -> None:
        await self._public.close()
        await self._any.close()

    async def send(self, message: OutboundMessage) -> None:
        private = self._allows_private(message.tenant)
        try:
            await check_url(message.to, allow_private=private)
        except DoesNotResolve as exc:  # a resolver that is down answers later: tried again
            raise unreachable("Gateway", exc) from None
        except AddressRefused as exc:  # the rule's URL, not the far side: asking again changes nothing
            raise ApplicationError(
                f"webhook URL refused: {exc}",
                type="WebhookAddressRefused",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        payload = outbound_body(message)
        if message.kind == "webhook":
            payload = {
                "type": "convoflow.webhook",
                "conversation_id": message.external_conversation_id,
                "tenant": message.tenant,
                "payload": _as_posted(message.text),
            }
        if not self._unsigned_told:  # README promised them signed: a receiver that checks refuses them
            self._unsigned_told = True
            log.warning("a rule's webhook posts go out unsigned: set CONVOFLOW_GATEWAY_SECRET to sign them")
        await (self._any if private else self._public).post(message.to, payload, message.idempotency_key)


def _as_posted(text: str) -> Any:
    """The rule's payload as the JSON it was: the workflow hands it over as JSON text. A send that a
    run of the code before put in (Python's repr of it, retried from history) goes as that text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class ChannelActivities(Channels):
    def __init__(
        self,
        outbox: Outbox,
        ledger: DeliveryLedger | None = None,
        *,
        email: EmailChannel | None = None,
        gateway: WebhookGateway | None = None,
        webhook_secret: str | None = None,
        notify_url: str | None = None,
        allows_private: Callable[[str], bool] = lambda tenant: False,
    ) -> None:
        self._outbox = outbox
        self._ledger = ledger
        self._email = email
        self._gateway = gateway
        self._webhooks = _UrlTarget(webhook_secret, allows_private)
        # Team and agent notifications go to the helpdesk's own endpoint (chat, paging) when one is set.
        self._notify = WebhookGateway(notify_url, webhook_secret) if notify_url else None
        # Sends that outlive the attempt that started them (below); the loop keeps only weak references.
        self._sending: set[asyncio.Future[bool]] = set()

    async def close(self) -> None:
        """Stop the sends still finishing in the background, then close the webhook adapters' HTTP
        sessions (the worker calls this when it shuts down, before the database goes).

        A stopped send gives its claim back while the database is still there, so the retry on
        another worker sends it at once; a deploy does not wait for a slow channel.
        """
        for sending in self._sending:
            sending.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        for adapter in (self._gateway, self._webhooks, self._notify):
            if adapter is not None:
                await adapter.close()

    def adapter_for(self, message: OutboundMessage) -> Adapter | None:
        # A rule's `notify: {webhook: URL}` went by mail to the URL, or only to the outbox.
        if message.kind == "webhook" or (message.kind == "notification" and message.to.startswith(URLS)):
            return self._webhooks
        if message.kind == "notification" and self._notify and message.to.startswith(("team:", "agent:")):
            return self._notify
        # A rule's notification to an address goes by mail from any channel; a customer of a chat
        # (a widget often knows its visitor by an email address) is answered in that chat.
        mailed = message.channel == "email" or (message.kind == "notification" and "@" in message.to)
        if self._email and mailed and message.kind != "internal_note":
            return self._email
        if (
            self._gateway
            and message.channel in GATEWAY_CHANNELS
            and message.kind in ("auto_reply", "agent_reply", "survey")
        ):
            return self._gateway
        return None

    @activity.defn(name=DELIVER_MESSAGE)
    async def deliver_message(self, message: OutboundMessage) -> DeliveryResult:
        adapter = self.adapter_for(message)
        key = message.idempotency_key
        if adapter is None or self._ledger is None:
            result = await self._outbox.deliver(message)
        else:
            # Shielded: an attempt cut short (a local attempt has 2 s, workflows/conversation/options.py)
            # leaves its claim, send and settle to finish in the background, or its claim given back;
            # its retry finds the claim held until then, so a relay slow to take a message is not
            # sent it twice, and a claim written as the attempt was cut does not wait out its lease.
            sending = asyncio.ensure_future(self._claim_send_settle(adapter, self._ledger, message))
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)
            sending.add_done_callback(_retrieved)
            delivered = await asyncio.shield(sending)
            result = DeliveryResult(idempotency_key=key, delivered=delivered, adapter=adapter.name)
        # Kinds and adapters only: message text and addresses are personal data and stay out of logs,
        # and so does the conversation id (the activity logger appends the workflow id, which holds
        # it: an integrator may use a phone number), once per message at INFO.
        log.info(
            "outbound %s via %s: %s",
            message.kind,
            result.adapter,
            "delivered" if result.delivered else "duplicate",
        )
        return result

    @staticmethod
    async def _claim_send_settle(adapter: Adapter, ledger: DeliveryLedger, message: OutboundMessage) -> bool:
        """Send `message` through `adapter` once its key is claimed; False when it was delivered before."""
        key = message.idempotency_key
        with _ledger_answers():
            if not await ledger.claim(key, message.tenant, adapter.name):
                return False
        claimed_at = time.monotonic()  # its lease runs from here, not from the settle
        try:
            await adapter.send(message)
        except BaseException:
            with _ledger_answers():
                await ledger.release(key)  # so the activity's retry can claim it again at once
            raise
        with _ledger_answers():
            await ledger.settle(key, claimed_at)
        return True


@contextmanager
def _ledger_answers() -> Iterator[None]:
    """The ledger's database errors as LedgerUnavailable (ClaimHeld, the ledger's own answer, as is)."""
    try:
        yield
    except (ClaimHeld, asyncio.CancelledError):
        raise
    except Exception as exc:
        raise LedgerUnavailable(exc) from exc


def _retrieved(sending: asyncio.Future[bool]) -> None:
    """Mark a background send's failure as seen. The attempt that started it raises it, or was cut
    short and its retry reports its own; asyncio would log it with its text, which may quote the
    message or its address."""
    if not sending.cancelled():
        sending.exception()
