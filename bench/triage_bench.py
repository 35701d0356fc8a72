"""Triage: what classifying a customer message costs a decision, and how right it is.

- Latency: the worker's real `decide` activity (activities/rule_decisions.py, ActivityEnvironment,
  SQLite control plane, the shipped default pack published with its stored intent model) decides
  the same conversation.created requests with and without `triage`, in alternating rounds; the
  ratio of the medians is classification's share of a decision. The classifier alone (language,
  intent, sentiment of one message) is timed too.
- Accuracy: every distinct customer message of rule_packs/samples, labelled by hand
  (bench/triage_labels.json), is classified with the default pack (intent) and the kundenservice
  pack (language: German or English). The default pack's examples include some sample texts, so
  the intent accuracy is also given for a model trained without any sentence that is a sample
  ("unseen"): that is the figure for messages nobody wrote an example for.
- Memory and cold start: a fresh process loads the default pack's triage and classifies once; the
  RSS it grew by and the time the first message took are printed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.rule_decisions import PackRegistry, RuleActivities
from bench.results import Result
from engine.contracts.decisions import DecideRequest
from engine.db.connection import open_engine, upgrade
from engine.db.intent_models import IntentModelStore
from engine.db.packs import PackStore
from engine.rules.triage import Triager, examples_of, train, trained_model
from engine.service.pack_files import load_valid

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "triage_labels.json"
ROUNDS = 7
CALLS = 200
TEXTS = [
    "Hello, I was charged twice on my last invoice and would like a refund please.",
    "I cannot log in, the password reset gives me an error.",
    "We are moving to a competitor, please end our contract.",
    "Meine Rechnung ist falsch, bitte korrigieren Sie den Betrag.",
]
COLD = """
import resource, time
def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20
from engine.service.pack_files import load_valid
from engine.rules.triage import Triager, IntentModel, trained_model
from pathlib import Path
pack = load_valid(Path('rule_packs/default'))
model = IntentModel.from_json(trained_model(pack).json)
before = rss(); started = time.perf_counter()
Triager(pack, model).classify('Why was I charged twice on my invoice?')
print(rss() - before, time.perf_counter() - started)
"""


def requests(pack_hash: str, triage: bool) -> list[DecideRequest]:
    return [
        DecideRequest(
            pack_hash=pack_hash,
            context={
                "event": {"type": "conversation.created", "time": "2026-11-24T10:00:00+00:00", "depth": 0},
                "conversation": {"id": "c", "channel": "email", "created_at": "2026-11-24T09:00:00+00:00"},
                "message": {"text": text, "auto_submitted": False},
                "customer": {"tier": "pro"},
            },
            calendar="office",
            filled_only=True,
            triage=triage,
        )
        for text in TEXTS
    ]


async def decide_latencies() -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/bench.db")
        await upgrade(engine)
        pack = load_valid(ROOT / "rule_packs" / "default")
        await PackStore(engine).publish("bench", pack, published_by="bench", source=None)
        rules = RuleActivities(PackRegistry(PackStore(engine), IntentModelStore(engine)))
        env = ActivityEnvironment()
        batches = {False: requests(pack.content_hash, False), True: requests(pack.content_hash, True)}
        latencies: dict[bool, list[float]] = {False: [], True: []}
        for rounds, keep in ((1, False), (ROUNDS, True)):  # the first round warms caches and models
            for _ in range(rounds):
                for triage in (False, True):
                    for i in range(CALLS):
                        started = time.perf_counter()
                        await env.run(rules.decide, batches[triage][i % len(TEXTS)])
                        if keep:
                            latencies[triage].append(time.perf_counter() - started)
        await engine.dispose()
        return latencies[False], latencies[True]


def classify_latency() -> float:
    pack = load_valid(ROOT / "rule_packs" / "default")
    triager = Triager(pack, trained_model(pack))
    for text in TEXTS:
        triager.classify(text)
    times = []
    for i in range(ROUNDS * CALLS):
        started = time.perf_counter()
        triager.classify(TEXTS[i % len(TEXTS)])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def accuracy() -> dict[str, float]:
    labels: dict[str, dict[str, str]] = json.loads(LABELS.read_text())["labels"]
    default = load_valid(ROOT / "rule_packs" / "default")
    german = Triager(load_valid(ROOT / "rule_packs" / "kundenservice"), None)
    seen = Triager(default, trained_model(default))
    examples = [e for e in examples_of(default.intent_examples()) if e.text not in labels]
    unseen_model = train(examples)
    hits: Counter[str] = Counter()
    for text, label in labels.items():
        hits["language"] += german.classify(text)["language"] == label["language"]
        hits["intent"] += seen.classify(text)["intent"] == label["intent"]
        hits["unseen"] += unseen_model.classify(text, threshold=0.0).intent == label["intent"]
    print(f"{len(labels)} labelled sample texts; {len(examples)} examples left for the unseen model")
    return {key: hits[key] / len(labels) for key in ("language", "intent", "unseen")}


def cold_start() -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(done[0]), float(done[1])


def main() -> list[Result]:
    plain, triaged = asyncio.run(decide_latencies())
    alone = classify_latency()
    right = accuracy()
    grown, first = cold_start()
    median_plain, median_triaged = statistics.median(plain), statistics.median(triaged)
    print(
        f"decide median {median_plain * 1e6:.0f} us without triage, {median_triaged * 1e6:.0f} us with; "
        f"classification alone {alone * 1e6:.0f} us per message; accuracy: language "
        f"{right['language']:.0%}, intent {right['intent']:.0%} (unseen {right['unseen']:.0%}); "
        f"a cold process: first message {first * 1000:.0f} ms, +{grown:.0f} MB"
    )
    return [
        Result(
            "triage: decide latency with triage (median)",
            median_triaged * 1000,
            "ms",
            baseline=median_plain * 1000,
        ),
        Result("triage: classification per message (median)", alone * 1000, "ms"),
        Result(
            "triage: language accuracy on the labelled samples", right["language"] * 100, "%", goal=">= 95 %"
        ),
        Result("triage: intent accuracy on the labelled samples", right["intent"] * 100, "%"),
        Result("triage: intent accuracy, samples unseen in training", right["unseen"] * 100, "%"),
        Result("triage: memory of a cold process's triage (de, en, fr, es)", grown, "MB"),
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
