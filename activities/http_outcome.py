"""What an HTTP status means for a retried activity: 4xx is final, 5xx is worth another try, and
so is a far side asking us to slow down (429) or come back (408, 425), no sooner than it says.

A far side that is down is expected to come back, and one that refuses a message has said what it
had to say: both errors are BENIGN, which the SDK logs at DEBUG instead of a WARNING with a
traceback per attempt (an hour of retries of every send and CRM write, tens of lines each, during
one outage). The worker logs one line per failed attempt instead (engine/service/activity_metrics.py),
and counts them; the conversation's trail says why a send failed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

# Statuses that refuse nothing: the far side asks for the request again later. Every SMS and WhatsApp
# provider answers 429 to a burst; read as a refusal, the acknowledgement and the agent's reply
# failed for good.
TRY_AGAIN_LATER = frozenset({408, 425, 429})
# A far side's Retry-After is followed up to this long: a header must not park a message for days,
# and a send's retries end an hour after its first try (workflows/conversation/options.py DELIVERY):
# a wait of the hour would fail it for good.
MAX_RETRY_AFTER = timedelta(minutes=15)


def raise_for_status(
    status: int, service: str, retry_after: str | None = None, *, longest: timedelta = MAX_RETRY_AFTER
) -> None:
    """Raise for an error status: non-retryable `{service}Rejected` for 4xx, `{service}Unavailable` for 5xx
    and `{service}Throttled` for the 4xx that ask to try again later (TRY_AGAIN_LATER), after their
    `Retry-After`.

    A 4xx is the far side saying no; asking again will not change its mind, so the workflow records the
    failure instead of retrying. A 5xx is the far side in trouble: Temporal retries with backoff.
    """
    if status in TRY_AGAIN_LATER:
        raise ApplicationError(
            f"{service} asked to try again later: HTTP {status}",
            type=f"{service}Throttled",  # the worker's log line says so, not "Unavailable" (down)
            next_retry_delay=retry_delay(retry_after, longest=longest),
            category=ApplicationErrorCategory.BENIGN,
        )
    if 400 <= status < 500:
        raise ApplicationError(
            f"{service} refused it: HTTP {status}",
            type=f"{service}Rejected",
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        )
    if status >= 500:
        raise ApplicationError(
            f"{service} error: HTTP {status}",
            type=f"{service}Unavailable",
            category=ApplicationErrorCategory.BENIGN,
        )


def retry_delay(
    retry_after: str | None, now: datetime | None = None, *, longest: timedelta = MAX_RETRY_AFTER
) -> timedelta | None:
    """A `Retry-After` header's wait, in seconds or as an HTTP date, at most `longest`; None (the
    retry policy's own backoff) when there is none or it cannot be read."""
    if not retry_after:
        return None
    value = retry_after.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit, and no int
        wait = longest if len(value) > 9 else timedelta(seconds=int(value))  # a far side's 10**5000
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        wait = when - (now or datetime.now(UTC))
    return min(max(wait, timedelta(seconds=1)), longest)


def refused(message: str) -> ApplicationError:
    """A gateway's refusal that is not a 4xx (a redirect not followed, a URL it cannot take): final."""
    return ApplicationError(
        message, type="GatewayRejected", non_retryable=True, category=ApplicationErrorCategory.BENIGN
    )


def unreachable(service: str, exc: BaseException) -> ApplicationError:
    return ApplicationError(
        f"{service} unreachable: {type(exc).__name__}",
        type=f"{service}Unavailable",
        category=ApplicationErrorCategory.BENIGN,
    )
