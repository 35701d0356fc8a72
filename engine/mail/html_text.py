"""The readable text of an HTML-only email: what a person sees, without markup, scripts or styles.

The stdlib HTMLParser is lenient (it never raises on broken markup), which is what mail needs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "pre"}
)
SKIPPED = frozenset({"script", "style", "head", "title"})
SPACES = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")
        if tag == "blockquote":
            self.quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.quote_depth:  # quoted history in HTML mail: keep it recognisable as quoted in text
            data = "\n".join("> " * self.quote_depth + line for line in data.split("\n"))
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of `html`: block elements become line breaks, blockquotes become `>` quotes."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient, but assertion errors on odd declarations exist
        pass
    lines = [SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
