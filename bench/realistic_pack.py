"""A 200-rule pack shaped like the ones ops teams write, and the same rules written by hand in Python.

Several events; routing on keywords per topic and channel, tiers, languages; `and` / `or` / `!`;
numeric thresholds (a chained range too); tag checks; regular expressions. Conditions start with
what is often true (the channel, the event's details) so rules do not all stop at their first test;
a few rules match each bench context and most do not; only late rules `stop`.

`realistic_pack(n)` is the pack document; `by_hand(n)` the equivalent function of a RuleContext
returning the actions in order, as the pack's decision lists them (`CONTEXTS` are what the bench
decides on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.rules.context import RuleContext
from engine.rules.jsonlogic import _regex
from engine.rules.pack import Rule

TOPICS: dict[str, list[str]] = {
    "billing": ["invoice", "refund", "charged twice", "billing", "payment", "receipt"],
    "technical": ["error", "crash", "bug", "not working", "broken", "timeout"],
    "shipping": ["delivery", "shipping", "tracking", "parcel", "courier", "lieferung"],
    "account": ["password", "login", "locked out", "two-factor", "username", "sign in"],
    "cancellation": ["cancel", "terminate", "close my account", "unsubscribe", "kündigen"],
    "security": ["phishing", "hacked", "breach", "suspicious", "fraud"],
    "sales": ["quote", "pricing", "discount", "upgrade", "enterprise plan", "angebot"],
    "feedback": ["suggestion", "feature request", "would be nice", "love the", "idea"],
    "legal": ["gdpr", "lawyer", "data request", "contract", "terms"],
    "integration": ["api", "webhook", "integration", "zapier", "sdk", "schnittstelle"],
    "returns": ["return", "exchange", "wrong size", "damaged", "rücksendung"],
    "onboarding": ["getting started", "setup", "onboarding", "tutorial", "first steps"],
}
TEAMS = ["billing", "technical", "logistics", "accounts", "retention", "specialists", "sales", "general"]
CHANNELS = ["email", "chat", "whatsapp", "email", "sms", "social"]
TIERS = [["vip", "enterprise"], ["pro", "business"], ["free"], ["pro", "vip", "enterprise"]]
LANGUAGES = ["en", "de", "fr", "es"]
PATTERNS = [r"\border\s*#?\d{6}\b", r"\b(5\d\d|4\d\d) error\b", r"\binv-\d{4,}\b", r"\bticket\s+\d+\b"]

EVENTS = ["conversation.created"] * 6 + ["message.received"] * 3 + ["sla.breached"]

Check = Callable[[RuleContext, str, str], bool]


def _spec(i: int) -> tuple[str, Any, Check, list[dict[str, Any]]]:
    """Rule i: its event, its JSON-logic condition, the same condition by hand, its actions."""
    topic = list(TOPICS)[i % len(TOPICS)]
    words = TOPICS[topic]
    team = TEAMS[i % len(TEAMS)]
    channel = CHANNELS[i % len(CHANNELS)]
    tiers = TIERS[i % len(TIERS)]
    language = LANGUAGES[i % len(LANGUAGES)]
    floor = (i % 9) * 250
    event = EVENTS[i % len(EVENTS)]
    text = {"var": "message.text"}
    kind = i % 8
    if event == "sla.breached":
        target = ["first_response", "next_response", "resolution"][i % 3]
        logic: Any = {
            "and": [
                {"==": [{"var": "event.sla_target"}, target]},
                {"in": [{"var": "customer.tier"}, tiers]},
                {"!": {"in": ["escalated", {"var": "conversation.tags"}]}},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            return (
                c.event.sla_target == target
                and c.customer.tier in tiers
                and "escalated" not in c.conversation.tags
            )

        return event, logic, check, [{"notify": {"team": team, "message": f"{topic} SLA breached"}}]
    if kind == 0:  # keywords on a channel, unless already tagged
        logic = {
            "and": [
                {"==": [{"var": "conversation.channel"}, channel]},
                {"contains_any": [text, words]},
                {"!": {"in": [topic, {"var": "conversation.tags"}]}},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            return (
                c.conversation.channel == channel
                and any(w in t for w in words)
                and topic not in c.conversation.tags
            )

        return event, logic, check, [{"add_tags": [topic]}, {"route": team}]
    if kind == 1:  # valuable customers of some tiers
        logic = {
            "and": [
                {"in": [{"var": "customer.tier"}, tiers]},
                {">": [{"var": "customer.lifetime_value"}, floor]},
                {"contains_any": [text, words[:3]]},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            value = c.customer.lifetime_value
            return (
                c.customer.tier in tiers
                and value is not None
                and value > floor
                and any(w in t for w in words[:3])
            )

        return event, logic, check, [{"set_priority": "high"}, {"add_tags": [f"{topic}-priority"]}]
    if kind == 2:  # keywords in the text or the subject, or a reference number
        logic = {
            "or": [
                {"contains_any": [text, words[3:]]},
                {"contains_any": [{"var": "message.subject"}, words[:2]]},
                {"matches": [text, PATTERNS[i % len(PATTERNS)]]},
            ]
        }
        pattern = PATTERNS[i % len(PATTERNS)]

        def check(c: RuleContext, t: str, s: str) -> bool:
            return (
                any(w in t for w in words[3:])
                or any(w in s for w in words[:2])
                or _search(pattern, c.message.text)
            )

        return event, logic, check, [{"add_tags": [f"{topic}-mentioned"]}]
    if kind == 3:  # after hours, by language
        logic = {
            "and": [
                {"==": [{"var": "customer.language"}, language]},
                {"!": {"var": "business_hours.open"}},
                {"contains_any": [text, words]},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            return (
                c.customer.language == language and not c.business_hours.open and any(w in t for w in words)
            )

        return event, logic, check, [{"reply": {"template": f"after_hours_{language}"}}]
    if kind == 4:  # repeated contact on a topic
        logic = {
            "and": [
                {">=": [{"var": "conversation.customer_messages"}, 2 + i % 3]},
                {"in": [topic, {"var": "conversation.tags"}]},
                {"!": {"in": ["escalated", {"var": "conversation.tags"}]}},
            ]
        }
        repeats = 2 + i % 3

        def check(c: RuleContext, t: str, s: str) -> bool:
            tags = c.conversation.tags
            return c.conversation.customer_messages >= repeats and topic in tags and "escalated" not in tags

        return event, logic, check, [{"add_tags": ["escalated"]}, {"route": "specialists"}]
    if kind == 5:  # everyone but some tiers, in a value band
        logic = {
            "and": [
                {"!": {"in": [{"var": "customer.tier"}, tiers]}},
                {"<": [floor, {"var": "customer.lifetime_value"}, floor + 5000]},
                {"contains_any": [text, words]},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            value = c.customer.lifetime_value
            band = value is not None and floor < value < floor + 5000
            return c.customer.tier not in tiers and band and any(w in t for w in words)

        return event, logic, check, [{"apply_sla": "standard"}, {"add_tags": [f"{topic}-band"]}]
    if kind == 6:  # a known customer on a channel, or any vip
        logic = {
            "and": [
                {"or": [{"var": "customer.known"}, {"==": [{"var": "customer.tier"}, "vip"]}]},
                {"!=": [{"var": "conversation.channel"}, channel]},
                {"contains_any": [text, words[1:4]]},
            ]
        }

        def check(c: RuleContext, t: str, s: str) -> bool:
            known = c.customer.known or c.customer.tier == "vip"
            return known and c.conversation.channel != channel and any(w in t for w in words[1:4])

        return event, logic, check, [{"add_note": {"text": f"known customer asks about {topic}"}}]
    # kind 7: nothing routed yet, on a topic
    logic = {
        "and": [
            {"==": [{"var": "conversation.team"}, None]},
            {"contains_any": [text, words]},
        ]
    }

    def check(c: RuleContext, t: str, s: str) -> bool:
        return c.conversation.team is None and any(w in t for w in words)

    return event, logic, check, [{"route": team}, {"assign": {"strategy": "round_robin"}}]


def _search(pattern: str, text: str) -> bool:
    return _regex(pattern).search(text) is not None


def _stops(i: int, n: int) -> bool:
    return i >= n - n // 10 and i % 7 == 0


def realistic_pack(n: int = 200) -> dict[str, Any]:
    rules = []
    for i in range(n):
        event, logic, _, actions = _spec(i)
        rules.append(
            {"id": f"rule-{i:03d}", "on": [event], "if": logic, "then": actions, "stop": _stops(i, n)}
        )
    return {
        "meta": {"name": "realistic", "version": "1"},
        "calendars": {
            "office": {
                "timezone": "Europe/Berlin",
                "hours": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            }
        },
        "sla_policies": {"standard": {"calendar": "office", "first_response_minutes": 480}},
        "teams": {team: {} for team in TEAMS},
        "templates": {
            f"after_hours_{lang}": {"en": "We are closed and will answer when we open."} for lang in LANGUAGES
        },
        "rules": rules,
    }


def by_hand(n: int = 200) -> Callable[[RuleContext], list[dict[str, Any]]]:
    """The pack's rules as Python: one casefold of the text and subject, a check per rule."""
    events: dict[str, list[tuple[Check, list[dict[str, Any]], bool]]] = {}
    for i in range(n):
        event, _, check, actions = _spec(i)
        rule = Rule.model_validate({"id": "r", "on": [event], "then": actions})
        described = [a.describe() for a in rule.then]
        events.setdefault(event, []).append((check, described, _stops(i, n)))

    def decide(context: RuleContext) -> list[dict[str, Any]]:
        text = context.message.text.casefold()
        subject = (context.message.subject or "").casefold()
        out: list[dict[str, Any]] = []
        for check, actions, stop in events.get(context.event.type.value, []):
            if check(context, text, subject):
                out.extend(actions)
                if stop:
                    break
        return out

    return decide


