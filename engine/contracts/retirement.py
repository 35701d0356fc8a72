"""What the retention sweep (engine/service/retention.py) asks of a conversation: to end its run.

A closed conversation's workflow waits for the customer's next message for ever (threads.py); a
tenant that keeps conversations for a fixed time needs its old ones gone. The sweep does not delete a
waiting run outright: a message taken by it an instant before would be deleted with it. It asks the
workflow, whose updates are taken one at a time, to end; the workflow refuses when anything happened
since `idle_before` or anything still waits (a message, a send, a timer).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

RETIRE_UPDATE = "retire"


class Retirement(BaseModel):
    idle_before: datetime
    """The conversation ends only when it was closed with no activity since before this instant."""
