"""Auditing a conversation from its Temporal history: bundles, explanations, what-ifs, the timeline.

Pure code only (no file, network or clock access): the service layer (engine/service/audit_*.py)
reads Temporal and the database and hands the records in.
"""
