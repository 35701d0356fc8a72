"""What an HTTP status means for a retried activity: 4xx is final, 5xx is worth another try."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError


def raise_for_status(status: int, service: str) -> None:
    """Raise for an error status: non-retryable `{service}Rejected` for 4xx, `{service}Unavailable` for 5xx.

    A 4xx is the far side saying no; asking again will not change its mind, so the workflow records the
    failure instead of retrying. A 5xx is the far side in trouble: Temporal retries with backoff.
    """
    if 400 <= status < 500:
        raise ApplicationError(
            f"{service} refused it: HTTP {status}", type=f"{service}Rejected", non_retryable=True
        )
    if status >= 500:
        raise ApplicationError(f"{service} error: HTTP {status}", type=f"{service}Unavailable")


def unreachable(service: str, exc: BaseException) -> ApplicationError:
    return ApplicationError(f"{service} unreachable: {type(exc).__name__}", type=f"{service}Unavailable")
