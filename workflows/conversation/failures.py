"""An activity's failure as the workflow sees it: what it is raised as, why it failed, whether to retry.

Live, a failed activity is raised as an ActivityError around its cause. A local activity replayed
from its marker is raised as the failure the marker holds, unwrapped (temporalio sdk-core #449,
sdk-rust #436): the ApplicationError the activity raised, or a TimeoutError when its attempt ran out
of time. Workflow code that catches fewer than ACTIVITY_FAILURES goes on in the live run and fails
when the run is replayed (a worker's restart, an eviction from its cache): the run then takes no
more events.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as AttemptTimedOut

ActivityFailure = ActivityError | ApplicationError | AttemptTimedOut
ACTIVITY_FAILURES = (ActivityError, ApplicationError, AttemptTimedOut)


def _unwrapped(error: ActivityFailure) -> BaseException:
    """What failed inside the activity: what a replay raises, and what a live ActivityError wraps."""
    return (error.cause or error) if isinstance(error, ActivityError) else error


def cause(error: ActivityFailure) -> str:
    """The innermost reason an activity failed, for the decision trail (the same live and replayed)."""
    inner: BaseException | None = _unwrapped(error)
    while isinstance(inner, ActivityError | ApplicationError) and inner.cause is not None:
        inner = inner.cause
    return str(inner or error)


def retryable(error: ActivityFailure) -> bool:
    """False when the innermost failure says retrying cannot help (a 4xx from a channel)."""
    inner: BaseException | None = error
    while inner is not None:
        if isinstance(inner, ApplicationError) and inner.non_retryable:
            return False
        inner = inner.cause if isinstance(inner, ActivityError | ApplicationError) else None
    return True


def asked_to_wait(error: ActivityFailure) -> timedelta | None:
    """How long the far side asked to be left alone (its Retry-After, activities/http_outcome.py)."""
    inner: BaseException | None = error
    while inner is not None:
        if isinstance(inner, ApplicationError) and inner.next_retry_delay:
            return inner.next_retry_delay
        inner = inner.cause if isinstance(inner, ActivityError | ApplicationError) else None
    return None


def error_type(error: ActivityFailure) -> str:
    """The innermost failure's type name: safe for logs, unlike its message (which may quote input)."""
    inner: BaseException | None = _unwrapped(error)
    while isinstance(inner, ActivityError | ApplicationError) and inner.cause is not None:
        inner = inner.cause
    if isinstance(inner, ApplicationError) and inner.type:
        return inner.type
    return type(inner or error).__name__
