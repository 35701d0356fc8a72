"""Static analysis of rule packs (`convoflow rules check`, `POST /v1/rules/check`).

Pure, like the rest of engine/rules: the roster, when there is one, is passed in.
"""

from engine.rules.analysis.check import analyse, check, checked
from engine.rules.analysis.findings import CheckReport, Finding
from engine.rules.analysis.roster import Roster, absent_agents

__all__ = ["CheckReport", "Finding", "Roster", "absent_agents", "analyse", "check", "checked"]
