"""Templates: dates and times read in the conversation's language and the calendar's time zone."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.rule_decisions import PackRegistry, RuleActivities
from engine.contracts.decisions import DecideRequest, SlaClockView
from engine.db.packs import PackStore
from engine.rules.templates import choose_text, render
from engine.rules.validation import validate
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_source, load_valid
from engine.service.temporal_server import DevServer
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.replay import replay_every_run
from tests.test_service_up import start_part, stop

DEFAULT_PACK = Path(__file__).resolve().parent.parent / "rule_packs" / "default"

PACKS = Path(__file__).resolve().parent.parent / "rule_packs"

# 07:00 UTC is 08:00 in Berlin (CET) and 16:00 in Tokyo.
AT = "2026-11-25T07:00:00+00:00"
DATA = {"business_hours": {"next_open": AT}, "conversation": {"id": "c-1", "created_at": AT}}


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("de", "Europe/Berlin", "ab 25.11.2026, 08:00."),
        ("en", "Europe/Berlin", "ab Nov 25, 2026, 8:00 AM."),
        ("en", "Asia/Tokyo", "ab Nov 25, 2026, 4:00 PM."),
        ("de", None, "ab 25.11.2026, 07:00."),  # no calendar: UTC
    ],
)
def test_an_iso_datetime_renders_as_medium_date_and_short_time(
    language: str, zone: str | None, expected: str
) -> None:
    assert render("ab {business_hours.next_open}.", DATA, language=language, zone=zone) == expected


def test_a_format_suffix_picks_the_date_or_the_time() -> None:
    text = "{business_hours.next_open|date} / {business_hours.next_open | time} / {event.time|datetime}"
    data = DATA | {"event": {"time": AT}}
    de = render(text, data, language="de", zone="Europe/Berlin")
    assert de == "25.11.2026 / 08:00 / 25.11.2026, 08:00"
    en = render(text, data, language="en", zone="Europe/Berlin")
    assert en == "Nov 25, 2026 / 8:00 AM / Nov 25, 2026, 8:00 AM"


def test_iso_gives_a_machine_the_instant_in_utc_whatever_the_language_and_zone() -> None:
    """An `update_crm` value `{event.time}` was stored as "Nov 25, 2026, 8:00 AM": the pack's
    language, the calendar's zone, and no zone written; no CRM can read it back as an instant."""
    data = DATA | {
        "event": {"time": "2026-11-25T08:00:00+01:00"},
        "customer": {"custom": {"due": "2026-12-31"}},
    }
    text = "{event.time|iso} {business_hours.next_open|iso} {customer.custom.due|iso}"
    for language, zone in (("de", "Europe/Berlin"), ("en", "Asia/Tokyo")):
        rendered = render(text, data, language=language, zone=zone, only_known=True)
        assert rendered == "2026-11-25T07:00:00+00:00 2026-11-25T07:00:00+00:00 2026-12-31"


def test_other_values_render_as_before() -> None:
    data = {
        "conversation": {"id": "20261125", "customer_messages": 3},
        "customer": {"custom": {"contract_end": "2026-12-31", "note": "2026-11-25 is fine"}},
    }
    text = (
        "Hi {customer.first_name}, case {conversation.id}, {conversation.customer_messages} messages, "
        "{customer.custom.note}"
    )
    assert render(text, data, language="de", zone="Europe/Berlin") == (
        "Hi, case 20261125, 3 messages, 2026-11-25 is fine"
    )
    # A date alone is a date (no time zone shift); a date-time without offset is shown as written.
    assert render("{customer.custom.contract_end}", data, language="de", zone="Asia/Tokyo") == "31.12.2026"
    naive = {"customer": {"custom": {"due": "2026-11-25T08:00:00"}}}
    assert render("{customer.custom.due}", naive, language="en", zone="Asia/Tokyo") == "Nov 25, 2026, 8:00 AM"


def test_a_language_babel_does_not_know_formats_in_english() -> None:
    assert render("{business_hours.next_open}", DATA, language="xx", zone="UTC") == "Nov 25, 2026, 7:00 AM"


def test_regional_languages_use_their_region() -> None:
    assert render("{business_hours.next_open|date}", DATA, language="en-GB", zone="UTC") == "25 Nov 2026"


