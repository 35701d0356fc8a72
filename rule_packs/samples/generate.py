"""Writes conversations.jsonl: recorded conversations for `convoflow rules simulate` and `diff`.

Deterministic (fixed seed), so the committed file is reproducible:
    python rule_packs/samples/generate.py > rule_packs/samples/conversations.jsonl
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

SEED = 20261123
COUNT = 300

ENGLISH = {
    "billing": [
        "Why was I charged twice on my invoice?",
        "I want a refund for last month.",
        "Can you explain the price of the pro plan?",
        "My payment failed, what now?",
        "Please cancel my subscription and refund me.",
    ],
    "technical": [
        "I cannot log in since this morning.",
        "The app shows a 500 error when saving.",
        "Password reset link is broken.",
        "The export crashes every time.",
        "Sync is not working on my phone.",
    ],
    "general": [
        "Do you ship to Canada?",
        "What are your opening hours?",
        "Who do I talk to about a partnership?",
        "Thanks for the quick help last week!",
        "Can I change the email on my account?",
    ],
}
GERMAN = {
    "service": [
        "In meiner Rechnung ist ein Fehler, der Betrag stimmt nicht.",
        "Was kostet der Business-Tarif?",
        "Meine Bestellung 4711 ist nicht angekommen.",
        "Ich möchte meinen Vertrag kündigen.",
        "Wann bekomme ich meine Rückerstattung?",
        "Bitte schicken Sie die Rechnung auf Papier.",
    ],
    "support": [
        "Ich kann mich nicht anmelden, das Passwort wird abgelehnt.",
        "Beim Speichern kommt Fehler 503.",
        "Die App stürzt ab seit dem Update.",
        "Wie richte ich die Zwei-Faktor-Anmeldung ein?",
        "Die Seite lädt nicht.",
    ],
    "complex": [
        "Unsere API liefert seit gestern leere Antworten.",
        "Nach dem Import haben wir Datenverlust.",
        "Der Webhook an unser ERP kommt nicht mehr an.",
    ],
    "general": [
        "Hallo, ich habe eine Frage.",
        "Haben Sie am Samstag geöffnet?",
        "Danke für die schnelle Hilfe!",
    ],
}
FOLLOW_UPS = {
    "en": ["Any news?", "This is urgent, please answer asap.", "Still not working."],
    "de": ["Gibt es Neuigkeiten?", "Es ist dringend!", "Es geht immer noch nicht."],
}
TIERS = [None, "free", "pro", "vip", "premium", "business"]


def conversation(rng: random.Random, n: int) -> dict:
    german = rng.random() < 0.5
    lang = "de" if german else "en"
    topics = GERMAN if german else ENGLISH
    topic = rng.choice(list(topics))
    text = rng.choice(topics[topic])
    start = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 60 * 24 * 28))
    open_now = start.weekday() < 5 and 8 <= start.hour < 17
    customer = {
        "first_name": rng.choice(["Ada", "Jana", "Lukas", "Grace", "Mehmet", "Sofia"]),
        "language": lang,
    }
    if tier := rng.choice(TIERS):
        customer["tier"] = tier
    attachments = (
        [{"name": "trace.har", "content_type": "application/json", "size": 9000}]
        if (topic == "technical" and rng.random() < 0.1)
        else []
    )
    auto = rng.random() < 0.04
    created = {
        "event": {"time": start.isoformat()},
        "conversation": {
            "id": f"sample-{n}",
            "channel": rng.choice(["email", "chat", "whatsapp"]),
            "language": lang,
        },
        "message": {
            "text": "Automatic reply: I am out of office" if auto else text,
            "auto_submitted": auto,
            "attachments": attachments,
        },
        "customer": customer,
        "business_hours": {"open": open_now},
    }
    events = [{"event": "conversation.created", "context": created}]
    tags = {
        "billing": ["billing"],
        "technical": ["technical"],
        "service": ["kundenservice"],
        "support": ["kundensupport"],
        "complex": ["kundensupport", "komplex"],
    }.get(topic, [])
    for i in range(rng.choice([0, 0, 1, 2, 3])):
        events.append(
            {
                "event": "message.received",
                "context": {
                    "event": {"time": (start + timedelta(hours=2 * (i + 1))).isoformat()},
                    "conversation": {
                        "id": f"sample-{n}",
                        "tags": tags,
                        "customer_messages": i + 2,
                        "language": lang,
                    },
                    "message": {"text": rng.choice(FOLLOW_UPS[lang])},
                    "customer": customer,
                },
            }
        )
    if rng.random() < 0.15:
        events.append(
            {
                "event": "sla.breached",
                "context": {
                    "event": {"time": (start + timedelta(days=1)).isoformat(), "sla_target": "first_response"}
                },
            }
        )
    if rng.random() < 0.7:
        solved_at = start + timedelta(days=rng.randrange(1, 5))
        events.append(
            {
                "event": "status.changed",
                "context": {
                    "event": {"time": solved_at.isoformat(), "previous_status": "open"},
                    "conversation": {"id": f"sample-{n}", "status": "solved", "tags": tags},
                },
            }
        )
        if rng.random() < 0.5:
            events.append(
                {
                    "event": "survey.completed",
                    "context": {
                        "event": {"time": (solved_at + timedelta(days=1)).isoformat()},
                        "survey": {"rating": rng.randint(1, 5)},
                    },
                }
            )
    return {"id": f"sample-{n}", "language": lang, "events": events}


def main() -> None:
    rng = random.Random(SEED)
    for n in range(1, COUNT + 1):
        conv = conversation(rng, n)
        conv.pop("language")
        print(json.dumps(conv, ensure_ascii=False))


if __name__ == "__main__":
    main()
