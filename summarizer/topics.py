"""Topic structure of a talk: where it shifts subject, and which words characterise each part.

A TextTiling-style segmenter (Hearst, 1997): compare the vocabulary of a window of units before
each gap with the window after it; a gap in a valley of similarity is a topic shift. Boundaries
are kept where the valley is deeper than the talk's typical gap, so a three-topic talk gives
three sections whatever its length.
"""

from __future__ import annotations

import math
from collections import Counter
from statistics import median

from .text import Unit, stem, tokens

MIN_UNITS_PER_SECTION = 2
MAX_SECTIONS = 6
# How much an unusually long pause adds to a gap's depth (depths run 0..~0.5).
PAUSE_WEIGHT = 0.15
# Spoken numbers are facts, not subjects: never a section title.
NUMBER_WORDS = frozenset(
    stem(w)
    for w in (
        "zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty "
        "seventy eighty ninety hundred thousand million billion first second third half"
    ).split()
)


def cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def tf_idf(units: list[Unit], language: str | None = None) -> list[Counter]:
    """One weighted bag of words per unit; words in every unit carry no topic."""
    bags = [Counter(tokens(u.text, language)) for u in units]
    df = Counter(t for bag in bags for t in bag)
    n = len(bags)
    return [Counter({t: c * math.log((1 + n) / (1 + df[t])) for t, c in bag.items()}) for bag in bags]


def boundaries(units: list[Unit], window: int = 3, language: str | None = None) -> list[int]:
    """Indices of the units that open a new section (always includes 0).

    The deepest similarity valleys win; how many sections a talk gets grows with its length
    (about one per five sentences, 2 to 6), because short lexical windows are too noisy to be
    trusted with the count on their own.
    """
    n = len(units)
    if n < 2 * MIN_UNITS_PER_SECTION:
        return [0]
    bags = tf_idf(units, language)
    window = max(1, min(window, n // 4 or 1))
    sims = []
    for gap in range(1, n):  # gap g sits before unit g
        left = sum((bags[i] for i in range(max(0, gap - window), gap)), Counter())
        right = sum((bags[i] for i in range(gap, min(n, gap + window))), Counter())
        sims.append(cosine(left, right))
    depths = [_depth(sims, i) + PAUSE_WEIGHT * p for i, p in enumerate(_pauses(units))]
    wanted = max(2, min(MAX_SECTIONS, n // 5)) - 1
    spacing = max(MIN_UNITS_PER_SECTION, int(0.6 * n / (wanted + 1)))  # sections of comparable length
    chosen: list[int] = []
    for i in sorted(range(len(depths)), key=lambda i: -depths[i]):
        gap = i + 1
        if len(chosen) == wanted or depths[i] <= 0:
            break
        if spacing <= gap <= n - spacing and all(abs(gap - c) >= spacing for c in chosen):
            chosen.append(gap)
    return [0] + sorted(chosen)


def _pauses(units: list[Unit]) -> list[float]:
    """For each gap, how much longer than usual the silence before it is (0..1).

    Speakers pause when they change subject; in transcripts that is the one cue that survives
    when the words of two topics barely differ.
    """
    silences = [max(0.0, b.start - a.end) for a, b in zip(units, units[1:])]
    typical = median(silences) if silences else 0.0
    return [min(1.0, (s - typical) / (typical or 0.5)) if s > typical else 0.0 for s in silences]


def _depth(sims: list[float], i: int) -> float:
    """How far gap i sits below the highest similarity on each side of it."""
    left = max(sims[: i + 1])
    right = max(sims[i:])
    return (left - sims[i]) + (right - sims[i])


def keyword_weights(part: list[Unit], whole: list[Unit], language: str | None = None) -> dict[str, float]:
    """How much each word (stem) of `part` sets it apart from the whole talk."""
    df = Counter(t for u in whole for t in set(tokens(u.text, language)))
    n = len(whole)
    counts = Counter(t for u in part for t in tokens(u.text, language))
    spread = Counter(t for u in part for t in set(tokens(u.text, language)))
    # Words said in several sentences of the part carry its subject; one-off words are colour.
    return {
        t: c * math.log((1 + n) / (1 + df[t])) * (1 + (spread[t] > 1)) + 0.01 * c
        for t, c in counts.items()
        if (len(t) > 2 or not t.isascii()) and t not in NUMBER_WORDS  # a CJK bigram is a word
    }


def talk_words(whole: list[Unit], language: str | None = None, share: float = 0.3) -> frozenset[str]:
    """Words (stems) said in at least `share` of the talk's sentences: what the whole talk is
    about ("bees"), which cannot tell one of its sections from another."""
    df = Counter(t for u in whole for t in set(tokens(u.text, language)))
    return frozenset(t for t, c in df.items() if c >= max(2, share * len(whole)))


def keywords(part: list[Unit], whole: list[Unit], k: int = 3, language: str | None = None) -> list[str]:
    """Surface words that characterise `part` against the whole talk, most telling first."""
    scored = keyword_weights(part, whole, language)
    # Show the word as spoken most often, not its stem.
    spoken: dict[str, Counter] = {}
    for u in part:
        for w in u.text.split():
            w = w.strip(".,!?;:\"'()[]").lower()
            stemmed = tokens(w, language)
            if stemmed:
                spoken.setdefault(stemmed[0], Counter())[w] += 1
    best = sorted(scored, key=lambda t: -scored[t])[:k]
    return [spoken[t].most_common(1)[0][0] if t in spoken else t for t in best]
