"""Choosing an agent: pure functions over a roster, loads and a request (no clock, no I/O).

The assignment desk workflow (workflows/assignment_desk/) calls them with the roster it read and the
time the workflow gives it, so every choice replays identically and can be tested on its own.
"""
