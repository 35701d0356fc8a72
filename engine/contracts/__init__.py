"""Typed values exchanged between the API, workflows and activities: pydantic models, no I/O."""
