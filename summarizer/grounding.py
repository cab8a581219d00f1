"""Grounding: what a writer produced is checked against the transcript before anyone sees it.

Every timestamp is snapped to the start of the real segment it falls in, or dropped; every
quotation must occur in the transcript (compared without case or punctuation) and takes the
timestamp of the segment where it occurs. Writers may be wrong; the digest may not be.

What a writer wrote may carry links only the transcript or the video itself gave (foreign_links):
a transcript can talk a model into writing a phishing link, and recap would lend it its name.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from . import extractive
from .errors import WriterFailed
from .foreign_links import LinkPolicy
from .links import deep_link
from .models import QA, Answer, Digest, Moment, Section, Transcript
from .sanitize import defang_model
from .text import word_count

# Reading speed for the "reading time" figure: a typical adult reads 200-250 words a minute.
WORDS_PER_MINUTE = 230
# A timestamp this close after a segment's end still belongs to it (speech gaps, rounding).
SLACK_S = 1.5

_NON_WORD = re.compile(r"[\W_]+")


# What writers did not write: the video's facts, the transcript's own words, the links recap makes.
_DIGEST_FACTS = frozenset({"video", "transcript", "writer", "url"})
_ANSWER_FACTS = frozenset({"question", "citations", "url"})


class UngroundedOutput(WriterFailed):
    """The writer produced nothing that the transcript supports."""


class TranscriptText:
    """The transcript as one normalised string, with the segment behind every character."""

    def __init__(self, transcript: Transcript) -> None:
        self.segments = transcript.segments
        self._starts = [s.start for s in self.segments]
        chars, owners = [], []
        for i, seg in enumerate(self.segments):
            norm = _normalise(seg.text)
            if norm:
                chars.append(norm + " ")
                owners.extend([i] * (len(norm) + 1))
        self.text = "".join(chars)
        self._owner = owners

    def snap(self, t: float | None) -> float | None:
        """The start of the segment that `t` falls in, or None when no segment holds it."""
        if t is None or not self.segments:
            return None
        i = bisect.bisect_right(self._starts, t + 0.05) - 1
        if i >= 0 and abs(self._starts[i] - t) <= 0.05:
            return self._starts[i]
        # Writers see whole-second stamps ([0:15] for 15.445): a segment starting within the second
        # named is the one meant, not the one still running at its top.
        if i + 1 < len(self._starts) and self._starts[i + 1] < int(t) + 1:
            return self._starts[i + 1]
        if i < 0:
            return self.segments[0].start if t >= self.segments[0].start - SLACK_S else None
        return self.segments[i].start if t <= self.segments[i].end + SLACK_S else None

    def locate(self, quote: str, near: float | None = None) -> tuple[float, float] | None:
        """(start of first segment, end of last segment) of `quote`, nearest to `near` if repeated."""
        needle = _normalise(quote)
        if not needle:
            return None
        found = [m.start() for m in re.finditer(rf"(?<!\w){re.escape(needle)}(?!\w)", self.text)]
        if not found:
            return None
        at = min(found, key=lambda p: abs(self.segments[self._owner[p]].start - near)) if near is not None else found[0]
        first, last = self._owner[at], self._owner[at + len(needle) - 1]
        return self.segments[first].start, self.segments[last].end


def _normalise(text: str) -> str:
    """Case, punctuation and Unicode forms aside, in any script."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def ground_digest(digest: Digest, transcript: Transcript) -> Digest:
    tt = TranscriptText(transcript)
    highlights = [m for m in (_moment(tt, h) for h in digest.highlights) if m]
    sections = [s for s in (_section(tt, s, transcript.end) for s in digest.sections) if s]
    if not sections:
        raise UngroundedOutput(
            f"The {digest.writer} writer's digest did not match the transcript; nothing was stored. Try again."
        )
    if not highlights:
        # Highlights only point into the video: the extractive ranking's point as truly, and the
        # rest of what the writer got right is worth keeping.
        highlights = extractive.highlights(transcript)[:8]
    grounded = digest.model_copy(
        update={
            "highlights": highlights,
            "sections": sorted(sections, key=lambda s: s.start_s),
            "qa": [_qa(tt, q) for q in digest.qa],
        }
    )
    return LinkPolicy(transcript.text, digest.video.url).scrub_model(grounded, _DIGEST_FACTS)


