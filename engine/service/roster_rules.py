"""What makes an agent definition valid, the same for the API (POST /v1/agents) and the CLI (agents add).

An agent's teams must be teams of the tenant's active rule pack and its skills skills that a team of
that pack declares (`teams.<team>.skills`): the desk matches a conversation's required skills
(written in the pack's rules) against them, so a skill no rule can ask for is a typo that would make
the agent silently never match. Channels are the channels convoflow has; capacity is a number (all
channels together) or a number per channel, 0 to 1000. Every problem names its field and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.assignment import ANY_CHANNEL, SKILL_PATTERN, AgentRecord
from engine.contracts.conversation import Channel
from engine.contracts.ids import ID_PATTERN, is_safe_id
from engine.contracts.single_line import SINGLE_LINE
from engine.db.packs import PackStore
from engine.db.roster import RosterStore
from engine.rules.analysis import absent_agents
from engine.rules.pack import RulePack
from engine.service.config import Settings
from engine.service.pack_store import ensure_active_pack

MAX_CAPACITY = 1000
CHANNELS = tuple(c.value for c in Channel)
_SKILL = re.compile(SKILL_PATTERN)
_Name = Annotated[str, Field(max_length=128)]
Capacity = StrictInt | dict[Annotated[str, Field(max_length=16)], StrictInt]


class AgentInput(BaseModel):
    """An agent as a client defines it (`POST /v1/agents`): its presence is set separately."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    id: str = Field(max_length=128, description=f"The agent's id: {ID_PATTERN}.")
    name: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    teams: list[_Name] = Field(default_factory=list, max_length=50)
    """Teams of the tenant's active rule pack."""
    skills: list[_Name] = Field(default_factory=list, max_length=100)
    """Skills a team of the active pack declares (`teams.<team>.skills`), e.g. `lang:de`."""
    channels: list[_Name] = Field(default_factory=list, max_length=10)
    """Channels the agent takes; empty: every channel."""
    capacity: Capacity = Field(
        default=5,
        description="Open conversations the agent takes at once: one number for all channels together, "
        f'or a number per channel (`{{"email": 5, "chat": 2}}`), each 0 to {MAX_CAPACITY}.',
    )

    @field_validator("capacity", mode="wrap")
    @classmethod
    def _one_message(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # The union's own errors name its members ("capacity.int", "capacity.dict[constrained-str,int]"),
        # which tell a client nothing; one message on the field does.
        try:
            return handler(value)
        except ValidationError:
            per_channel = '{"email": 5, "chat": 2}'
            raise ValueError(
                f"a whole number (0 to {MAX_CAPACITY}), or one per channel ({per_channel})"
            ) from None


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class InvalidAgent(ValueError):
    """The definition does not fit the tenant's pack or convoflow's bounds; `problems` names each field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


async def unknown_agents(database: AsyncEngine, tenant: str, pack: RulePack) -> list[Problem]:
    """Agents a pack's `assign` actions name that the tenant's roster does not have: a typo there
    would fail every such assignment at run time, so publishing refuses it, naming the path."""
    named = pack.named_agents()
    if not named:
        return []
    roster = {agent.record.agent_id for agent in await RosterStore(database).list(tenant)}
    if not roster:
        return []  # a tenant without a roster assigns in its own helpdesk: nothing to check against
    return [
        Problem(
            path,
            f"agent {agent!r} is not in tenant {tenant}'s roster (convoflow agents add / POST /v1/agents)",
        )
        for path, agent in absent_agents(pack, roster)
    ]


def declared_skills(pack: RulePack) -> list[str]:
    """Every skill some team of the pack declares, lower case, sorted."""
    return sorted({skill.lower() for skill in pack.declared_skills()})


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def checked_agent(agent: AgentInput, pack: RulePack) -> AgentRecord:
    """The record to store (skills lower case, duplicates dropped), or InvalidAgent naming every problem."""
    problems: list[Problem] = []
    if not is_safe_id(agent.id):
        problems.append(Problem("id", f"{agent.id!r} does not match {ID_PATTERN}"))
    teams = _unique(agent.teams)
    for team in teams:
        if team not in pack.teams:
            known = ", ".join(sorted(pack.teams)) or "none"
            problems.append(
                Problem("teams", f"team {team!r} is not a team of the active rule pack ({known})")
            )
    skills = _unique([skill.lower() for skill in agent.skills])
    declared = declared_skills(pack)
    for skill in skills:
        if not _SKILL.fullmatch(skill):
            problems.append(Problem("skills", f"skill {skill!r} does not match {SKILL_PATTERN}"))
        elif skill not in declared:
            problems.append(
                Problem(
                    "skills",
                    f"skill {skill!r} is not declared by any team of the active rule pack "
                    f"(teams.<team>.skills declare: {', '.join(declared) or 'none'})",
                )
            )
    channels = _unique(agent.channels)
    for channel in channels:
        if channel not in CHANNELS:
            problems.append(Problem("channels", f"channel {channel!r} is not one of {', '.join(CHANNELS)}"))
    capacity = _capacity(agent.capacity, problems)
    taken = set(channels) & set(CHANNELS)  # a channel misspelt is named above, not again here
    for channel in sorted(capacity.keys() & set(CHANNELS) - taken) if taken else ():
        # Saved, it took nothing on that channel, and with no capacity on its own channels nothing at all.
        problems.append(
            Problem(
                f"capacity.{channel}",
                f"the agent takes {', '.join(channels)} only (`channels`): "
                f"a capacity for {channel} is never used",
            )
        )
    if problems:
        raise InvalidAgent(problems)
    return AgentRecord(
        agent_id=agent.id, name=agent.name, teams=teams, skills=skills, channels=channels, capacity=capacity
    )


def _capacity(given: int | dict[str, int], problems: list[Problem]) -> dict[str, int]:
    per_channel = {ANY_CHANNEL: given} if isinstance(given, int) else given
    if not per_channel:
        problems.append(Problem("capacity", "a number, or a number per channel for at least one channel"))
    if isinstance(given, dict) and ANY_CHANNEL in given and len(given) > 1:
        problems.append(Problem("capacity", f"{ANY_CHANNEL!r} covers all channels: give one number instead"))
    for channel, count in per_channel.items():
        field = "capacity" if channel == ANY_CHANNEL and isinstance(given, int) else f"capacity.{channel}"
        if channel != ANY_CHANNEL and channel not in CHANNELS:
            problems.append(Problem(field, f"channel {channel!r} is not one of {', '.join(CHANNELS)}"))
        elif not 0 <= count <= MAX_CAPACITY:
            problems.append(Problem(field, f"{count} is not between 0 and {MAX_CAPACITY}"))
    return dict(per_channel)


def shown_capacity(capacity: dict[str, int]) -> int | dict[str, int]:
    """Capacity as a client wrote it: one number when it covers all channels together."""
    if set(capacity) == {ANY_CHANNEL}:
        return capacity[ANY_CHANNEL]
    return capacity


async def active_pack(database: AsyncEngine, settings: Settings, tenant: str) -> RulePack:
    """The tenant's active pack (the shipped pack activated for a tenant that has none, as for its
    first conversation), for the CLI; the API reads the hash through its per-process cache."""
    return await PackStore(database).get(await ensure_active_pack(database, settings, tenant))
