"""An activity's failure as the workflow sees it: what it is raised as, why it failed, whether to retry.

Live, a failed activity is raised as an ActivityError around its cause. A local activity replayed
from its marker is raised as the failure the marker holds, unwrapped (temporalio sdk-core #449,
sdk-rust #436): the ApplicationError the activity raised, or a TimeoutError when its attempt ran out
of time. Workflow code that catches fewer than ACTIVITY_FAILURES goes on in the live run and fails
when the run is replayed (a worker's restart, an eviction from its cache): the run then takes no
more events.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def _causes(error: ActivityFailure) -> Iterator[BaseException]:
    """The failure and each of its causes, outermost first."""
    inner: BaseException | None = error
    while inner is not None:
        yield inner
        inner = inner.cause if isinstance(inner, ActivityError | ApplicationError) else None


def retryable(error: ActivityFailure) -> bool:
    """False when the innermost failure says retrying cannot help (a 4xx from a channel)."""
    return not any(isinstance(e, ApplicationError) and e.non_retryable for e in _causes(error))


def asked_to_wait(error: ActivityFailure) -> timedelta | None:
    """How long the far side asked to be left alone (its Retry-After, activities/http_outcome.py)."""
    delays = (e.next_retry_delay for e in _causes(error) if isinstance(e, ApplicationError))
    return next((delay for delay in delays if delay), None)


def error_type(error: ActivityFailure) -> str:
    """The innermost failure's type name: safe for logs, unlike its message (which may quote input)."""
    inner: BaseException | None = _unwrapped(error)
    while isinstance(inner, ActivityError | ApplicationError) and inner.cause is not None:
        inner = inner.cause
    if isinstance(inner, ApplicationError) and inner.type:
        return inner.type
    return type(inner or error).__name__
