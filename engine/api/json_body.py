"""The JSON object of a request body, or the 4xx that says why it is none: one reading for every route.

Conversation events read it in the API process (engine/api/conversations.py `read_json`), rule packs
in a pack worker process (engine/api/pack_jobs.py `decode`, which adds what a pack must not hold):
the same body gets the same answer on either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.api.errors import ApiError, invalid_field, malformed_json, named, number_too_long


def nested_too_deeply(raw: bytes) -> ApiError:
    return invalid_field("body", "nested too deeply", "request body is nested too deeply")


def json_object(
    raw: bytes, *, too_deep: Callable[[bytes], ApiError] = nested_too_deeply, **loads: Any
) -> dict[str, Any]:
    """The object in `raw` (`loads`: json.loads's hooks); `too_deep` says where brackets nested past
    the decoder's recursion limit, within the size limit."""
    if not raw:
        raise ApiError(400, "empty_body", "request body is empty", named("body", "required"))
    try:
        data = json.loads(raw, **loads)
    except json.JSONDecodeError as exc:
        raise malformed_json(exc) from None
    except UnicodeDecodeError:
        raise ApiError(
            400, "malformed_json", "request body is not UTF-8", named("body", "not UTF-8")
        ) from None
    except ValueError:  # after its two subclasses above: an integer of over 4,300 digits
        raise number_too_long() from None
    except RecursionError:
        raise too_deep(raw) from None
    if not isinstance(data, dict):
        raise invalid_field("body", "expected an object", "request body must be a JSON object")
    return data
