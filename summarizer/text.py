"""Transcript text as units a writer can rank: sentences anchored to the segment they start in.

Captions and whisper cut speech wherever a line fills up, not at sentence ends, so sentences are
rebuilt from the joined text and each is anchored to the segment holding its first word: that
segment's `start` is the only timestamp a digest may cite for it. Transcripts without punctuation
(YouTube's automatic captions) fall back to windows of a few segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .models import Segment

# A unit longer than this many words reads as a wall of text in a digest; split it at segments.
MAX_UNIT_WORDS = 45

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each even ever every few for from further get gets got had hadn't has
    hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
    much must mustn't my myself no nor not now of off on once one only or other ought our ours
    ourselves out over own really right same shan't she she'd she'll she's should shouldn't so some
    such than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've thing things this those through to too under until up upon us very
    was wasn't way we we'd we'll we're we've well were weren't what what's when when's where where's
    which while who who's whom why why's will with won't would wouldn't yeah yes you you'd you'll
    you're you've your yours yourself yourselves okay ok um uh gonna wanna kind sort lot lots""".split()
)


@dataclass(frozen=True)
class Unit:
    """A sentence (or a window of segments) with the timestamp of the segment it starts in."""

    start: float
    end: float
    text: str
    index: int  # position among the units, for "in order of speaking"


_SUFFIXES = ("'s", "ies", "sses", "ness", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A deliberately light stemmer: enough to match 'bees'/'bee', 'lived'/'lives', 'carried'/'carry'."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                base += "y"
            elif suffix == "sses":
                base += "ss"
            elif suffix == "s" and base.endswith(("s", "u", "i")):
                base = word  # 'glass', 'virus', 'analysis' are not plurals
            word = base
            break
    # One stem for both spellings of an ending: 'replace'/'replac(ed)', 'carry'/'carri(ed)'.
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def tokens(text: str, language: str | None = None) -> list[str]:
    """Content words of `text`, lower-cased and stemmed, stopwords removed.

    `language`: the transcript's language code ("en", "fr", "ja"…), None when unknown.
    """
    return list(_tokens(text))


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    # The writer asks for the same sentence's words dozens of times (sections, keywords, Q&A).
    return tuple(stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1)


def word_count(text: str) -> int:
    return len(text.split())


def units(segments: list[Segment]) -> list[Unit]:
    """Sentences anchored to segments, or segment windows where the text has no punctuation."""
    if not segments:
        return []
    # Character offset where each segment's text begins in the joined text.
    offsets, parts, pos = [], [], 0
    for seg in segments:
        text = seg.text.strip()
        offsets.append(pos)
        parts.append(text)
        pos += len(text) + 1
    joined = " ".join(parts)

    out: list[Unit] = []
    cursor = 0
    for piece in _split_sentences(joined):
        begin = joined.index(piece, cursor)
        cursor = begin + len(piece)
        first = _segment_at(offsets, begin)
        last = _segment_at(offsets, cursor - 1)
        if word_count(piece) > MAX_UNIT_WORDS and last > first:
            # Only this run's own words: its first and last segments may hold neighbours' too.
            clipped = [
                (segments[j], parts[j][max(begin - offsets[j], 0) : max(cursor - offsets[j], 0)].strip())
                for j in range(first, last + 1)
            ]
            out.extend(_windows([(seg, text) for seg, text in clipped if text]))
        else:
            out.append(Unit(segments[first].start, segments[last].end, piece, 0))
    return [Unit(u.start, u.end, u.text, i) for i, u in enumerate(out)]


def _split_sentences(text: str) -> list[str]:
    return [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]


def _segment_at(offsets: list[int], char: int) -> int:
    lo, hi = 0, len(offsets) - 1
    while lo < hi:  # last segment whose offset <= char
        mid = (lo + hi + 1) // 2
        if offsets[mid] <= char:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _windows(run: list[tuple[Segment, str]]) -> list[Unit]:
    """Group consecutive (segment, words) pairs into units of roughly sentence length."""
    out, group = [], []
    for pair in run:
        group.append(pair)
        if sum(word_count(text) for _, text in group) >= MAX_UNIT_WORDS // 2:
            out.append(_unit_of(group))
            group = []
    if group:
        out.append(_unit_of(group))
    return out


def _unit_of(group: list[tuple[Segment, str]]) -> Unit:
    return Unit(group[0][0].start, group[-1][0].end, " ".join(text for _, text in group), 0)
