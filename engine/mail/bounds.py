"""The bounds a raw mail is checked against before the standard library parses what they bound.

A mail is hostile input: a long structured header costs the stdlib parser quadratic time, deep
nesting a RecursionError, many MIME parameters quadratic time. A mail over a bound is not read
further; it becomes a `MailProblem` naming the header (or `body`), and the intake quarantines it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser

from engine.contracts.single_line import LINE_BREAKERS

# One header, unfolded: RFC 5322 lines are at most 998 characters, and a References header of a long
# thread is ~60 per id; 8 KiB leaves room for both and keeps the parser's worst case short.
MAX_HEADER_CHARS = 8 * 1024
MAX_HEADERS = 200  # per MIME part
MAX_PARTS = 60  # a text, an HTML alternative and the 50 attachments a message keeps, with room
MAX_DEPTH = 20  # a forwarded thread nests mixed > alternative > related a few times over
MAX_PARAMETERS = 32  # per Content-Type/-Disposition: 20,000 parameters took the parser 17 s
MAX_MESSAGE_ID = 256  # what the conversation keeps of an id (longer ones are replaced by a derived id)
PARAMETERIZED = {"content-type", "content-disposition"}
PART_HEADER = re.compile(rb"(?im)^content-type[ \t]*:")
# The top-level References header with its folded lines (continuations begin with a space or a tab).
REFERENCES = re.compile(rb"(?im)^references[ \t]*:(?P<value>[^\n]*\n(?:[ \t][^\n]*\n)*)")
MESSAGE_ID = re.compile(rb"<[^<>\s]{1,998}>")
SENDER_HEADERS = frozenset({"from", "sender", "reply-to"})
ANGLE_ADDRESS = re.compile(rb"<[^<>@\s]{1,64}@[^<>@\s]{1,255}>")
# One top-level header field with its folded lines.
HEADER_FIELD = re.compile(rb"(?m)^(?P<name>[^:\s]+)[ \t]*:(?P<value>[^\n]*\n(?:[ \t][^\n]*\n)*)")


@dataclass(frozen=True, kw_only=True)
class MailProblem:
    """Why (part of) a message could not be read: the header or `body`, and what is wrong."""

    field: str
    problem: str


def trimmed(raw: bytes, needed: frozenset[str]) -> bytes:
    """The mail with what a reader does without cut to the bounds, so that a legal mail is read
    rather than quarantined unreadable (with no sender to release it to, and a made-up id):
    References to its newest ids, a long header no reader needs (a Cc of 250 colleagues, 13 KB)
    dropped, the MIME parts past MAX_PARTS (65 photos) left out. A header in `needed` (lower-cased
    names: From, Subject, the verdicts' headers) over its bound stays a problem."""
    return _without_parts_past_the_bound(_without_long_headers(_trimmed_references(raw), needed))


def _header_block_end(raw: bytes) -> int:
    """Where the top-level header block ends, its last line's ending included."""
    blank = [(at + len(ending) // 2) for ending in (b"\r\n\r\n", b"\n\n") if (at := raw.find(ending)) >= 0]
    return min(blank, default=len(raw))


def _without_long_headers(raw: bytes, needed: frozenset[str]) -> bytes:
    """The top-level headers longer than MAX_HEADER_CHARS that are not `needed` (To, Cc, Received,
    signatures) dropped: the parser's cost is bounded and the mail is still the customer's. A sender's
    header over the bound that holds one `<address>` keeps the address alone: a 9,000-character
    display name made the mail unreadable, quarantined with no sender to release it to (helper-122)."""
    kept, at = [], 0
    for found in HEADER_FIELD.finditer(raw, 0, _header_block_end(raw)):
        name = found.group("name").decode("ascii", "replace").lower()
        value = found.group("value")
        if len(value) <= MAX_HEADER_CHARS:
            continue
        if name not in needed:
            kept.append(raw[at : found.start()])
            at = found.end()
        elif name in SENDER_HEADERS and len(addresses := ANGLE_ADDRESS.findall(value)) == 1:
            kept.append(raw[at : found.start()] + found.group("name") + b": " + addresses[0] + b"\r\n")
            at = found.end()
    return b"".join(kept) + raw[at:] if kept else raw


def _without_parts_past_the_bound(raw: bytes) -> bytes:
    """The mail cut before the boundary line of its MAX_PARTS+1-th MIME part: the parser reads an
    unfinished multipart leniently, and the attachments kept are the first ones anyway."""
    heads = [m.start() for m in PART_HEADER.finditer(raw)]
    if len(heads) <= MAX_PARTS:
        return raw
    boundary = raw.rfind(b"\n--", heads[MAX_PARTS - 1], heads[MAX_PARTS])
    return raw if boundary < 0 else raw[: boundary + 1]


def _trimmed_references(raw: bytes) -> bytes:
    """References over MAX_HEADER_CHARS cut to its newest ids that fit half of it: a mail client
    that kept every id of a long thread (200 ids: 12 KB) sent a legal mail. Threading reads the
    newest ids (the reader keeps 50 of them, parsing.py); the rest of the mail is untouched."""
    # The header block with its last line's ending (a References that is the last header ends there).
    found = REFERENCES.search(raw, 0, _header_block_end(raw))
    if found is None or found.end() - found.start() <= MAX_HEADER_CHARS:
        return raw
    ids = MESSAGE_ID.findall(found.group("value"))
    kept: list[bytes] = []
    room = MAX_HEADER_CHARS // 2
    for newer in reversed(ids):
        room -= len(newer) + 3
        if room < 0:
            break
        kept.insert(0, newer)
    line_end = b"\r\n" if found.group().endswith(b"\r\n") else b"\n"
    header = b"References: " + (line_end + b" ").join(kept) + line_end
    return raw[: found.start()] + header + raw[found.end() :]


def check_bounds(raw: bytes) -> MailProblem | None:
    """The first bound the raw mail exceeds (parts, headers per part, header length, parameters).

    The header sizes are checked on a compat32 parse, which splits headers without parsing them.
    """
    if len(PART_HEADER.findall(raw)) > MAX_PARTS:
        return MailProblem(field="body", problem=f"at most {MAX_PARTS} MIME parts")
    try:
        top = BytesParser(policy=policy.compat32).parsebytes(raw)
        parts = list(top.walk())
        too_deep = _depth(top) > MAX_DEPTH
    except RecursionError:
        too_deep = True
    except Exception:
        return MailProblem(field="body", problem="the MIME structure cannot be read")
    if too_deep:
        return MailProblem(field="body", problem="MIME parts or header comments nested too deep")
    for part in parts:
        items = part.items()
        if len(items) > MAX_HEADERS:
            return MailProblem(field="headers", problem=f"at most {MAX_HEADERS} per part")
        for name, value in items:
            value = str(value)
            label = clean_line(name, 64) or "header"
            if len(value) > MAX_HEADER_CHARS:
                return MailProblem(field=label, problem=f"at most {MAX_HEADER_CHARS} characters")
            if label.lower() in PARAMETERIZED and value.count(";") > MAX_PARAMETERS:
                return MailProblem(field=label, problem=f"at most {MAX_PARAMETERS} parameters")
    return None


def _depth(part: Message) -> int:
    """How deep the MIME tree goes (recursion bounded: every level is a part MAX_PARTS counts)."""
    if not part.is_multipart():
        return 1
    return 1 + max((_depth(p) for p in part.get_payload() if isinstance(p, Message)), default=0)


def text_of(value: str) -> str:
    """Text as Unicode: the parser keeps undecodable header bytes as surrogates, which JSON cannot carry."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no byte became (a decoder's, not the parser's)
        return value.encode("utf-8", "replace").decode("utf-8")


def clean_line(value: str | None, limit: int) -> str:
    """One line of at most `limit` characters: control characters become spaces."""
    return LINE_BREAKERS.sub(" ", value or "").strip()[:limit]
