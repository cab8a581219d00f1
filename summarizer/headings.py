"""Section headings a person would write: a short noun phrase the section itself says.

"The modern hive", "The Fresnel lens", "Old lighthouses": the phrase of the section's sentences
that carries most of what sets the section apart from the rest of the talk (its keyword weights),
kept short and in sentence case. Never a list of keywords, never a bare number. For languages other
than English the phrase is a run of content words around the section's strongest word, found with
that language's stop words; for scripts without spaces, the strongest word itself.
"""

from __future__ import annotations

import re

from .clauses import noun_phrase, parse, words
from .english import CONJUNCTIONS, DETERMINERS, FUNCTION, PREPOSITIONS, PRONOUNS, is_number
from .text import tokens

MAX_WORDS = 5
# Determiners a heading keeps: "The modern hive" reads as a title, "Many old lighthouses" does not.
KEPT_DETERMINERS = frozenset({"the"})
# Words that end a phrase about when, how much or how far rather than about a subject.
NOT_TOPICS = frozenset(
    """second seconds minute minutes hour hours day days week weeks month months year years decade decades
    century centuries ago today tomorrow yesterday time times way ways thing things lot lots bit part parts
    percent meters metres miles kilometers feet tall long wide far away""".split()
)
# Words that make a phrase about when ("Minutes earlier", "Two weeks later").
WHEN = frozenset("seconds minutes hours days weeks months years decades earlier later ago afternoon morning".split())
# Determiners after which a lone singular noun reads as a fragment ("Worker" from "each worker").
SINGULAR = frozenset({"a", "an", "each", "every", "another"})
# Quantity words that open a noun phrase but say nothing about its subject.
QUANTITY = frozenset("about around roughly nearly almost over more than less just only some".split())


def heading(opening: str, ranked: list[str], weights: dict[str, float], language: str | None, taken: set[str]) -> str:
    """The best short phrase of a section under `weights` (stem -> weight), other than the headings
    already `taken` (lower-cased); "" when no phrase will do.

    `opening` is the section's first sentence, where speakers tend to name what comes next ("Today,
    honey bees face many serious threats."); `ranked` its other sentences, most telling first.
    """
    english = language is None or language.lower().startswith("en")
    best: tuple[float, str] | None = None
    for rank, sentence in enumerate([opening, *[r for r in ranked if r != opening][:5]]):
        if _CJK.search(sentence):
            phrases = _cjk_runs(sentence)
        else:
            phrases = _english_phrases(sentence) if english else _content_runs(sentence, language)
        for phrase in phrases:
            text = _tidy(phrase)
            if not text or text.lower() in taken:
                continue
            stems = {t for w in text.split() for t in tokens(w, language)}
            weight = sum(weights.get(t, 0.0) for t in stems)
            if weight <= 0:
                continue
            n = len(text.split())
            score = (
                weight * (0.75 if n == 1 else 1.0 if n <= 4 else 0.85) * (1.4 if rank == 0 else 1 / (1 + 0.1 * rank))
            )
            if best is None or score > best[0]:
                best = (score, text)
    return best[1] if best else ""


def _english_phrases(sentence: str) -> list[tuple[str, ...]]:
    """The subject, the object and the phrases after prepositions ("threats to bees" style joins
    kept when short), as the clause reader finds them; never a verb's infinitive or gerund."""
    toks = tuple(words(sentence))
    out: list[tuple[str, ...]] = []
    c = parse(sentence)
    if c is not None:
        out.append(c.subject)
        if c.rest and c.rest[0].lower() not in PREPOSITIONS | CONJUNCTIONS:
            out.append(_with_of(c.rest, 0))
    for i, t in enumerate(toks):
        if t.lower() in PREPOSITIONS - {"to"} and i + 1 < len(toks) and not toks[i + 1].endswith("ing"):
            out.append(_with_of(toks, i + 1))
    return [p for p in out if p and p[-1].lower() not in NOT_TOPICS and not WHEN & {w.lower() for w in p}]


def _with_of(toks: tuple[str, ...], start: int) -> tuple[str, ...]:
    phrase = noun_phrase(toks, start)
    end = start + len(phrase)
    if phrase and end + 1 < len(toks) and toks[end].lower() == "of":
        tail = noun_phrase(toks, end + 1)
        if tail and len(phrase) + len(tail) < MAX_WORDS:
            return (*phrase, "of", *tail)
    return phrase


# Han, kana and hangul: scripts written without spaces between words.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Kanji, katakana and hangul runs: in Japanese, hiragana between them are mostly particles and endings.
_CJK_RUN = re.compile(r"[\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2,}")
MAX_CJK_CHARS = 8


def _cjk_runs(sentence: str) -> list[tuple[str, ...]]:
    """Runs of kanji, katakana or hangul of heading length; a longer run (Chinese has no kana to
    cut it) offers its pieces of two and three characters instead."""
    out: list[tuple[str, ...]] = []
    for run in _CJK_RUN.findall(sentence):
        if len(run) <= MAX_CJK_CHARS:
            out.append((run,))
        else:
            out += [(run[i : i + n],) for n in (2, 3) for i in range(len(run) - n + 1)][:200]
    return out


def _content_runs(sentence: str, language: str | None) -> list[tuple[str, ...]]:
    """Runs of consecutive content words (the language's stop words and numbers split them)."""
    runs: list[tuple[str, ...]] = []
    current: list[str] = []
    for w in sentence.split():
        bare = w.strip(".,!?;:\"'()[]«»“”„—–")
        if bare and tokens(bare, language) and not is_number(bare):
            current.append(bare)
        if not bare or not tokens(bare, language) or bare != w.strip():
            if current:
                runs.append(tuple(current))
            current = []
    if current:
        runs.append(tuple(current))
    short = [r[:MAX_WORDS] for r in runs]
    if not short and sentence.strip():  # a script without spaces: its strongest words stand alone
        return [(t,) for t in dict.fromkeys(tokens(sentence, language))]
    return short


def _tidy(phrase: tuple[str, ...]) -> str:
    """Sentence case, no leading article or quantity, no trailing function word; '' if unusable."""
    ws = list(phrase)
    if len(ws) == 2 and ws[0].lower() in SINGULAR:
        return ""
    while ws and (ws[0].lower() in QUANTITY or is_number(ws[0]) or ws[0].lower() in DETERMINERS - KEPT_DETERMINERS):
        ws.pop(0)
    while ws and ws[-1].lower() in FUNCTION:
        ws.pop()
    if not ws or len(ws) > MAX_WORDS + (ws[0].lower() == "the"):
        return ""
    if any(w.lower() in PRONOUNS or is_number(w) or w.lower() in ("and", "or", ",", ";", ":") for w in ws):
        return ""  # a heading names one thing; "Lamps and timers" starts a keyword list
    if all(w.lower() in FUNCTION for w in ws):
        return ""
    text = " ".join(ws)
    return text[0].upper() + text[1:]
