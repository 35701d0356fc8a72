"""Triage (issue 22): a customer message's language, intent and sentiment as rule inputs.

Languages and intents are checked on the shipped packs as ops would use them; the end-to-end
tests post messages through the API to a real worker and read the team, the conversation's
language and the decision trail back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.local_crm import LocalCrm
from engine.cli.rules import load_pack
from engine.db.intent_models import IntentModelStore
from engine.rules.casetest import run_case
from engine.rules.decision import CompiledPack
from engine.rules.loader import load_text
from engine.rules.pack import Expectation, TestCase
from engine.rules.triage import IntentModel, Triager, trained_model
from engine.rules.triage.triager import TRIAGE_CHARS
from engine.rules.validation import validate
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, trail
from tests.cli_run import Run, run_cli
from tests.conftest import publish, serve_service
from tests.outbox_rows import OutboxRows
from tests.polling import eventually

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "rule_packs"
DEFAULT = load_pack(str(PACKS / "default"))
KUNDENSERVICE = load_pack(str(PACKS / "kundenservice"))


def keywords(pack_rules: list, *ids: str) -> list[str]:
    """Every `contains_any` keyword of the named rules: what the paraphrases must not contain."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for op, args in node.items():
                if op == "contains_any" and isinstance(args, list) and isinstance(args[1], list):
                    found.extend(args[1])
                walk(args)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for rule in pack_rules:
        if rule.id in ids:
            walk(rule.condition)
    return found


DEFAULT_KEYWORDS = keywords(DEFAULT.rules, "tag-billing", "tag-technical", "urgent-keywords")

BILLING = [
    "The total you billed looks far too high",
    "Why is the sum on the statement higher than agreed?",
    "Somebody took money off my card twice, please sort that out",
    "Der abgebuchte Betrag ist zu hoch.",
]
CANCELLATION = [
    "We are moving to a competitor, please end our contract.",
    "Please stop renewing, we are leaving",
    "Wir gehen zur Konkurrenz und brauchen Ihr Produkt nicht länger.",
    "Wir verlassen Sie zum Quartalsende, bitte alles beenden.",
]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Guten Tag, seit gestern kann ich keine Dateien mehr hochladen.", "de"),
        ("Hello, since yesterday I cannot upload any files.", "en"),
        # Mixed: the language most of the message is written in.
        ("Hallo Team, unser Export bricht ab. Thanks! Die Datei ist zu groß, sagt die Meldung.", "de"),
        ("Hallo! We moved offices last month and need the address on our account changed.", "en"),
    ],
)
def test_a_message_gets_the_served_language_it_is_written_in(text: str, language: str) -> None:
    triager = Triager(KUNDENSERVICE, None)
    assert triager.languages == ("de", "en")
    record = triager.classify(text)
    assert record["language"] == language
    assert record["language_confidence"] > 0.5
    assert set(record["language_scores"]) == {"de", "en"}  # only the languages the pack serves


def test_paraphrases_reach_the_right_team_without_a_keyword() -> None:
    compiled = CompiledPack(DEFAULT)
    for texts, intent, team in ((BILLING, "billing", "billing"), (CANCELLATION, "cancellation", "retention")):
        for text in texts:
            assert not [k for k in DEFAULT_KEYWORDS if k in text.casefold()], text
            examples = [s for i in DEFAULT.intents.values() for ss in i.examples.values() for s in ss]
            assert text not in examples
            case = TestCase(
                name=text,
                event="conversation.created",  # type: ignore[arg-type]
                context={"message": {"text": text}},
                expect=Expectation(intent=intent, route=team),
            )
            result = run_case(compiled, case)
            assert result.passed, result.failures


def test_sentiment_is_vader_for_english_and_the_pack_lexicon_for_german() -> None:
    english = Triager(DEFAULT, None).classify("This is the worst service ever, I am furious!")
    assert english["sentiment_label"] == "negative" and english["sentiment"] < -0.5
    assert english["sentiment_source"] == "vader"
    triager = Triager(KUNDENSERVICE, None)
    angry = triager.classify("Das ist eine Frechheit, ich bin total verärgert.")
    happy = triager.classify("Vielen Dank, das hat super geklappt!")
    negated = triager.classify("Das war leider nicht gut.")
    assert angry["sentiment_label"] == "negative" and angry["sentiment_source"] == "lexicon:de"
    assert happy["sentiment_label"] == "positive"
    assert negated["sentiment_label"] == "negative"
    assert -1 <= angry["sentiment"] <= 1 and -1 <= happy["sentiment"] <= 1


def test_the_model_is_deterministic_plain_json_and_named_by_its_hash() -> None:
    first = trained_model(DEFAULT)
    assert first is not None
    from engine.rules.triage.training import examples_of, train

    again = train(examples_of(DEFAULT.intent_examples()))  # not the process cache: trained anew
    assert again.hash == first.hash and again.json == first.json
    loaded = IntentModel.from_json(first.json)
    assert loaded.hash == first.hash
    text = "The total you billed looks far too high"
    assert loaded.classify(text) == first.classify(text)
    with pytest.raises(ValueError):
        IntentModel.from_json(json.dumps({"format": 99}))