def _moment(tt: TranscriptText, m: Moment | None, quoted: bool = False) -> Moment | None:
    if m is None:
        return None
    if quoted:
        where = tt.locate(m.text, near=m.start_s)
        return m.model_copy(update={"start_s": where[0]}) if where else None
    start = tt.snap(m.start_s)
    return m.model_copy(update={"start_s": start}) if start is not None else None


def _section(tt: TranscriptText, s: Section, end: float) -> Section | None:
    start = tt.snap(s.start_s)
    if start is None:
        return None
    return s.model_copy(
        update={
            "start_s": start,
            "end_s": min(max(s.end_s, start), end),
            "quote": _moment(tt, s.quote, quoted=True),
            "deeper": [_qa(tt, q) for q in s.deeper],
        }
    )


def _qa(tt: TranscriptText, q: QA) -> QA:
    # A Q&A pair is commentary; an unplaceable timestamp loses its link, not the pair.
    return q.model_copy(update={"start_s": tt.snap(q.start_s)})


def ground_answer(answer: Answer, transcript: Transcript, video_url: str = "") -> Answer:
    """Keep the citations whose words occur in the transcript, with their true times, and only the
    links the transcript or the video (at `video_url`) gave."""
    tt = TranscriptText(transcript)
    cited = []
    for c in answer.citations:
        where = tt.locate(c.text, near=c.start_s)
        if where:
            cited.append(c.model_copy(update={"start_s": where[0], "end_s": where[1]}))
    if answer.grounded and not cited:
        return Answer(
            question=answer.question,
            grounded=False,
            citations=[],
            answer="I could not find the passage of the video that would support an answer, so I won't guess.",
        )
    return LinkPolicy(transcript.text, video_url).scrub_model(
        answer.model_copy(update={"citations": cited}), _ANSWER_FACTS
    )


def finish_digest(digest: Digest, url: str) -> Digest:
    """Deep links for every moment, the reading / watching / saved minutes, no mention that pings."""

    def link(m: Moment | None) -> Moment | None:
        return m.model_copy(update={"url": deep_link(url, m.start_s) or None}) if m else None

    sections = [s.model_copy(update={"quote": link(s.quote)}) for s in digest.sections]
    d = digest.model_copy(update={"highlights": [link(h) for h in digest.highlights], "sections": sections})
    reading = round(word_count(digest_text(d)) / WORDS_PER_MINUTE, 1)
    watch = round((d.video.duration_s or d.transcript.covered_s) / 60, 1)
    return defang_model(
        d.model_copy(
            update={
                "reading_minutes": reading,
                "watch_minutes": watch,
                "saved_minutes": max(0.0, round(watch - reading, 1)),
            }
        )
    )


def finish_answer(answer: Answer, url: str) -> Answer:
    return defang_model(
        answer.model_copy(
            update={
                "citations": [c.model_copy(update={"url": deep_link(url, c.start_s) or None}) for c in answer.citations]
            }
        )
    )


def digest_text(d: Digest) -> str:
    """Everything a reader reads in a digest, for the reading-time estimate."""
    parts = [d.hook, d.core_question, *(h.text for h in d.highlights), *d.takeaways]
    for s in d.sections:
        parts += [s.title, s.summary, s.quote.text if s.quote else ""]
        parts += [x for q in s.deeper for x in (q.question, q.answer)]
    parts += [x for q in d.qa for x in (q.question, q.answer)]
    return " ".join(parts)
