"""A survey answered by the customer's own message: "5", "4/5", "3 stars", "★★★★".

The default pack's survey asks the customer to "reply with a number from 1 (poor) to 5 (great)", and
on SMS, WhatsApp or email a reply is all a customer can do. The conversation took such a reply as a
new message: it reopened, started a response clock, and the rating was lost. Only a message that is
a rating and nothing else is one: "2 more questions about my invoice" is a message, and so is "5
stars, but the parcel is still missing" (a person should read it; the survey waits on).
"""

from __future__ import annotations

import re

# A digit from 1 to 5 (or its keycap emoji, 5️⃣), optionally "/5", "out of 5", "star(s)", a star or
# "points" after it, and punctuation around it; or one to five stars alone.
_DIGIT = re.compile(
    r"^[\s\"'(]*([1-5])\ufe0f?\u20e3?\s*(?:/\s*5|out\s+of\s+5|stars?|[★⭐]\ufe0f?|points?)?[\s.!)\"']*$",
    re.IGNORECASE,
)
_STARS = re.compile(r"^\s*((?:[★⭐]\ufe0f?){1,5})\s*[.!]*\s*$")


def rating_of(text: str) -> int | None:
    """The rating a message of nothing but a rating gives, else None."""
    if len(text) > 40:  # a rating is short; a longer message is read as what it says
        return None
    if found := _DIGIT.match(text):
        return int(found.group(1))
    if found := _STARS.match(text):
        return len(found.group(1).replace("\ufe0f", ""))
    return None
