"""Transcript text as units a writer can rank: sentences anchored to the segment they start in.

Captions and whisper cut speech wherever a line fills up, not at sentence ends, so sentences are
rebuilt from the joined text and each is anchored to the segment holding its first word: that
segment's `start` is the only timestamp a digest may cite for it. Transcripts without punctuation
(YouTube's automatic captions) fall back to windows of a few segments.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import Stemmer

from .cjk import CJK_RUN, SPACELESS_RUN, cjk_terms, spliced
from .languages import (
    ACCENT_FOLDING,
    ELISIONS,
    fold_accents,
    language_code,
    snowball_name,
    stopwords,
)
from .models import Segment

# A unit longer than this many words reads as a wall of text in a digest; split it at segments.
MAX_UNIT_WORDS = 45
# A "word" longer than this is a URL, a hash or an attack, not something a question repeats;
# German compounds ("Donaudampfschifffahrtsgesellschaft", 34) fit with room to spare.
MAX_WORD_CHARS = 64

# Before NFKC, which would turn an acute accent used as an apostrophe into a combining mark.
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u00b4\u0060\uff07]")
# Invisible format characters: zero-width (non-)joiners, direction marks, soft hyphen, BOM, tags.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]")
# Generic diacritics still loose after NFKC composed what it could: stacked "zalgo" marks, the dot
# "İ".casefold() leaves. Script-specific marks (Devanagari vowel signs, Arabic harakat) stay.
_LOOSE_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")

# Sentence ends. A Western full stop needs a space after it and a sentence start after that
# (checked in _split_sentences: "e.g. the" and "3.5" are not ends, "… Über" and "? ¿Por" are);
# CJK full stops need neither, and a closing bracket stays with the sentence it closes.
_SENTENCE_END = re.compile(
    "(?P<cjk>[\u3002\uff01\uff1f\uff0e\uff61]+[\u300d\u300f\uff09\u3011\u3015\u3009\u300b\"'\u201d\u2019)\\]]*\\s*)"
    "|[.!?\u2026\u061f\u0964]+[\"'\u201d\u2019\u00bb)\\]]*\\s+"
)
_OPENERS = "\"'\u201c\u2018\u00ab\u201e\u00bf\u00a1([\u300c\u300e\uff08"
# A Japanese quotation goes on after its full stop: 「はい。」と答えた.
_QUOTE_GOES_ON = ("\u3068", "\u3063\u3066")

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


def stem(word: str) -> str:
    """The English stem of a lower-cased word (Snowball English): 'bees'/'bee', 'lived'/'lives',
    'carried'/'carry', and 'glass' or 'virus' left alone.

    Snowball replaced a light suffix-stripper of our own: on the English question sets
    (tests/fixtures/questions, sentence and re-chunked transcripts) it answered 71 of 178 questions
    right instead of 67, and refused the same 92 of 100 off-topic ones."""
    return _stemmer("english").stemWord(word)


def tokens(text: str, language: str | None = None) -> list[str]:
    """Content words of `text`, normalised and stemmed the way `language` needs, stopwords removed.

    `language`: the transcript's language tag ("en", "fr-FR", "ja"…), None when unknown. Ask with
    the same language for a question and the passages it is matched against. Chinese, Japanese
    and Korean are cut into character n-grams whatever the language says (they are known by
    their script); other words are Unicode words, Snowball-stemmed where Snowball has the
    language, English-stemmed with English stop words for "en" and for an unknown language.
    """
    return list(_tokens(text, language_code(language)))


@lru_cache(maxsize=16384)
def _tokens(text: str, code: str | None) -> tuple[str, ...]:
    # The writer asks for the same sentence's words dozens of times (sections, keywords, Q&A).
    english = code in (None, "en")
    stops = STOPWORDS if english else stopwords(code or "")
    elisions = _ALL_ELISIONS if code is None else ELISIONS.get(code, frozenset())
    snowball = _stemmer(name) if (name := snowball_name(code)) else None
    folds = code in ACCENT_FOLDING
    out: list[str] = []
    normal = _normalised(text)
    # Plain ASCII (most English) needs neither the Unicode pattern nor the CJK check: 3x faster.
    words = _ASCII_WORD.findall(normal) if normal.isascii() else _word_pattern().findall(normal)
    for word in words:
        if not word.isascii() and CJK_RUN.match(word):
            out += cjk_terms(word, code, stops)
            continue
        if elisions and "'" in word and (cut := word.split("'", 1))[0] in elisions:
            word = cut[1]  # "l'abeille" is "abeille"
        if len(word) < 2 or len(word) > MAX_WORD_CHARS or (fold_accents(word) if folds else word) in stops:
            continue
        if english:
            out.append(stem(word))
        else:
            stemmed = snowball.stemWord(word) if snowball else word
            out.append(fold_accents(stemmed) if folds else stemmed)
    return tuple(out)


_ALL_ELISIONS = frozenset().union(*ELISIONS.values())
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def _normalised(text: str) -> str:
    """One spelling per word: compatibility forms folded (NFKC: full-width, ligatures), case
    folded ("Straße" = "strasse"), invisible characters dropped, apostrophes made one character."""
    if text.isascii():
        return text.lower().replace("_", " ").replace("`", "'")
    text = unicodedata.normalize("NFKC", _APOSTROPHES.sub("'", text)).casefold()
    text = _LOOSE_MARKS.sub("", _INVISIBLE.sub("", text)).replace("_", " ")
    # CJK runs stand apart from the Latin letters and digits around them ("Pythonの本", "3月").
    return CJK_RUN.sub(r" \g<0> ", text) if CJK_RUN.search(text) else text


@cache
def _word_pattern() -> re.Pattern[str]:
    """A CJK run, or a word: letters and digits with the combining marks that belong to them
    (Devanagari, Thai, Arabic vowel signs), joined by inner apostrophes ("aujourd'hui")."""
    # Built on first use: scanning the Basic Multilingual Plane for marks takes ~50 ms.
    marks = "".join(
        f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in _ranges(cp for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("M"))
    )
    letter = f"\\w[\\w{marks}]*"
    return re.compile(f"{CJK_RUN.pattern}|{letter}(?:'{letter})*")


def _ranges(points: Iterator[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in points:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


# PyStemmer's stemmers are not thread-safe, and digests are written on worker threads.
_PER_THREAD = threading.local()


def _stemmer(name: str) -> Stemmer.Stemmer:
    local = _PER_THREAD.__dict__
    if name not in local:
        local[name] = Stemmer.Stemmer(name)
    return local[name]


def word_count(text: str) -> int:
    """Words as reading time and sentence length count them: Chinese and Japanese are written
    without spaces, so there two characters count as a word (about 460 characters a minute at
    230 words, which is how fast people read Japanese)."""
    if text.isascii():
        return len(text.split())
    cjk = sum(len(run) for run in SPACELESS_RUN.findall(text))
    if not cjk:
        return len(text.split())
    rest = [w for w in SPACELESS_RUN.sub(" ", text).split() if any(c.isalnum() for c in w)]
    return len(rest) + (cjk + 1) // 2


def units(segments: list[Segment]) -> list[Unit]:
    """Sentences anchored to segments, or segment windows where the text has no punctuation."""
    if not segments:
        return []
    # The segments' text as one, with where each begins in it (a Japanese sentence cut across two
    # captions is not given a space in the middle: cjk.spliced).
    parts = [seg.text.strip() for seg in segments]
    joined, offsets = spliced(parts)

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
    pieces, begin = [], 0
    for end in _SENTENCE_END.finditer(text):
        cut = end.end()
        if cut >= len(text):
            break
        if end.lastgroup == "cjk":
            if text.startswith(_QUOTE_GOES_ON, cut):
                continue
        elif not _starts_sentence(text, cut):
            continue
        pieces.append(text[begin:cut].strip())
        begin = cut
    pieces.append(text[begin:].strip())
    return [p for p in pieces if p]


def _starts_sentence(text: str, at: int) -> bool:
    """Whether a sentence can begin at `at`: a capital (É, Ä, Ñ too), a digit, or a letter of a
    script without case (CJK, Arabic, Devanagari), after at most a few opening quotes or ¿ ¡."""
    first = text[at : at + 4].lstrip(_OPENERS)[:1]
    return first.isdigit() or (first.isalpha() and not first.islower())


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