WEAK_PACK = """
meta: {name: weak}
triage: {min_precision: 0.8, min_recall: 0.8}
intents:
  orders:
    examples:
      en: [Where is my parcel?, My parcel has not arrived., I want to know where my parcel is.]
  deliveries:
    examples:
      en: [Where is my delivery?, My delivery has not arrived., I want to know about my parcel.]
  greetings:
    examples:
      en: [Hello and good morning, Good morning and hello, Hello hello and a good morning]
rules:
  - id: orders
    on: [message.received]
    if: {"==": [{"var": "message.intent"}, "orders"]}
    then: [{add_tags: [orders]}]
"""


def test_a_pack_with_weak_intents_is_refused_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, problems = validate(load_text(WEAK_PACK))
    weak = {p.path: p for p in problems if p.code == "weak-intent"}
    assert set(weak) == {"intents.orders", "intents.deliveries"}
    assert (
        "precision" in weak["intents.orders"].message
        and "triage.min_precision 0.8" in weak["intents.orders"].message
    )
    pack = tmp_path / "weak.yaml"
    pack.write_text(WEAK_PACK)
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "data"))
    run: Run = run_cli(capsys, ["rules", "publish", str(pack)])
    assert run.returncode == 1  # well-formed, like a pack whose test cases fail; a broken pack is 2
    assert "intents.orders" in run.stdout + run.stderr and "intents.deliveries" in run.stdout + run.stderr
    assert "intents.greetings" not in run.stdout + run.stderr


