"""Chapters: the author's own table of contents, read warily and followed by every writer.

yt-dlp reports chapters for YouTube and others (and, for a page of its own, the clips of a JSON-LD
VideoObject's `hasPart`). Nothing a site sends is trusted: `read_chapters` keeps only numbers that
are times inside the video, orders them, ends each where the next begins, makes titles plain text
of readable length, and gives up on a list too long to be a table of contents.

`follow_chapters` runs after whichever writer drafted the digest: each chapter becomes a section
titled as the author titled it, summarised by the writer's sections that lie inside it, or else by
the chapter's own best sentences, with a quote and questions from inside it.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata

from .cjk import joined
from .extractive import SectionMaker
from .models import Chapter, Digest, Section, Transcript, Video
from .text import Unit, units

log = logging.getLogger(__name__)

# More chapters than this is not a table of contents a digest can follow (nor a reader).
MAX_CHAPTERS = 30
# A list this long is not read at all: hostile, or a site listing every caption cue.
MAX_LISTED = 2000
MAX_TITLE_CHARS = 80
# Parts shorter than this are markers (an intro sting), not chapters.
MIN_CHAPTER_S = 1.0
# A writer's section "lies inside" a chapter when it does, give or take this (stamps are rounded).
SLACK_S = 1.5

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def read_chapters(raw: object, duration_s: float = 0.0) -> list[Chapter]:
    """The chapters in yt-dlp's `chapters` list that make sense, or [] when they do not."""
    if not isinstance(raw, list) or len(raw) > MAX_LISTED:
        return []
    titles: dict[float, str] = {}  # by start: the first chapter listed at a start wins
    ends: dict[float, float] = {}
    limit = duration_s or math.inf
    for item in raw:
        if not isinstance(item, dict):
            continue
        start, end = _seconds(item.get("start_time")), _seconds(item.get("end_time"))
        if start is None:
            continue
        start = max(0.0, start)
        if start >= limit or start in titles:
            continue  # past the end of the video, or said twice
        titles[start] = clean_title(item.get("title"))
        ends[start] = min(end if end is not None and end > start else limit, limit)
    out: list[Chapter] = []
    starts = sorted(titles)
    for start, following in zip(starts, [*starts[1:], None]):
        # An overlap ends where the next chapter begins; so does an end before its own start.
        end = ends[start] if following is None else min(ends[start], following)
        if math.isinf(end):  # the last chapter of a page that gave no length: to the end of the talk
            out.append(Chapter(title=titles[start], start_s=start, end_s=start))
        elif end - start >= MIN_CHAPTER_S:
            out.append(Chapter(title=titles[start], start_s=start, end_s=end))
    if len(out) > MAX_CHAPTERS:
        log.info("ignored %d chapters: more than %d is not a table of contents to follow", len(out), MAX_CHAPTERS)
        return []
    return out if len(out) >= 2 else []  # one chapter spanning the video says nothing


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


def clean_title(value: object) -> str:
    """A chapter title as plain text: no markup, no control or invisible characters, one line,
    at most MAX_TITLE_CHARS (cut at a word, with an ellipsis)."""
    if not isinstance(value, str):
        return ""
    # Entities first: "&lt;b&gt;" is markup too, once a renderer has unescaped it.
    text = _TAG.sub(" ", html.unescape(value[: 20 * MAX_TITLE_CHARS]))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > MAX_TITLE_CHARS:
        cut = text[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or text[:MAX_TITLE_CHARS]
        text = cut.rstrip(" ,;:-–—") + "…"
    return text


def follow_chapters(digest: Digest, video: Video, transcript: Transcript) -> Digest:
    """`digest` with one section per chapter of `video` that has speech in it; unchanged when the
    video has no chapters."""
    if not video.chapters:
        return digest
    us = units(transcript.segments)
    parts = _parts(video.chapters, us)
    if not parts:
        return digest
    maker = SectionMaker(us, transcript.language)
    # Questions the digest asks elsewhere are not asked again inside a chapter.
    maker.asker.asked.update(q.lower() for q in [digest.core_question, *(qa.question for qa in digest.qa)])
    for chapter, _ in parts:
        if chapter.title:
            maker.taken.add(chapter.title.lower())
    sections = [_section(chapter, part, digest, maker) for chapter, part in parts]
    for a, b in zip(sections, sections[1:]):
        a.end_s = max(a.start_s, min(a.end_s, b.start_s))
    return digest.model_copy(update={"sections": sections})


def _parts(chapters: list[Chapter], us: list[Unit]) -> list[tuple[Chapter, list[Unit]]]:
    """Each chapter with the sentences that start in it; speech before the first chapter belongs
    to the first, speech after the last to the last, and a chapter with no speech is left out."""
    owned: list[list[Unit]] = [[] for _ in chapters]
    for u in us:
        i = max((k for k, c in enumerate(chapters) if c.start_s <= u.start + 0.05), default=0)
        owned[i].append(u)
    return [(c, part) for c, part in zip(chapters, owned) if part]


def _section(chapter: Chapter, part: list[Unit], digest: Digest, maker: SectionMaker) -> Section:
    start, end = part[0].start, part[-1].end
    title = chapter.title or maker.heading(part)
    limit = max(chapter.end_s, end)  # an open-ended last chapter runs to the last words
    inside = [s for s in digest.sections if start - SLACK_S <= s.start_s and s.end_s <= limit + SLACK_S]
    covered = sum(s.end_s - s.start_s for s in inside)
    own = maker.section(part, title=title)
    if not inside or covered < 0.5 * (end - start):
        return own  # the writer cut the talk elsewhere: the chapter's own sentences speak for it
    quotes = [s.quote for s in inside if s.quote is not None and start - SLACK_S <= s.quote.start_s <= end]
    deeper = [q for s in inside for q in s.deeper][:3]
    return Section(
        title=title,
        start_s=start,
        end_s=end,
        summary=joined(s.summary for s in inside[:3]),
        quote=quotes[0] if quotes else own.quote,
        deeper=deeper or own.deeper,
    )
