"""What kind of answer an English question asks for, and whether a sentence holds one.

"How many eggs…?" wants a number, "How long…?" a duration, "Who…?" a person, "Why…?" a reason.
Sentence embeddings judge a question against a sentence by topic, and a sentence on the right
topic that cannot answer ("People have kept bees for honey…" for "What is the price of honey?")
scores as high as the one that does. Checking the kind of answer is what a reader does first: the
answers fuse it with the other signals (retrieval.py), so a sentence of the right kind moves up and
one that cannot answer moves down, and an off-topic question whose best sentence cannot answer it
is refused more often.

Plain word lists and patterns, English only: for other languages `expected` says None and the
answers are ranked as before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .english import MONTHS, NUMBERS, PEOPLE, TIME_UNITS

# Words that name an amount without a digit ("half of it", "a few hundred", "none were lost").
_AMOUNT_WORDS = NUMBERS | frozenset(
    "half third quarter few several dozen none all most many some percent double twice triple once".split()
)
_UNITS = frozenset(
    """meter meters metre metres kilometer kilometers kilometre kilometres km mile miles foot feet inch inches
    gram grams kilogram kilograms kilo kilos kg g pound pounds ounce ounces litre litres liter liters ml
    degree degrees celsius fahrenheit percent tall high wide deep long heavy away size""".split()
)
_MONEY = frozenset("dollar dollars euro euros pound pounds cent cents price cost costs free cheap expensive".split())
_TIME_OF_DAY = frozenset(
    """morning afternoon evening night noon midnight lunch lunchtime o'clock today yesterday tomorrow tonight
    monday tuesday wednesday thursday friday saturday sunday weekend weekends weekday ago century centuries
    decade later earlier before after since until during when then first year week day""".split()
)
_FREQUENCY = re.compile(r"\b(every|each|once|twice|daily|weekly|monthly|hourly|nightly|times a|a day|a week|per)\b")
_REASON = re.compile(r"\b(because|since|so that|so|due to|caused|cause|means|that's why|why|in order|to [a-z]+)\b")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)*%?")
_ROLES = PEOPLE | frozenset("she he her him owner owns team support on-call boss chef baker expert crew".split())

# Question openings -> the kind of answer they want, most specific first.
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), kind)
    for p, kind in (
        (r"^(and |so |but )?how often\b", "frequency"),
        (r"^(and |so |but )?how (long|old)\b|\bhow many (years|days|weeks|months|hours|minutes)\b", "duration"),
        (r"^(and |so |but )?(how much|what) (does|do|did|would|will) .*\bcost\b|\bprice of\b", "money"),
        (r"^(and |so |but )?(what|which) (share|percentage|proportion|fraction|part)\b", "amount"),
        (r"^(and |so |but )?how (many|much)\b", "amount"),
        (r"^(and |so |but )?how (far|high|tall|big|deep|wide|heavy|large|small|warm|hot|cold|fast)\b", "measure"),
        (r"^(and |so |but )?what (temperature|size|height|weight|length|distance)\b", "measure"),
        (r"^(and |so |but )?(when|what time|what year|what day|which year|what date)\b", "time"),
        (r"^(and |so |but )?(who|whom|whose)\b", "person"),
        (r"^(and |so |but )?why\b", "reason"),
    )
)


def expected(question: str, language: str | None = "en") -> str | None:
    """The kind of answer `question` asks for, or None when it does not say (or is not English)."""
    if language is not None and language.lower().split("-")[0] != "en":
        return None
    q = " ".join(question.lower().split())[:300]
    for pattern, kind in _KINDS:
        if pattern.search(q):
            return kind
    return None


@lru_cache(maxsize=16384)
def holds(text: str, kind: str) -> bool:
    """Whether `text` holds an answer of `kind` (a sentence of a transcript)."""
    low = text.lower()
    ws = [w.lower() for w in _WORD.findall(text)]
    amount = bool(_DIGIT.search(low)) or any(w in _AMOUNT_WORDS for w in ws)
    if kind == "amount":
        return amount
    if kind == "duration":
        return any(w in TIME_UNITS for w in ws) or "ago" in ws or "old" in ws
    if kind == "frequency":
        return bool(_FREQUENCY.search(low))
    if kind == "measure":
        return (amount and any(w in _UNITS for w in ws)) or any(w in ("warm", "hot", "cold", "cool") for w in ws)
    if kind == "money":
        return "$" in text or "€" in text or "£" in text or any(w in _MONEY for w in ws)
    if kind == "time":
        return (
            any(w in _TIME_OF_DAY or w in MONTHS or w in TIME_UNITS for w in ws)
            or bool(re.search(r"\b(1\d{3}|20\d{2})\b", low))
            or (amount and bool(re.search(r"\b(in|at|on|by|around|about)\b", low)))
        )
    if kind == "person":
        return _names_someone(_WORD.findall(text)) or any(w in _ROLES for w in ws)
    if kind == "reason":
        return bool(_REASON.search(low))
    return True


# Capitalised words after these name a place or a thing ("in Alexandria", "from Google"), not a person.
_PLACE_BEFORE = frozenset("in at from to near of into across ancient".split())


def _names_someone(said: list[str]) -> bool:
    """A capitalised word past the first that is not "I" and not where something happens."""
    for i in range(1, len(said)):
        w = said[i]
        if w[:1].isupper() and w.lower() not in ("i", "i'm", "i've", "i'll", "i'd"):
            if (
                said[i - 1].lower() in _PLACE_BEFORE
                or said[i - 1][:1].isupper()
                and i > 1
                and said[i - 2].lower() in _PLACE_BEFORE
            ):
                continue
            return True
    return False
