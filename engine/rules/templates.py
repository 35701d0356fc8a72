"""Template rendering: `{customer.first_name}` placeholders filled from the rule context data.

The validator checks every placeholder against the context model, so at run time a placeholder can
only be empty (the value is unknown), never wrong.

Dates and times are written for the reader, never as raw ISO 8601. A placeholder whose value is an
ISO date-time (`business_hours.next_open`, `conversation.created_at`, a CRM custom field holding one)
renders in the language of the template text chosen and in the time zone the caller passes (the
workflow passes its calendar's, UTC without one), with CLDR's patterns through Babel: the locale's
medium date and short time, "25.11.2026, 08:00" in German, "Nov 25, 2026, 8:00 AM" in English.
A suffix picks one part: `{business_hours.next_open|date}` gives "25.11.2026", `|time` "08:00",
`|datetime` the default spelled out, and `|iso` ISO 8601 in UTC ("2026-11-25T07:00:00+00:00") for a
machine (a CRM field: the spelled-out text was in the pack's language, in the calendar's zone, with
no zone written). Suffixes are allowed only on date-time fields (and below
`customer.custom.`); the validator rejects any other use. Further rules:
- an ISO date alone (`2026-12-31`) renders as the medium date; a date-time without an offset is
  shown as written, not shifted (nothing says which zone it was in);
- other values, and strings that merely start with a date, render as `str(value)`, as before;
- a language Babel does not know formats as English; `de-CH` and `de_CH` both mean Swiss German;
- the narrow no-break spaces CLDR puts in some patterns ("8:00 AM") become plain spaces: SMS would
  send the whole message as UCS-2 for them (half the characters per part) and some plain-text
  clients show them as boxes.
Babel's locale data is read-only and the result depends only on the value, the language and the
zone, so the workflow can render inside its sandbox and replay gets the same text.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format

from engine.rules.context import is_known_path, value_at

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FORMATS = ("date", "time", "datetime", "iso")
ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)
UTC = ZoneInfo("UTC")
FALLBACK_LOCALE = Locale("en")
EMPTY = "\x00"  # where a placeholder had no value, until the spaces before it are taken out


def split_placeholder(field: str) -> tuple[str, str | None]:
    """`"business_hours.next_open | date"` -> `("business_hours.next_open", "date")`; no suffix: None."""
    path, bar, suffix = field.partition("|")
    return path.strip(), suffix.strip() if bar else None


def render(
    text: str, data: dict[str, Any], *, language: str, zone: str | None, only_known: bool = False
) -> str:
    """Fill the placeholders; dates and times for `language` in time zone `zone` (IANA name, None: UTC).

    `only_known`: braces around anything but a context path stay as written, and so does the text
    around them (a CRM value may be JSON text, `{"source": "convoflow"}`; a pack published before
    such texts were filled may hold any braces)."""
    locale = _locale(language)
    tz = ZoneInfo(zone) if zone else UTC

    def fill(match: re.Match[str]) -> str:
        path, suffix = split_placeholder(match.group(1))
        if only_known and not is_placeholder_path(path):
            return match.group(0)
        value = value_at(data, path)
        if value is None or value == "":
            return EMPTY
        when = _as_date_or_time(value)
        if when is None:
            return str(value)
        try:
            return format_when(when, suffix or "datetime", locale, tz)
        except (OverflowError, ValueError):  # year 9999 moved east of UTC, year 1 west of it
            return str(value)

    rendered = PLACEHOLDER.sub(fill, text.replace(EMPTY, ""))
    if only_known:
        return rendered.replace(EMPTY, "")
    # "Hi {name}, thanks" with no name: "Hi, thanks", not "Hi , thanks". Only the spaces before an
    # empty placeholder go: French writes "Bonjour !" and "une question ?" with their space.
    return re.sub(r" +" + EMPTY, "", rendered).replace(EMPTY, "")


def is_placeholder_path(path: str) -> bool:
    """A path a placeholder may name: one the rule context has, below its top level."""
    return is_known_path(path) and "." in path


def format_when(when: date | datetime, fmt: str, locale: Locale, tz: ZoneInfo) -> str:
    """A date or date-time as `fmt` (one of FORMATS; anything else: datetime) in the locale; an aware
    date-time is first moved into `tz` (into UTC for `iso`)."""
    if fmt == "iso":
        if isinstance(when, datetime) and when.tzinfo is not None:
            return when.astimezone(UTC).isoformat(timespec="seconds")
        return when.isoformat()  # a date, or a date-time with no zone: as written
    if not isinstance(when, datetime):
        return format_date(when, "medium", locale=locale)
    if when.tzinfo is not None:
        when = when.astimezone(tz)
    day = format_date(when.date(), "medium", locale=locale)
    clock = format_time(when.replace(tzinfo=None), "short", locale=locale)
    if fmt == "date":
        text = day
    elif fmt == "time":
        text = clock
    else:  # as babel.dates.format_datetime joins them, with our own date and time widths
        text = str(get_datetime_format("medium", locale=locale)).replace("'", "")
        text = text.replace("{0}", clock).replace("{1}", day)
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _as_date_or_time(value: Any) -> date | datetime | None:
    if isinstance(value, date):  # datetime is a date too
        return value
    if not isinstance(value, str) or not ISO_DATE_TIME.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # 2026-02-30 and the like: not a date after all
        return None
    return parsed if "T" in value or " " in value else parsed.date()


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return FALLBACK_LOCALE


def choose_text(
    texts: dict[str, str], wanted: list[str | None], default: str, *, regional: bool = True
) -> tuple[str, str]:
    """The template text in the first wanted language it has, else the pack's default language.

    A wanted `de-CH` takes a `de-CH` text (written `de_CH` or `DE-ch` too), else the `de` one: a
    customer in Zürich got the English text of a pack with a German one. `regional=False`: the
    exact language alone, as before (workflows/conversation/patches.py TEMPLATE_FALLBACK_PATCH)."""
    keyed = {_tag(key): key for key in texts}
    for lang in wanted:
        if not lang:
            continue
        if not regional:
            if lang in texts:
                return lang, texts[lang]
            continue
        for candidate in (lang, _tag(lang), _tag(lang).split("-")[0]):
            key = candidate if candidate in texts else keyed.get(candidate)
            if key is not None:
                return key, texts[key]
    return default, texts[default]


def _tag(language: str) -> str:
    return language.replace("_", "-").lower()
