"""Timed words -> sentence-sized segments.

faster-whisper's batched pipeline returns one segment per voice-activity chunk (up to 30 s), far
coarser than the 3–8 s segments of sequential decoding; highlights and citations point at segment
starts, so a 30 s segment would send a reader up to half a minute before the sentence meant. With
`word_timestamps=True` every word carries its own time, and the text is cut again here: after a
sentence ends, at a long pause, and inside sentences that run too long (at a comma, else at the
widest gap between words).

Word times come from a model, so they are not trusted: non-finite or negative times, words out of
order or overlapping, and absurdly long "words" are repaired before anything is cut.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .models import Segment

SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")
CLAUSE_ENDS = (",", ";", ":", "，", "、", "；", "：")
PAUSE_S = 1.5  # a silence this long ends a segment even without punctuation
MAX_S = 15.0  # a segment longer than this is cut again, so a citation lands near its sentence
MAX_WORD_S = 5.0  # no spoken word lasts longer: a longer one is a timing glitch, so its end is cut back
MIN_SENTENCE_S = 1.0  # "Yes." or "Dr." alone is not worth a segment of its own


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # as whisper gives it: with its leading space, none between CJK characters


def segments(words: Iterable[Word]) -> list[Segment]:
    """Sentence-sized segments of `words`, in time order; [] when no word has text."""
    out: list[Segment] = []
    current: list[Word] = []
    for word in repaired(words):
        if current and word.start - current[-1].end >= PAUSE_S:
            out.append(_segment(current))
            current = []
        current.append(word)
        while current[-1].end - current[0].start > MAX_S and len(current) > 1:
            cut = _break_point(current)
            out.append(_segment(current[:cut]))
            current = current[cut:]
        if _ends_sentence(current):
            out.append(_segment(current))
            current = []
    if current:
        out.append(_segment(current))
    return out


def repaired(words: Iterable[Word]) -> list[Word]:
    """Words with text, possible times (finite, not negative), each ending no sooner than it starts and no
    later than MAX_WORD_S after, sorted by start, and none starting before the previous one ends."""
    kept: list[Word] = []
    last_end = 0.0
    for w in words:
        if not w.text.strip():
            continue
        # A time that cannot be (NaN, infinite, before the audio starts) is not known: the word's
        # other time stands in for it, else where the previous word ended.
        start = w.start if _possible(w.start) else None
        end = w.end if _possible(w.end) else None
        start = start if start is not None else end if end is not None else last_end
        end = max(start, end if end is not None else start)
        kept.append(Word(start, min(end, start + MAX_WORD_S), w.text))
        last_end = kept[-1].end
    kept.sort(key=lambda w: w.start)  # stable: words with the same start keep their order
    ordered: list[Word] = []
    for w in kept:
        if ordered and w.start < ordered[-1].end:  # overlapping: starts where the previous one ends
            w = Word(ordered[-1].end, max(ordered[-1].end, w.end), w.text)
        ordered.append(w)
    return ordered


def _possible(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x >= 0


def _ends_sentence(words: list[Word]) -> bool:
    return words[-1].text.rstrip().endswith(SENTENCE_ENDS) and words[-1].end - words[0].start >= MIN_SENTENCE_S


def _break_point(words: list[Word]) -> int:
    """Where to cut an over-long run of words: after its last clause end, else at its widest gap."""
    for i in range(len(words) - 1, 0, -1):
        if words[i - 1].text.rstrip().endswith(CLAUSE_ENDS):
            return i
    gaps = [words[i].start - words[i - 1].end for i in range(1, len(words))]
    return 1 + max(range(len(gaps)), key=lambda i: (gaps[i], i))


def _segment(words: list[Word]) -> Segment:
    return Segment(
        start=round(words[0].start, 2), end=round(words[-1].end, 2), text="".join(w.text for w in words).strip()
    )