def test_rules_test_of_weak_intents_still_runs_the_cases_and_names_the_confusion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rules test` printed the two weak-intent lines and nothing else: no case ran and the table
    of precision and recall that says what to mend was not shown; "merge it with the intent it is
    confused with" named none (orders and deliveries are the same question in other words)."""
    pack = tmp_path / "weak.yaml"
    pack.write_text(
        WEAK_PACK
        + """tests:
  - name: a parcel question is tagged
    event: message.received
    context: {message: {text: "hello", intent: orders}}
    expect: {tags: [orders]}
"""
    )
    run: Run = run_cli(capsys, ["rules", "test", str(pack)])
    assert run.returncode == 1
    assert "PASS  a parcel question is tagged" in run.stdout
    assert re.search(r"orders +3 examples +precision \S+ +recall \S+ +WEAK", run.stdout)
    assert "merge it with deliveries, the intent it is confused with most" in run.stdout
    assert run.stdout.rstrip().endswith("1 passed, 0 failed, 2 weak intent(s)")


async def test_publishing_weak_intents_is_a_422_naming_them(api: ApiClient) -> None:
    reply = await api.request("POST", "/v1/rules/publish", json={"pack": WEAK_PACK})
    assert reply.status == 422
    fields = {f["field"] for f in reply.body["fields"]}
    assert fields == {"pack.intents.orders", "pack.intents.deliveries"}


async def test_messages_are_routed_by_intent_and_the_trail_shows_why(
    api: ApiClient, settings: Settings, tenants: dict[str, str], worker: None
) -> None:
    digest = publish(settings, PACKS / "default")
    database = database_of(settings)
    try:
        # The CRM prefers English for this customer, who writes German: the CRM wins.
        await LocalCrm(database).upsert(
            tenants["acme"], {"id": "c-9", "email": "eva@example.com", "language": "en"}
        )
        await api.post_message("tri-billing", "m-1", BILLING[0])
        await api.post_message("tri-leaving", "m-1", CANCELLATION[2])
        await api.post_message("tri-crm", "m-1", BILLING[3], sender="eva@example.com")
        stored = await IntentModelStore(database).get(digest)
    finally:
        await database.dispose()
    assert stored is not None
    billing, leaving, crm = [(await api.get(c)).body for c in ("tri-billing", "tri-leaving", "tri-crm")]
    assert (billing["team"], billing["language"]) == ("billing", "en")
    assert (leaving["team"], leaving["language"]) == ("retention", "de")
    assert (crm["team"], crm["language"]) == ("billing", "en")

    created = (await trail(api, "tri-leaving"))[0]
    assert created["event"] == "conversation.created"
    triage = created["triage"]
    assert triage["language"] == "de" and triage["intent"] == "cancellation"
    assert triage["intent_model"] == stored.hash
    assert set(triage["intent_scores"]) == {"billing", "cancellation", "general", "technical"}
    assert max(triage["intent_scores"], key=triage["intent_scores"].get) == "cancellation"
    assert triage["intent_words"] and all(w in CANCELLATION[2].casefold() for w, _ in triage["intent_words"])
    rule = next(r for r in created["decision"]["rules"] if r["id"] == "intent-cancellation")
    assert rule == {
        "id": "intent-cancellation",
        "outcome": "matched",
        "reads": {"message.intent": "cancellation"},
        "error": None,
    }
    crm_created = (await trail(api, "tri-crm"))[0]
    assert crm_created["triage"]["language"] == "de"  # the message's own language, recorded
    # Templates follow the conversation's language: German for the German writer, English where the
    # CRM prefers it.
    sent = {row["idempotency_key"].split(":")[2]: row["text"] for row in OutboxRows(settings).read_all()}
    assert sent["tri-leaving"].startswith("Hallo") and sent["tri-billing"].startswith("Hi")
    assert sent["tri-crm"].startswith("Hi")


async def test_a_message_as_long_as_the_api_takes_is_decided_and_routed(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """A 99,000-character message (a pasted log under a question) was never decided: its sentiment
    took minutes, `decide` timed out at every attempt for ever, the customer got no acknowledgement
    and the worker's threads were held from every other conversation (helper-122). Triage reads the
    message's first TRIAGE_CHARS characters: what the customer wants is said first."""
    publish(settings, PACKS / "default")
    question = "Hello, I was charged twice on my last invoice and would like a refund please.\n"
    text = (question + "log line error 42 happened here\n" * 4_000)[:99_000]
    wide = settings.model_copy(update={"max_body_bytes": 256 * 1024})  # the service's default
    async with serve_service(client, wide, tenants) as api:
        answer = await api.post_message("tri-long", "m-1", text)
        assert answer.status == 201, answer.body
        shown = (await api.get("tri-long")).body
        triage = (await trail(api, "tri-long"))[0]["triage"]
    assert shown["team"] is not None and shown["language"] == "en", shown  # routed
    acknowledged = [r for r in OutboxRows(settings).read_all() if r["kind"] == "auto_reply"]
    assert [r["template"] for r in acknowledged] in (["acknowledgement"], ["acknowledgement_after_hours"])
    assert triage == Triager(DEFAULT, trained_model(DEFAULT)).classify(text[:TRIAGE_CHARS])


def test_a_pack_lexicon_matches_as_it_is_written() -> None:
    """Keys were compared with case-folded words as written: "Katastrophe" and "scheiße" (casefold
    makes it "scheisse") matched nothing, a phrase ("en colère") never matched, and "最悪" was not
    found in "最悪です", one word to the tokenizer. All scored a furious message neutral."""
    from engine.rules.triage.sentiment import score

    german = {"scheiße": -3.0, "Katastrophe": -3.0}
    assert score("Das ist eine Katastrophe!", "de", german, ["nicht"]).label == "negative"
    assert score("Das ist scheiße", "de", german, ["nicht"]).label == "negative"
    assert score("Das ist nicht scheiße", "de", german, ["nicht"]).label == "positive"  # negated
    french = {"en colère": -2.5, "nul": -2.0}
    both = score("Je suis en colère, c'est nul", "fr", french, ["pas"])
    alone = score("c'est nul", "fr", french, ["pas"])
    assert both.score < alone.score < 0  # the phrase counts too
    japanese = {"最悪": -3.0}
    assert score("最悪です。返金してください", "ja", japanese, []).label == "negative"
    assert score("ありがとうございます", "ja", japanese, []).label == "neutral"
    # Inside such a word the longest key wins and a negation right before a key flips it.
    chinese = {"好": 2.0, "不好": -2.0, "满意": 2.0}
    assert score("我很不好", "zh", chinese, ["不"]).label == "negative"
    assert score("我不满意", "zh", chinese, ["不"]).label == "negative"
    assert score("我很满意", "zh", chinese, ["不"]).label == "positive"
    assert score("ดาว", "th", {"ดี": 2.0}, []).label == "neutral"  # Thai is read as words are


async def test_a_rule_on_conversation_created_reads_the_language_its_message_was_detected_in(
    api: ApiClient, settings: Settings, tmp_path: Path, worker: None
) -> None:
    """An ops lead's natural first pack routed by `conversation.language` on `conversation.created`:
    its test (which sets the language) passed, and live every German, French and Spanish message read
    null there and went to the catch-all team, while the same decision's acknowledgement went out in
    the detected language (helper-114)."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        "meta: {name: by-language, language: en}\n"
        "triage: {languages: [de, en, fr]}\n"
        "rules:\n"
        "  - id: german\n"
        "    on: [conversation.created]\n"
        '    if: {"==": [{"var": "conversation.language"}, "de"]}\n'
        "    then: [{add_tags: [german]}]\n",
        encoding="utf-8",
    )
    publish(settings, pack)
    text = "Guten Tag, ich möchte meinen Vertrag kündigen, weil die Rechnung schon wieder falsch ist."
    assert (await api.post_message("lang-1", "m-1", text)).status == 201

    async def decided() -> bool:
        return bool(await trail(api, "lang-1"))

    await eventually(decided, "the first decision")
    created = (await trail(api, "lang-1"))[0]
    rule = next(r for r in created["decision"]["rules"] if r["id"] == "german")
    assert rule["reads"] == {"conversation.language": "de"}, rule
    assert "german" in (await api.get("lang-1")).body["tags"]
