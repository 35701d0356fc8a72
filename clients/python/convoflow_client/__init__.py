"""convoflow's Python client for integrators.

`convoflow_client.generated` is generated from the service's OpenAPI document (every operation, under
`generated.api.<tag>`, and every model, under `generated.models`); never edit it, regenerate it with
`make client`. This package adds what a generator cannot know:

- `connect()`: the generated client with an Idempotency-Key on every POST (made per call unless given);
- `expect()`: an answer, or its RFC 9457 problem raised as `ProblemError` (type, status, detail, fields);
- `every()` / `conversations()`: every row of a list, following the `next` cursors;
- `kpis_csv()`: the KPI report as CSV (the generated `get_kpis` parses JSON only);
- `post_inbound_email()`: a raw email (the generated call's file body cannot go through httpx's
  async client).
"""

from .connection import IdempotencyKeys, connect, new_key
from .generated.client import AuthenticatedClient
from .generated.types import UNSET, Response, Unset
from .kpi_csv import kpis_csv
from .pages import conversations, cursor_of, every
from .problems import ProblemError, UnexpectedAnswer, expect
from .raw_email import post_inbound_email

__all__ = [
    "UNSET",
    "AuthenticatedClient",
    "IdempotencyKeys",
    "ProblemError",
    "Response",
    "UnexpectedAnswer",
    "Unset",
    "connect",
    "conversations",
    "cursor_of",
    "every",
    "expect",
    "kpis_csv",
    "new_key",
    "post_inbound_email",
]