def problems_in(tmp_path: Path, templates: str) -> list[str]:
    path = tmp_path / "pack.yaml"
    path.write_text(
        "meta: {name: t, language: en}\n"
        "templates:\n" + textwrap.indent(textwrap.dedent(templates), "  ") + "rules: []\n"
    )
    _, problems = validate(load_source(path))
    return [p.message for p in problems]


def test_the_validator_knows_the_format_suffixes(tmp_path: Path) -> None:
    assert (
        problems_in(
            tmp_path,
            """
        ok: {en: "{business_hours.next_open|date} {conversation.created_at|time} {event.time|datetime}"}
        custom: {en: "{customer.custom.renewal|date} {event.time|iso}"}
        """,
        )
        == []
    )
    assert problems_in(
        tmp_path,
        """
        bad_format: {en: "{business_hours.next_open|weekday}"}
        not_a_date: {en: "{customer.first_name|date}"}
        """,
    ) == [
        'placeholder "{business_hours.next_open|weekday}": unknown format "weekday"; '
        "use date, time, datetime or iso",
        'placeholder "{customer.first_name|date}": customer.first_name is not a date-time',
    ]


async def test_kundenservice_after_hours_acknowledgement_names_the_opening_in_german(
    settings: Settings,
) -> None:
    """Through the real decide activity: the Berlin calendar's next opening, as a German reads it."""
    pack = load_valid(PACKS / "kundenservice")
    database = database_of(settings)
    store = PackStore(database)
    digest = await store.publish("acme", pack, published_by="test", source=None)
    tuesday_evening = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)  # 20:30 in Berlin: closed
    request = DecideRequest(
        pack_hash=digest,
        context={
            "event": {"type": "conversation.created", "time": tuesday_evening.isoformat()},
            "customer": {"first_name": "Ada"},
            "message": {"text": "Hallo"},
        },
        calendar="berlin",
    )
    result = await RuleActivities(PackRegistry(store)).decide(request)
    await database.dispose()
    (reply,) = [d["action"] for d in result.decision["actions"] if d["action"]["type"] == "reply"]
    assert reply["template"] == "eingangsbestaetigung_ausserhalb"
    language, text = choose_text(pack.templates[reply["template"]], ["de"], pack.meta.language)
    rendered = render(text, result.context, language=language, zone=pack.calendars["berlin"]["timezone"])
    assert rendered.endswith("antwortet ab 25.11.2026, 08:00.")


async def test_a_decision_recorded_without_the_context_renders_templates_as_one_with_it(
    settings: Settings,
) -> None:
    """Newer runs record only what `decide` filled in; the workflow's merge must give templates the
    very context the rules saw, business time, SLA and out-of-range numbers included."""
    pack = load_valid(PACKS / "kundenservice")
    database = database_of(settings)
    store = PackStore(database)
    digest = await store.publish("acme", pack, published_by="test", source=None)
    sent = {
        "event": {"type": "conversation.created", "time": "2026-11-24T19:30:00+00:00", "depth": 0},
        "conversation": {"id": "c-1", "created_at": "2026-11-24T08:00:00+00:00", "tags": ["a"]},
        "customer": {"first_name": "Ada", "lifetime_value": 10**26, "custom": {"big": 10**30}},
        "message": {"text": "Hallo", "attachments": [{"name": "x.pdf", "size": 2**70}]},
        "sla": {"policy": "standard"},
    }
    clocks = [SlaClockView(name="first_response", deadline=datetime(2026, 11, 25, 9, tzinfo=UTC))]
    activities = RuleActivities(PackRegistry(store))
    whole, filled = [
        await activities.decide(
            DecideRequest(pack_hash=digest, context=sent, calendar="berlin", sla=clocks, filled_only=only)
        )
        for only in (False, True)
    ]
    await database.dispose()
    assert filled.context is None and filled.decision == whole.decision
    assert len(filled.model_dump_json()) < len(whole.model_dump_json()) - 1000
    seen = filled.context_for(sent)
    assert seen == whole.context_for(sent) == whole.context
    assert seen["business_hours"]["open"] is False and seen["sla"]["first_response_remaining_minutes"] > 0
    zone = pack.calendars["berlin"]["timezone"]
    for name, texts in pack.templates.items():
        for language, text in texts.items():
            assert render(text, seen, language=language, zone=zone) == render(
                text, whole.context, language=language, zone=zone
            ), name


