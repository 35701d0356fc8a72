"""What an HTTP status means for a retried activity: 4xx is final, 5xx is worth another try.

A far side that is down is expected to come back, and one that refuses a message has said what it
had to say: both errors are BENIGN, which the SDK logs at DEBUG instead of a WARNING with a
traceback per attempt (an hour of retries of every send and CRM write, tens of lines each, during
one outage). The worker logs one line per failed attempt instead (engine/service/activity_metrics.py),
and counts them; the conversation's trail says why a send failed.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory


def raise_for_status(status: int, service: str) -> None:
    """Raise for an error status: non-retryable `{service}Rejected` for 4xx, `{service}Unavailable` for 5xx.

    A 4xx is the far side saying no; asking again will not change its mind, so the workflow records the
    failure instead of retrying. A 5xx is the far side in trouble: Temporal retries with backoff.
    """
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
