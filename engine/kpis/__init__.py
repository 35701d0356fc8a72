"""KPIs from recorded events (pure): facts from the decision trail, per-thread values, reports.

docs/kpis.md defines every KPI; `facts.py` turns a trail entry into facts (the workflow and
`convoflow kpi rebuild` share it), `threads.py` measures one conversation's threads in calendar and
business time, `report.py` aggregates them by group and interval with the conversations behind each
value, and `summary.py` encodes a measured thread compactly so reports need not measure it again.
"""