async def test_a_fresh_worker_renders_dates_in_the_conversation_language_and_calendar_zone(
    api: ApiClient, outbox: OutboxRows, settings: Settings, client: Client, temporal_server: DevServer
) -> None:
    """Through `_template` in a worker process of its own: nothing of Babel's locale data is loaded
    yet, as after any worker start, so the workflow loads it while rendering (inside the sandbox)."""
    publish(settings, TEST_PACKS / "dates")
    worker = start_part(
        "worker",
        temporal_server.address,
        {
            "CONVOFLOW_DATA_DIR": str(settings.data_dir),
            "CONVOFLOW_TASK_QUEUE": settings.task_queue,
            "CONVOFLOW_DATABASE_URL": settings.database,
        },
    )
    try:
        first = await asyncio.to_thread(worker.stdout.readline)
        if "goes only to the outbox table" in first:  # no gateway or SMTP: the outbox, as this test reads
            first = await asyncio.to_thread(worker.stdout.readline)
        assert first.startswith("convoflow worker polling"), first
        for conversation, language in (("dates-de", "de"), ("dates-en", "en")):
            reply = await api.request(
                "POST",
                f"/v1/conversations/{conversation}/messages?wait=decided",  # the worker stops next
                json={
                    "message_id": "m-1",
                    "channel": "email",
                    "sender": {"address": "ada@example.com"},
                    "text": "Hallo",
                    "received_at": AT,
                    "language": language,
                },
            )
            assert reply.status == 201, reply.body
    finally:
        await asyncio.to_thread(stop, worker)
    texts = {m["conversation_id"].rsplit(":", 1)[-1]: m["text"] for m in outbox.read_all()}
    assert texts == {
        "dates-de": "Ihre Nachricht vom 25.11.2026, 08:00 ist eingegangen (am 25.11.2026 um 08:00 Uhr).",
        "dates-en": "We received your message of Nov 25, 2026, 8:00 AM (on Nov 25, 2026 at 8:00 AM).",
    }
    await replay_every_run(client, settings.task_queue)


def test_a_date_at_the_end_of_time_renders_as_written_instead_of_failing() -> None:
    """A CRM's "never" (9999-12-31) moved east of UTC, or year 1 moved west, is past datetime's range."""
    context = {"customer": {"contract_end": "9999-12-31T23:59:00Z", "since": "0001-01-01T00:00:00Z"}}
    text = "until {customer.contract_end}, since {customer.since}"
    assert render(text, context, language="de", zone="Asia/Tokyo").startswith("until 9999-12-31T23:59:00Z")
    west = render(text, context, language="en", zone="America/New_York")
    assert west.endswith("since 0001-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("Doe, John", "John"),
        ("van Dijk, Jan", "Jan"),
        ("Smith, John, Jr.", "John"),
        ("Müller, Dr. Hans", "Hans"),
        ("John Smith, Jr.", "John"),
        ("Jane Doe, MBA", "Jane"),
        ("Mary Jones, Ph.D", "Mary"),
        ("Ada Lovelace", "Ada"),
        ("   ", None),
    ],
)
def test_the_name_greeted_is_the_first_name_in_either_order(name: str, greeted: str | None) -> None:
    from workflows.conversation.rule_context import first_name_of

    assert first_name_of(name) == greeted


async def test_a_last_comma_first_sender_is_greeted_by_the_first_name(
    api: ApiClient, worker: None, outbox: OutboxRows
) -> None:
    """An Outlook or Exchange directory writes "Doe, John": every acknowledgement began "Hi Doe,,"."""
    reply = await api.request(
        "POST",
        "/v1/conversations/name-1/messages?wait=decided",
        json={
            "message_id": "m-1",
            "channel": "email",
            "sender": {"address": "john.doe@customer.example", "name": "Doe, John"},
            "text": "Hello, my invoice is wrong",
        },
    )
    assert reply.status == 201, reply.body

    async def acknowledged() -> bool:
        return bool(await asyncio.to_thread(outbox.read_all))

    await eventually(acknowledged, what="the acknowledgement")
    texts = [m["text"] for m in outbox.read_all()]
    assert texts[0].startswith("Hi John, we got your message"), texts  # the worker fixture replays it


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [("de-CH", "de"), ("de_AT", "de"), ("DE", "de"), ("pt-BR", "pt-BR"), ("pt_br", "pt-BR"), ("pt", "en")],
)
def test_a_regional_language_gets_its_language_s_text(wanted: str, chosen: str) -> None:
    """A customer writing from Zürich (`de-CH`) got the English text of a pack with a German one."""
    texts = {"en": "Hello", "de": "Hallo", "pt-BR": "Olá"}
    assert choose_text(texts, [wanted], "en") == (chosen, texts[chosen])