def _context(event_type: str, **parts: Any) -> RuleContext:
    event = {"type": event_type, "time": "2026-11-23T10:00:00Z", **parts.pop("event", {})}
    return RuleContext.model_validate({"event": event, **parts})


CONTEXTS = [
    _context(
        "conversation.created",
        conversation={"channel": "email", "tags": ["new"]},
        message={
            "text": "Hello, I was charged twice on my last invoice and would like a refund please.",
            "subject": "Invoice INV-20931",
        },
        customer={"known": True, "tier": "pro", "lifetime_value": 1200.0, "language": "en"},
    ),
    _context(
        "conversation.created",
        conversation={"channel": "chat"},
        message={
            "text": "The app shows a 502 error and crashes when I try to sign in since the last update."
        },
        customer={"tier": "vip", "lifetime_value": 52000.0, "language": "en"},
        business_hours={"open": False},
    ),
    _context(
        "message.received",
        conversation={
            "channel": "whatsapp",
            "tags": ["shipping"],
            "customer_messages": 3,
            "team": "logistics",
        },
        message={
            "text": "Wo bleibt meine Lieferung? Die Sendungsverfolgung zeigt seit Tagen nichts, "
            "order #123456."
        },
        customer={"tier": "free", "lifetime_value": 80.0, "language": "de"},
    ),
    _context(
        "sla.breached",
        event={"sla_target": "first_response"},
        conversation={"channel": "email", "tags": ["billing", "vip"]},
        customer={"tier": "enterprise", "lifetime_value": 250000.0},
    ),
    _context(
        "conversation.created",
        conversation={"channel": "social"},
        message={"text": "I'd like to cancel my subscription and close my account, the pricing is too high."},
        customer={"tier": "business", "lifetime_value": 3100.0, "language": "fr"},
    ),
]
