"""Answers to follow-up questions from the transcript alone, for the offline (extractive) writer.

The answer is the transcript's own best sentence for the question, found by hybrid retrieval
(summarizer/retrieval.py: BM25 and sentence embeddings, fused), with the sentence before it when
it cannot stand alone ("It was built about two thousand years ago."). Or, when nothing in the
talk speaks to the question, an honest "not covered".

That decision is the fused score of the best sentence against a threshold, calibrated on
questions that the fixture talks do and do not answer (tests/fixtures/questions/, measured by
tests/test_answer_quality.py): low enough that paraphrased questions are answered, high enough
that nine in ten questions the talk does not answer are refused. English transcripts have their
own (MIN_SOFT_SCORE): near-synonyms and the kind of answer asked for join their score.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .cjk import joined
from .embedding import SentenceEncoder, shared_encoder
from .models import Answer, Citation, Transcript, Turn, Video
from .retrieval import Hit, PassageIndex, leans_on_previous
from .text import Unit, tokens, units
from .word_match import WordMatcher, is_english

NOT_COVERED = "The video does not seem to cover that: nothing in the transcript speaks to it."
# The fused score (retrieval.search) below which the talk does not answer the question.
# Calibrated on the tuning question sets (see the module docstring and BENCHMARKS.md).
MIN_SCORE = 0.36
# The same decision where near-synonyms and the kind of answer join the score (English transcripts,
# retrieval.py): the words weigh more there and the kind moves scores by +0.05/-0.2, so the scale
# differs. Calibrated like MIN_SCORE: the lowest that refuses 90% of the tuning sets' off-topic
# questions on captions and on whisper's transcripts alike: 0.37 since a sentence that leans on
# the one before counts that sentence's words too (retrieval.py), 0.39 before.
MIN_SOFT_SCORE = 0.37
# With BM25 alone (no embeddings): the IDF-weighted share of the question's words the best
# passage must say. The rule the offline writer used before embeddings; kept as the baseline.
MIN_COVERAGE = 0.5
# How much of the previous question a follow-up's meaning borrows.
PREVIOUS_CHARS = 300
# Transcripts whose search index stays built: a thread's follow-ups pay for one short encode.
INDEXES = 16


@dataclass(frozen=True)
class Finding:
    """The passage that answers, and the sentences quoted with it, in speaking order."""

    best: Hit
    quoted: list[Unit]


class AnswerFinder:
    """Finds the answer to a question in one transcript.

    `hybrid=False` answers from BM25 alone with the coverage rule: the baseline the benchmarks and
    the quality tests compare against.
    """

    def __init__(self, encoder: SentenceEncoder | None = None, hybrid: bool = True) -> None:
        self.encoder = (encoder or shared_encoder()) if hybrid else None

    def answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        found = self.find(video, transcript, question, turns)
        if found is None:
            return Answer(question=question, answer=NOT_COVERED, grounded=False, citations=[])
        # The best sentence is cited first, at its own start; a sentence quoted for context follows.
        cited = [found.best.unit] + [u for u in found.quoted if u != found.best.unit]
        return Answer(
            question=question,
            answer=joined(u.text for u in found.quoted),
            grounded=True,
            citations=[Citation(start_s=u.start, end_s=u.end, text=u.text) for u in cited],
        )

    def find(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Finding | None:
        if not transcript.segments or not question.strip():
            return None
        index = self._index(video, transcript)
        if not index.units:
            return None
        best = self._best(index, question, None, transcript.language)
        if turns and not self._answers(best, index):
            # A follow-up such as "and how long do they live?" leans on the previous question.
            best = self._best(index, question, turns[-1].question, transcript.language)
        if best is None or not self._answers(best, index):
            return None
        return Finding(best, self._quoted(index.units, best.unit))

    def _index(self, video: Video, transcript: Transcript) -> PassageIndex:
        # Keyed by the segments themselves: rebuilding the sentences to name them would cost as much
        # as a warm answer on a long talk.
        said = "\n".join(f"{s.start}\t{s.text}" for s in transcript.segments)
        digest = hashlib.blake2b(said.encode("utf-8"), digest_size=16).hexdigest()
        slot = (video.key, transcript.language, self.encoder is not None, digest)
        index = _indexes.get(slot)
        if index is None:
            us = units(transcript.segments)
            vectors, words = None, None
            if self.encoder is not None:
                vectors = self.encoder.encode_transcript(video.key, [u.text for u in us])
                if is_english(transcript.language):
                    words = WordMatcher([u.text for u in us], self.encoder, transcript.language)
            index = _indexes.put(slot, PassageIndex(us, transcript.language, vectors, words))
        return index

    def _best(self, index: PassageIndex, question: str, previous: str | None, language: str | None) -> Hit | None:
        extra = tokens(previous, language) if previous else None
        vector = None
        if self.encoder is not None:
            # The earlier question's start is its subject; a pasted wall of text must not crowd out this one.
            lead = f"{previous[:PREVIOUS_CHARS]} " if previous else ""
            vector = self.encoder.encode_question(lead + question)
        hits = index.search(question, k=3, extra_terms=extra, query_vector=vector)
        if not hits:
            return None
        # BM25 alone ranks by shared words; of its best three, the one saying most of the question wins.
        return hits[0] if vector is not None else max(hits, key=lambda h: (h.coverage, h.score))

    def _answers(self, hit: Hit | None, index: PassageIndex) -> bool:
        if hit is None:
            return False
        if self.encoder is None:
            return hit.coverage >= MIN_COVERAGE
        return hit.score >= (MIN_SOFT_SCORE if index.soft else MIN_SCORE)

    @staticmethod
    def _quoted(us: list[Unit], unit: Unit) -> list[Unit]:
        """The unit, after its predecessor when it leans on it ("It…", "This…", "They…")."""
        if unit.index > 0 and leans_on_previous(unit):
            return [us[unit.index - 1], unit]
        return [unit]


class _Indexes:
    """A small LRU of built indexes, shared by every AnswerFinder of the process (the writer makes
    one per question). An index is read-only once built, so threads may search one together."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str | None, bool, str], PassageIndex] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slot: tuple[str, str | None, bool, str]) -> PassageIndex | None:
        with self._lock:
            index = self._items.get(slot)
            if index is not None:
                self._items.move_to_end(slot)
            return index

    def put(self, slot: tuple[str, str | None, bool, str], index: PassageIndex) -> PassageIndex:
        with self._lock:
            self._items[slot] = index
            self._items.move_to_end(slot)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return index


_indexes = _Indexes(INDEXES)
