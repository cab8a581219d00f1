"""Soft word matching: how much of a question's words a sentence says, counting near-synonyms.

BM25 and the coverage rule (retrieval.py) count a question's word only where the sentence says
the same stem, so "What is the lifespan of a worker bee?" finds nothing of itself in "each worker
lives for about six weeks". The sentence encoder, given single words, puts words of one meaning
close together (measured: lifespan/lives 0.68, chilly/cold 0.71, temperature/degrees 0.66,
saturdays/weekends 0.68, discard/throw 0.58) and unrelated ones apart (capital/france 0.25,
price/honey 0.29). A question word then counts for the closest word of the sentence: fully when the
stem is the same, in part above `FLOOR`, not at all below.

Words are embedded once per transcript (its vocabulary, kept with its search index) and once per
question (its few content words). English only: other languages keep exact stems (their words are
cut and stemmed differently, and the floor was measured on English).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .text import tokens

if TYPE_CHECKING:
    from .embedding import SentenceEncoder, Vectors

# Cosine below which two words count as unrelated; above it, the partial credit rises linearly
# to 1 at cosine 1. Chosen on the tuning question sets (0.45–0.6 measured alike; see BENCHMARKS.md).
FLOOR = 0.5
# A sentence says this many distinct words at most as far as matching goes (a caption run-on).
MAX_WORDS_PER_UNIT = 64
# Question words looked at: a pasted wall of text must not cost an encode per word.
MAX_QUESTION_WORDS = 24
_WORD = re.compile(r"[a-z][a-z'-]*")


def content_words(text: str, language: str | None = "en") -> list[tuple[str, str]]:
    """(word as said, its stem) for each content word of `text`, in order, without repeats."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text.lower()[:5000]):
        if w in out:
            continue
        stem = tokens(w, language)
        if stem:
            out[w] = stem[0]
    return list(out.items())


def is_english(language: str | None) -> bool:
    return language is None or language.lower().split("-")[0] == "en"


class WordMatcher:
    """The vocabulary of one transcript's units, embedded, and which unit says which word."""

    def __init__(self, texts: list[str], encoder: SentenceEncoder, language: str | None = "en") -> None:
        self.language = language
        self.encoder = encoder
        per_unit = [content_words(t, language)[:MAX_WORDS_PER_UNIT] for t in texts]
        vocab = sorted({w for ws in per_unit for w, _ in ws})
        self._at = {w: i for i, w in enumerate(vocab)}
        self._stems = np.array([tokens(w, language)[0] for w in vocab], dtype=object)
        self._vectors: Vectors = encoder.encode(vocab)
        # Units' word positions, flattened, with where each unit starts: a unit's best match is a
        # maximum over its slice (np.maximum.reduceat), with no Python loop over the units.
        self._words = np.array([self._at[w] for ws in per_unit for w, _ in ws], dtype=np.int64)
        counts = np.array([len(ws) for ws in per_unit], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        self._starts = np.minimum(starts, max(len(self._words) - 1, 0))  # reduceat needs them in range
        self._empty = counts == 0
        self.units = len(texts)

    def coverages(self, question: str, weights: dict[str, float]) -> Vectors:
        """Each unit's weighted share of the question's words (0..1): a word counts 1 where the unit
        says its stem, its closeness above FLOOR to the unit's nearest word otherwise.

        `weights`: the question's stems that count, with their weight (IDF); others are ignored.
        """
        out = np.zeros(self.units, dtype=np.float32)
        asked = [(w, s) for w, s in content_words(question, self.language) if s in weights][:MAX_QUESTION_WORDS]
        total = sum(weights[s] for s in {s for _, s in asked})
        if not asked or not total or not len(self._words):
            return out
        missing = [w for w, _ in asked if w not in self._at]
        fresh = dict(zip(missing, self.encoder.encode(missing), strict=True)) if missing else {}
        seen: set[str] = set()
        for w, s in asked:
            if s in seen:
                continue
            seen.add(s)
            vector = self._vectors[self._at[w]] if w in self._at else fresh[w]
            closeness = self._vectors @ vector
            credit = np.clip((closeness - FLOOR) / (1 - FLOOR), 0.0, 1.0)
            credit[self._stems == s] = 1.0
            best = np.maximum.reduceat(credit[self._words], self._starts)
            best[self._empty] = 0.0
            out += weights[s] / total * best.astype(np.float32)
        return out
