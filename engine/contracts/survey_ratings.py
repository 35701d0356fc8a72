"""A survey answered by the customer's own message: "5", "4/5", "3 stars", "★★★★".

The default pack's survey asks the customer to "reply with a number from 1 (poor) to 5 (great)", and
on SMS, WhatsApp or email a reply is all a customer can do. The conversation took such a reply as a
new message: it reopened, started a response clock, and the rating was lost. Only a message that is
a rating and nothing else is one: "2 more questions about my invoice" is a message, and so is "5
stars, but the parcel is still missing" (a person should read it; the survey waits on).
"""

from __future__ import annotations

import re
import unicodedata

# A digit from 1 to 5 (or its keycap emoji, 5️⃣), optionally "/5", "out of 5", "star(s)", a star or
# "points" after it, and punctuation around it; or one to five stars alone.
_ENGLISH = r"/\s*5|out\s+of\s+5|stars?|[★⭐]\ufe0f?|points?"
# The same in German, French, Spanish, Portuguese, Italian and Dutch: "4 Sterne", "5 étoiles", "4 de 5",
# "5 estrelas", "4 su 5", "5 sterren" reopened the conversation and lost the rating (helper-114).
_OTHERS = (
    r"(?:von|sur|de|su|van)\s+5|sterne?|[ée]toiles?|estrellas?|estrelas?|stelle|sterren|"
    r"punkte?|puntos?|pontos?|punti|punten"
)
_DIGIT = re.compile(
    rf"^[\s\"'(]*([1-5])\ufe0f?\u20e3?\s*(?:{_ENGLISH})?[\s.!)\"']*$",
    re.IGNORECASE,
)
_DIGIT_ANY_LANGUAGE = re.compile(
    rf"^[\s\"'(«]*([1-5])\ufe0f?\u20e3?\s*(?:{_ENGLISH}|{_OTHERS})?[\s.!)\"'»]*$",
    re.IGNORECASE,
)
_STARS = re.compile(r"^\s*((?:[★⭐]\ufe0f?){1,5})\s*[.!]*\s*$")


def rating_of(text: str, *, any_language: bool = False) -> int | None:
    """The rating a message of nothing but a rating gives, else None; `any_language`: its words in
    the other languages above too (workflows/conversation/patches.py RATING_WORDS_PATCH)."""
    if len(text) > 40:  # a rating is short; a longer message is read as what it says
        return None
    if any_language:  # "5 e\u0301toiles" typed on a Mac, a full-width digit: as they read
        text = unicodedata.normalize("NFKC", text)
    if found := (_DIGIT_ANY_LANGUAGE if any_language else _DIGIT).match(text):
        return int(found.group(1))
    if found := _STARS.match(text):
        return len(found.group(1).replace("\ufe0f", ""))
    return None
