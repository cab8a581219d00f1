"""Retrieval over transcript units: which moments of a video speak to a question.

Two signals, fused. BM25 (bm25s) finds the units that share the question's words, in the
transcript's own language; `coverage` then asks the honest question BM25 cannot: how much of
what the question is about does a passage actually mention? Cosine similarity of sentence
embeddings (summarizer/embedding.py) ranks the units that mean what the question asks in other
words ("Where can I put it if my house is chilly?" / "If your kitchen is cold, the top of the
fridge… works well").

In English, two more signals join (both measured on the tuning sets, BENCHMARKS.md): a question's
word counts in part for a near-synonym the unit says (word_match.py: "lifespan" for "lives"), and
a unit that holds the kind of answer the question asks for (answer_types.py: a number for "How
many…?", a duration for "How long…?") is moved up, one that cannot answer moved down.

Fusion is a weighted sum of the words' coverage (0..1) and the cosine: on the tuning question
sets (tests/fixtures/questions/) it put the right sentence first as often as the best of
reciprocal rank fusion and BM25-based mixes, and unlike them it gives a score whose scale is the
same from one question and one transcript length to the next, which the "not covered" decision
needs (see BENCHMARKS.md).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .answer_types import expected, holds
from .text import Unit, tokens

if TYPE_CHECKING:
    from .embedding import Vectors
    from .word_match import WordMatcher

# Words that say how a question is asked rather than what it is about (English questions).
_QUESTION_NOISE = (
    "video talk speaker say says said mention mentions explain explains tell tells "
    "describe describes discuss discusses happen happens mean means many much long"
)
# Share of the fused score that the words carry (coverage, with BM25 to break ties); the cosine
# carries the rest. Chosen on the tuning sets: 0.3 with exact stems only, 0.4 once near-synonyms
# count (a word's partial credit is weaker evidence than the same stem, so words may weigh more).
LEXICAL_WEIGHT = 0.3
SOFT_LEXICAL_WEIGHT = 0.4
# Added to a unit that holds the kind of answer the question asks for, and taken off one that does
# not: a sentence without a number cannot answer "How many…?" however close its topic, so missing
# the kind costs more than holding it earns (measured on the tuning sets: +0.05/-0.2 answered 3-4
# more questions right than ±0.1 at the same off-topic refusal).
TYPE_BOOST = 0.05
TYPE_PENALTY = 0.2
# How much of a unit's closeness to the talk's centre is taken off its closeness to the question.
HUB_DISCOUNT = 0.5
# A sentence that opens with one of these leans on the one before ("It was built…", "This took…"):
# its meaning is judged with its predecessor's, and an answer quotes both.
# ("So…" and "Then…" only carry the story on: what they say stands alone.)
ANAPHORA = frozenset("it it's its this that that's these those they they're them he she his her".split())


@dataclass(frozen=True)
class Hit:
    unit: Unit
    score: float  # what the hits are ranked by: BM25, or the fused score when embeddings are given
    coverage: float  # IDF-weighted share of the question's words the unit (or the one it leans on) says (0..1)
    similarity: float = 0.0  # cosine of the question's and the unit's (in-context) meaning
    lexical: float = 0.0  # BM25 over the best unit's BM25 for this question (0..1)


@lru_cache(maxsize=64)
def question_noise(language: str | None) -> frozenset[str]:
    english = language is None or language.lower().split("-")[0] == "en"
    return frozenset(tokens(_QUESTION_NOISE, language)) if english else frozenset()


def leans_on_previous(unit: Unit) -> bool:
    first = unit.text.split(maxsplit=1)[0].strip(",.:;!?\"'").lower() if unit.text.strip() else ""
    return first in ANAPHORA


class PassageIndex:
    def __init__(
        self,
        units: list[Unit],
        language: str | None = None,
        vectors: Vectors | None = None,
        words: WordMatcher | None = None,
    ) -> None:
        """`vectors`: the units' unit-length embeddings, one row per unit, for hybrid search.
        `words`: the units' vocabulary embedded (English), so near-synonyms count (hybrid only)."""
        self.units = units
        self.language = language
        self._words = words
        self._kinds: dict[str, Vectors] = {}
        self._tokens = [tokens(u.text, language) for u in units]
        self._df = Counter(t for toks in self._tokens for t in set(toks))
        self._postings: dict[str, list[int]] = {}
        for i, toks in enumerate(self._tokens):
            said = set(toks)
            if i and leans_on_previous(units[i]):
                # "It was built about 2300 years ago" says what "The first lighthouse was in
                # Alexandria" named: for coverage its words are the pair's, as its meaning is
                # (_in_context) and as an answer quoting it is.
                said |= set(self._tokens[i - 1])
            for t in said:
                self._postings.setdefault(t, []).append(i)
        self._context = _in_context(units, vectors) if vectors is not None and len(units) else None
        if self._context is not None:
            centre = self._context.mean(axis=0)
            closeness = self._context @ centre
            # Relative to the talk's own average, so that the discount ranks units without moving the
            # scale of the scores (a short talk's sentences are all close to its centre).
            self._hubness = closeness - closeness.mean()
        import bm25s  # numpy and scipy-like setup: paid only when a question is asked

        self._bm25 = bm25s.BM25()
        if units:
            # bm25s cannot index a document without tokens; a placeholder keeps positions aligned.
            self._bm25.index([t or ["\x00"] for t in self._tokens], show_progress=False)

    @property
    def soft(self) -> bool:
        """Whether hybrid scores count near-synonyms and the kind of answer (English, with `words`)."""
        return self._words is not None and self._context is not None

    def idf(self, token: str) -> float:
        n = max(len(self.units), 1)
        return math.log(1 + (n - self._df.get(token, 0) + 0.5) / (self._df.get(token, 0) + 0.5))

    def terms(self, query: str) -> list[str]:
        """The query's content words, without the words that only say how it is asked."""
        noise = question_noise(self.language)
        return [t for t in tokens(query, self.language) if t not in noise] or tokens(query, self.language)

    def search(
        self,
        query: str,
        k: int = 3,
        extra_terms: list[str] | None = None,
        query_vector: Vectors | None = None,
    ) -> list[Hit]:
        """The best `k` units for `query`, best first.

        Without `query_vector` (or without the units' vectors) this is BM25 alone, and a unit needs
        one of the query's words to be found. With both, BM25 and meaning are fused and every unit
        can be found.
        """
        if not self.units:
            return []
        q = self.terms(query)
        terms = q + [t for t in (extra_terms or []) if t not in q]
        known = [t for t in terms if t in self._df]
        lexical = np.zeros(len(self.units), dtype=np.float32)
        if known:
            lexical = np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        # A follow-up like "when did that happen?" has no words of its own in the video: judge it by
        # the words it borrowed from the earlier question.
        judged = terms if extra_terms and not any(t in self._df for t in q) else q
        k = min(k, len(self.units))
        top = float(lexical.max())
        scaled = lexical / top if top > 0 else lexical
        covered = self.coverages(judged)
        if query_vector is None or self._context is None:
            order = [int(i) for i in np.argsort(-lexical, kind="stable")[:k] if lexical[i] > 0]
            return [Hit(self.units[i], float(lexical[i]), float(covered[i]), 0.0, float(scaled[i])) for i in order]
        similarity = self._context @ np.asarray(query_vector, dtype=np.float32)
        # A unit that is close to every other one ("Hi everyone, today I want to show you…") is close
        # to every question about the talk too: its closeness to the talk's centre is discounted.
        distinct = similarity - HUB_DISCOUNT * self._hubness
        # Coverage, not BM25, carries the words: BM25's scale grows with the transcript's length, and
        # the "not covered" threshold must mean the same for a two-minute talk and a two-hour one.
        weight = LEXICAL_WEIGHT
        if self._words is not None and judged is q:
            # A borrowed follow-up's words come as stems only; the question's own words are matched softly.
            soft = self._words.coverages(query, {t: self.idf(t) for t in set(q)})
            covered = np.maximum(covered, soft)
            weight = SOFT_LEXICAL_WEIGHT
        words = 0.95 * covered + 0.05 * scaled
        fits = self.fits(query)
        fused = weight * words + (1 - weight) * distinct + np.where(fits > 0, TYPE_BOOST, TYPE_PENALTY) * fits
        order = [int(i) for i in np.argsort(-fused, kind="stable")[:k]]
        return [
            Hit(self.units[i], float(fused[i]), float(covered[i]), float(similarity[i]), float(scaled[i]))
            for i in order
        ]

    def fits(self, query: str) -> Vectors:
        """+1 for each unit holding the kind of answer `query` asks for, -1 for one that does not,
        0 everywhere when the question does not say (or is not English): answer_types.py."""
        kind = expected(query, self.language)
        if kind is None:
            return np.zeros(len(self.units), dtype=np.float32)
        # Per transcript and kind, so a warm question pays nothing for it; two threads racing here
        # store the same array, so the index stays safe to share.
        if kind not in self._kinds:
            self._kinds[kind] = np.array([1.0 if holds(u.text, kind) else -1.0 for u in self.units], dtype=np.float32)
        return self._kinds[kind]

    def coverages(self, query_terms: list[str]) -> Vectors:
        """Each unit's IDF-weighted share of the query's terms (0..1): the terms it says, or the
        sentence it leans on says."""
        out = np.zeros(len(self.units), dtype=np.float32)
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        if not total:
            return out
        for t, w in weights.items():
            out[self._postings.get(t, [])] += w / total
        return out


def _in_context(units: list[Unit], vectors: Vectors) -> Vectors:
    """Each unit's meaning as a reader takes it: a sentence that leans on the one before ("It keeps
    for months") is blended with it, so "how long does dried starter last?" can find it."""
    if len(vectors) != len(units):
        raise ValueError(f"{len(vectors)} vectors for {len(units)} units")
    out = np.array(vectors, dtype=np.float32, copy=True)
    for i in range(1, len(units)):
        if leans_on_previous(units[i]):
            blended = vectors[i] + 0.5 * vectors[i - 1]
            out[i] = blended / (np.linalg.norm(blended) or 1.0)
    return out