def test_only_the_space_an_empty_placeholder_left_goes() -> None:
    """The tidying of "Hi , thanks" took every space before punctuation: French writes "fermés !"."""
    french = "Bonjour {customer.first_name}, nous sommes fermés ! Une question ? Répondez."
    assert render(french, {"customer": {}}, language="fr", zone=None) == (
        "Bonjour, nous sommes fermés ! Une question ? Répondez."
    )
    named = render(french, {"customer": {"first_name": "Léa"}}, language="fr", zone=None)
    assert named.startswith("Bonjour Léa, nous sommes fermés ! Une question ?")
    assert (
        render("Hi {customer.first_name}!", {"customer": {"first_name": ""}}, language="en", zone=None)
        == "Hi!"
    )


async def test_a_message_s_language_tag_with_script_and_region_or_an_underscore_is_taken(
    api: ApiClient, worker: None
) -> None:
    """`zh-Hant-TW` (over eight characters) and `fr_CA` (a POSIX locale name) were a 422: the whole
    customer message refused over its language tag (helper-114)."""
    for conversation, tag, taken in (
        ("lt-1", "zh-Hant-TW", "zh-Hant-TW"),
        ("lt-2", "fr_CA", "fr-CA"),
        ("lt-4", "FR-ca", "fr-CA"),  # as BCP 47 cases it: `?language=fr-CA` found nothing
    ):
        body = {
            "message_id": "m-1",
            "channel": "chat",
            "sender": {"address": "ada@example.com"},
            "text": "Bonjour",
            "language": tag,
        }
        posted = await api.request(
            "POST", f"/v1/conversations/{conversation}/messages?wait=decided", json=body
        )
        assert posted.status == 201, posted.body
        assert (await api.get(conversation)).body["language"] == taken
    refused = await api.request(
        "POST",
        "/v1/conversations/lt-3/messages",
        json={**body, "language": "x" * 36},
    )
    assert refused.status == 422 and refused.body["fields"][0]["field"] == "language", refused.body

    # The list takes the tag as a person types it, as the message did (`fr_CA`, `FR-ca` found nothing).
    async def listed(typed: str) -> list[str]:
        rows = (await api.request("GET", f"/v1/conversations?language={typed}")).body["conversations"]
        return sorted(r["conversation_id"] for r in rows)

    async def indexed() -> bool:
        return await listed("fr-CA") == ["lt-2", "lt-4"]

    await eventually(indexed, "the fr-CA conversations listed")
    assert await listed("fr_CA") == await listed("FR-ca") == ["lt-2", "lt-4"]


async def test_a_customer_writing_de_ch_is_answered_in_german_and_the_conversation_is_german(
    api: ApiClient, settings: Settings, outbox: OutboxRows, worker: None
) -> None:
    """A Zürich customer (`de-CH`) got the default pack's English acknowledgement, and the conversation
    stayed `de-CH`, matching no German template afterwards (helper-114)."""
    publish(settings, DEFAULT_PACK)
    body = {
        "message_id": "m-1",
        "channel": "email",
        "sender": {"address": "urs@example.ch", "name": "Urs Meier"},
        "text": "Grüezi, meine Rechnung stimmt nicht.",
        "language": "de-CH",
    }
    posted = await api.request("POST", "/v1/conversations/zh-1/messages?wait=decided", json=body)
    assert posted.status == 201, posted.body
    [ack] = [row["text"] for row in outbox.read_all() if ":zh-1:" in row["idempotency_key"]]
    assert ack.startswith("Hallo Urs, danke für Ihre Nachricht"), ack
