"""Lexical retrieval over transcript units: which moments of a video speak to a question.

BM25 (bm25s) ranks the units; `coverage` then asks the honest question BM25 cannot: how much of
what the question is about does the best passage actually mention? A question whose rare words
never occur in the video is not covered, however well its common words match.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .text import Unit, tokens

# Words that say how a question is asked rather than what it is about.
QUESTION_NOISE = frozenset(
    tokens(
        "video talk speaker say says said mention mentions explain explains tell tells "
        "describe describes discuss discusses happen happens mean means many much long"
    )
)


@dataclass(frozen=True)
class Hit:
    unit: Unit
    score: float
    coverage: float


class PassageIndex:
    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self._tokens = [tokens(u.text) for u in units]
        self._df = Counter(t for toks in self._tokens for t in set(toks))
        import bm25s  # numpy and scipy-like setup: paid only when a question is asked

        self._bm25 = bm25s.BM25()
        if units:
            # bm25s cannot index a document without tokens; a placeholder keeps positions aligned.
            self._bm25.index([t or ["\x00"] for t in self._tokens], show_progress=False)

    def idf(self, token: str) -> float:
        n = max(len(self.units), 1)
        return math.log(1 + (n - self._df.get(token, 0) + 0.5) / (self._df.get(token, 0) + 0.5))

    def search(self, query: str, k: int = 3, extra_terms: list[str] | None = None) -> list[Hit]:
        """The best `k` units for `query`, best first, each with its coverage of the query."""
        q = [t for t in tokens(query) if t not in QUESTION_NOISE] or tokens(query)
        terms = q + [t for t in (extra_terms or []) if t not in q]
        if not self.units or not terms:
            return []
        known = [t for t in terms if t in self._df]
        if not known:
            return []
        k = min(k, len(self.units))
        docs, scores = self._bm25.retrieve([known], k=k, show_progress=False)
        # A follow-up like "when did that happen?" has no words of its own in the video: judge it by
        # the words it borrowed from the earlier question.
        judged = terms if extra_terms and not any(t in self._df for t in q) else q
        hits = []
        for i, score in zip(docs[0], scores[0]):
            if score <= 0:
                continue
            unit = self.units[int(i)]
            hits.append(Hit(unit, float(score), self.coverage(judged, self._tokens[int(i)])))
        return hits

    def coverage(self, query_terms: list[str], unit_terms: list[str]) -> float:
        """IDF-weighted share of the query's terms that occur in the unit (0..1)."""
        present = set(unit_terms)
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w for t, w in weights.items() if t in present) / total
