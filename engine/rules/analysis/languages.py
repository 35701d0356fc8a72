"""Templates without a text in a language the pack serves: those customers get the default language.
Intents without an example in a language detection serves: its messages are classified by chance.

The pack serves its `meta.language`, every language a team declares (`lang:de` in `skills`), and
every language a rule's condition asks for (`conversation.language == "fr"`). A reply picks the
text in the conversation's language, else the pack's language; the validator already refuses a
template without the latter, so a missing served language is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.rules.analysis.conditions import exact_values
from engine.rules.analysis.findings import UNTRAINED_LANGUAGE, Finding
from engine.rules.analysis.reachability import Conjuncts
from engine.rules.pack import RulePack, base_language
from engine.rules.triage.triager import detected_languages
from engine.rules.validation import MISSING_TEMPLATE_TEXT

LANGUAGE_PATHS = ("conversation.language", "customer.language")


def served_languages(pack: RulePack, conjuncts: Conjuncts) -> dict[str, str]:
    """language -> why the pack serves it, in the order first seen."""
    served = {pack.meta.language.lower(): "meta.language"}
    for name, team in pack.teams.items():
        for skill in team.skills:
            if skill.lower().startswith("lang:"):
                served.setdefault(skill[5:].lower(), f"team {name} declares {skill}")
    for i, atoms in enumerate(conjuncts):
        for atom in atoms or ():
            if atom.var in LANGUAGE_PATHS:
                for value in exact_values(atom) or ():
                    if isinstance(value, str) and value:
                        served.setdefault(value.lower(), f"rule {pack.rules[i].id} asks for it")
    return served


def _users(pack: RulePack, template: str) -> list[str]:
    return [
        rule.id
        for rule in pack.rules
        if any(getattr(action, "template", None) == template for action in rule.then)
    ]


def missing_texts(pack: RulePack, conjuncts: Conjuncts) -> Iterator[Finding]:
    served = served_languages(pack, conjuncts)
    default = pack.meta.language.lower()
    for name, texts in pack.templates.items():
        has = {base_language(lang) for lang in texts}
        missing = [lang for lang in served if lang.split("-")[0] not in has]
        if not missing:
            continue
        why = "; ".join(f"{lang}: {served[lang]}" for lang in missing)
        yield Finding(
            severity="warning",
            code=MISSING_TEMPLATE_TEXT,
            rules=_users(pack, name),
            path=f"templates.{name}",
            message=f"has no text in {', '.join(missing)}, which the pack serves ({why}): those "
            f'customers get the "{default}" text',
        )


def untrained_languages(pack: RulePack) -> Iterator[Finding]:
    """A language detection serves that no intent has an example in: the classifier knows none of
    its words, so a message in it gets whichever intent a few shared letter groups favour ("Merci"
    went to cancellation, then retention, at 0.44)."""
    if not pack.intents:
        return
    trained = {base_language(lang) for intent in pack.intents.values() for lang in intent.examples}
    missing = [lang for lang in detected_languages(pack) if lang not in trained]
    if missing:
        yield Finding(
            severity="warning",
            code=UNTRAINED_LANGUAGE,
            path="intents",
            message=f"no intent has an example in {', '.join(missing)}, which triage serves: messages in "
            f"{'it' if len(missing) == 1 else 'them'} get an intent by chance; add example sentences in "
            f"{'it' if len(missing) == 1 else 'each'} to the intents",
        )
