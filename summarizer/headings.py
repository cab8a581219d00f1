"""Section headings a person would write: a short noun phrase the section itself says.

"The modern hive", "The Fresnel lens", "Old lighthouses": the phrase of the section's sentences
that carries most of what sets the section apart from the rest of the talk (its keyword weights),
kept short and in sentence case. Never a list of keywords, never a bare number. In French, Spanish,
Italian, Portuguese, German and Dutch it is a noun an article opens ("Le toit", "Die
Genossenschaft"); in other languages a run of content words found with that language's stop words;
for scripts without spaces, the strongest word itself.
"""

from __future__ import annotations

import re

from .clauses import noun_phrase, parse, words
from .english import CONJUNCTIONS, DETERMINERS, FUNCTION, PREPOSITIONS, PRONOUNS, is_number
from .languages import language_code
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
            code = language_code(language)
            if english:
                phrases = _english_phrases(sentence)
            elif code in TITLE_ARTICLES:
                phrases = _article_nouns(sentence, code)
            else:
                phrases = _content_runs(sentence, language)
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


# Definite articles that open a noun phrase and read well at the head of a title ("La reine",
# "Die Genossenschaft"); the indefinite and inflected ones open one too but are dropped from it.
TITLE_ARTICLES = {
    "fr": frozenset("le la les l'".split()),
    "es": frozenset("el la los las".split()),
    "it": frozenset("il lo la gli le l'".split()),  # not "i": a heading cannot open with "I"
    "pt": frozenset("o a os as".split()),
    "de": frozenset("der die das".split()),
    "nl": frozenset("de het".split()),
}
OTHER_ARTICLES = {
    "fr": frozenset("un une des du au aux d'".split()),
    "es": frozenset("un una unos unas del al".split()),
    "it": frozenset("i un uno una dei degli delle del della dello".split()),
    "pt": frozenset("um uma uns umas do da dos das no na nos nas".split()),
    "de": frozenset("den dem des ein eine einen einem einer eines".split()),
    "nl": frozenset("een".split()),
}
_EDGE = ".,!?;:\"'()[]«»“”„—–"
# Adjectives that stand before their noun ("la première ruche", "la mayor parte"): the noun follows.
PRENOMINAL = {
    "fr": frozenset(
        "premier première dernier dernière grand grande petit petite nouveau nouvelle vieux vieille".split()
    ),
    "es": frozenset("primer primera último última gran mayor nuevo nueva buen buena".split()),
    "it": frozenset("primo prima ultimo ultima grande gran piccolo piccola nuovo nuova".split()),
    "pt": frozenset("primeiro primeira último última grande maior novo nova".split()),
    "de": frozenset(),
    "nl": frozenset("eerste laatste grote kleine nieuwe oude".split()),
}


def _article_nouns(sentence: str, code: str) -> list[tuple[str, ...]]:
    """The word after each article, with the article where it reads as a title: "La reine", "Die
    Windräder", "L'école", "Miel". Without a part-of-speech tagger, the word an article opens is
    the one place a noun is known to stand; the words after it may already be the verb ("Une
    colonie compte environ cinquante mille"), so they are left out."""
    titles = TITLE_ARTICLES[code]
    articles = titles | OTHER_ARTICLES[code]
    raw = sentence.replace("\u2019", "'").split()  # captions write "l’école" as often as "l'école"
    ws = [w.strip(_EDGE) for w in raw]
    ends = [w != w.rstrip(_EDGE) for w in raw]  # a comma or stop after the word
    out: list[tuple[str, ...]] = []
    for i, w in enumerate(ws):
        low = w.lower()
        if "'" in low:  # "l'école", "d'une école": the elided article is part of the word
            article, noun = low.split("'", 1)[0] + "'", w.split("'", 1)[1]
            title: tuple[str, ...] = (w,)
            if noun.lower() in articles:
                if i + 1 >= len(ws) or ends[i]:
                    continue
                article, noun, title = noun.lower(), ws[i + 1], (noun, ws[i + 1])
        elif i + 1 < len(ws) and not ends[i]:
            article, noun = low, ws[i + 1]
            title = (w, noun)
            if noun.lower() in PRENOMINAL[code] and i + 2 < len(ws) and not ends[i + 1]:
                title, noun = (w, noun, ws[i + 2]), f"{noun} {ws[i + 2]}"
        else:
            continue
        if article not in articles or not noun[:1].isalpha():
            continue
        if code == "de" and not noun[0].isupper():
            continue  # German nouns are capitalised: "die eigenen Windräder" opens with an adjective
        out.append(title if article in titles else tuple(noun.split()))
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
