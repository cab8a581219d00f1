"""Caption tracks (WebVTT, SRT, YouTube json3) as clean, ordered transcript segments.

Everything downstream cites `Segment.start`, so the parser's job is to say each spoken phrase
once, at the moment it first appeared, with no styling, no sound markers and no overlaps.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import TypeGuard

from .cjk import joined, script_language
from .languages import language_code
from .models import Segment

# A cue as it stands in the file: start, end, raw text lines.
_Cue = tuple[float, float, list[str]]

_SUPPORTED = ("vtt", "srt", "json3")

# More cues than this is not a caption track but an attack on our memory: four hours of rolling
# auto-captions are about 15,000.
MAX_CUES = 50_000
# Durations are rounded to whole seconds, so a last cue may start a little past the declared end.
_END_SLACK_S = 1.0

# yt-dlp's subtitle `ext` -> our parser. srv1/2/3 and ttml are XML dialects we do not parse:
# yt-dlp can always be asked for vtt or json3 instead, so they are deliberately absent.
_FORMAT_BY_EXT = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "json3": "json3"}

_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_TIMESTAMP = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2})[.,](\d{1,3})$")
_TAG = re.compile(r"<[^>]*>")  # <c>, <i>, <v Speaker>, <00:00:01.520> karaoke marks
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8} positioning that leaks into some SRTs
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_SPACE = re.compile(r"\s+")
_MUSIC_SIGNS = re.compile("[\u266a\u266b\u266c\U0001f3b5\U0001f3b6]")
_SPEAKER_CHANGE = re.compile(r"(?:^|\s)>>+(?=\s|$)")  # how auto-captions mark a new speaker
_SOUND_WORDS = (
    r"music|applause|laughter|laughing|laughs|cheering|cheers|clapping|inaudible|silence|"
    r"noise|sighs?|coughs?|whistling|foreign|crosstalk|static|beeping"
)
# "[Music]", "(upbeat music)", "[audience laughing]": at most one describing word before.
_SOUND_TAG = re.compile(rf"[\[(]\s*(?:[\w-]+\s+)?(?:{_SOUND_WORDS})\s*[\])]", re.IGNORECASE)
# Non-speech in any language: YouTube writes "[Música]", "[موسيقى]" as a whole line.
_BRACKETED_ONLY = re.compile(r"^\[[^\]]*\]$")


def caption_format(ext: str) -> str | None:
    """The parser format for a yt-dlp subtitle `ext`, or None when we cannot parse it."""
    return _FORMAT_BY_EXT.get(ext.strip().lower().lstrip("."))


# A BCP 47 tag as sites write them: "fr", "de-DE", "pt_BR", "zh-Hans", YouTube's "fr-orig".
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
# WebVTT's header block (before the first cue) may say "Language: fr", as YouTube's tracks do.
_VTT_LANGUAGE = re.compile(r"^Language:[ \t]*(\S{1,35})[ \t]*$", re.MULTILINE)


def declared_language(data: str) -> str | None:
    """The language a WebVTT track's header declares ("Language: fr"), or None."""
    header = data.lstrip("\ufeff")[:2048].split("\n\n", 1)[0].replace("\r", "")
    if not header.startswith("WEBVTT"):
        return None
    match = _VTT_LANGUAGE.search(header)
    return match.group(1) if match else None


def caption_language(key: str | None, declared: str | None, segments: list[Segment]) -> str | None:
    """The language of a caption track, as a tag ("fr", "de-DE"), or None when nothing tells.

    `key`: how yt-dlp names the track: the page's `srclang` or YouTube's code, but a page's label
    ("English", "Español") when the `<track>` has no `srclang`. `declared`: the track's own header.
    Failing both, kana or hangul in the text say Japanese or Korean (a CJK transcript must be
    cut into n-grams with the right stop words, never read as English).
    """
    for claim in (key, declared):
        tag = (claim or "").strip().removesuffix("-orig")
        if _LANGUAGE_TAG.fullmatch(tag) and language_code(tag):
            return tag.replace("_", "-")
        if code := language_code(tag):  # "English", "fra"
            return code
    return script_language(" ".join(seg.text for seg in segments[:50]))


class TooManyCues(ValueError):
    pass


def parse_captions(
    data: str, fmt: str | None, duration_s: float | None = None, max_cues: int = MAX_CUES
) -> list[Segment]:
    """Segments of a caption track in `fmt` ("vtt", "srt" or "json3"); [] for an empty track.

    `duration_s`: the media's length; cues that start after it are dropped and the rest end by it.
    A track of more than `max_cues` cues raises TooManyCues.
    """
    kind = (fmt or "").strip().lower()  # a None from caption_format() is refused, not a crash
    if kind not in _SUPPORTED:
        raise ValueError(f"unsupported caption format {fmt!r}; expected one of {_SUPPORTED}")
    data = data.lstrip("\ufeff")
    if not data.strip():
        return []
    raw = _json3_segments(data, max_cues) if kind == "json3" else _spoken_lines(_cues(data, max_cues))
    segments = _tidy(raw)
    if duration_s:
        end = duration_s + _END_SLACK_S
        segments = [seg.model_copy(update={"end": min(seg.end, end)}) for seg in segments if seg.start < end]
    return segments


def _too_many(max_cues: int) -> TooManyCues:
    return TooManyCues(f"more than {max_cues} cues")


# --- WebVTT and SRT --------------------------------------------------------------------------


def _seconds(stamp: str) -> float | None:
    match = _TIMESTAMP.match(stamp)
    if match is None:
        return None
    hours, minutes, secs, fraction = match.groups()
    # "1,5" in a sloppy SRT means 1.5 s, not 1.005 s: the digits are a decimal fraction.
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + float(f"0.{fraction}")


def _timing(line: str) -> tuple[float, float] | None:
    match = _TIMING.match(line)
    if match is None:
        return None
    start, end = _seconds(match.group(1)), _seconds(match.group(2))
    if start is None or end is None:
        return None
    return start, end


def _cues(data: str, max_cues: int) -> list[_Cue]:
    """Every timed cue; headers, NOTE/STYLE/REGION blocks and cue ids never follow a timing
    line, so skipping whatever is not part of a timed block handles both formats at once."""
    # Not str.splitlines(): it would also split on U+2028 and friends inside caption text.
    lines = re.split(r"\r\n|\r|\n", data)
    cues: list[_Cue] = []
    i = 0
    while i < len(lines):
        times = _timing(lines[i])
        i += 1
        if times is None:
            continue
        text: list[str] = []
        # Only a truly empty line ends a cue: YouTube's rolling cues start with a " " line.
        while i < len(lines) and lines[i] != "" and _timing(lines[i]) is None:
            text.append(lines[i])
            i += 1
        # An SRT with no blank line between cues sweeps the next counter into this text.
        if i < len(lines) and _timing(lines[i]) and text and text[-1].strip().isdigit():
            text.pop()
        cues.append((times[0], times[1], text))
        if len(cues) > max_cues:
            raise _too_many(max_cues)
    return cues


def _clean_cue_line(line: str) -> str:
    # Tags go before entities are decoded, so an escaped "&lt;b&gt;" stays visible text.
    without_tags = _ASS_OVERRIDE.sub("", _TAG.sub("", line))
    return _squash(html.unescape(without_tags))


def _overlap(shown: list[str], lines: list[str]) -> int:
    """How many leading `lines` merely repeat the tail of what was already on screen."""
    for k in range(min(len(shown), len(lines)), 0, -1):
        if shown[-k:] == lines[:k]:
            return k
    return 0


def _spoken_lines(cues: Iterable[_Cue]) -> list[Segment]:
    """One segment per cue holding only the lines it added to the screen.

    YouTube's automatic captions roll: each cue repeats the previous line above a new one, and
    10 ms "transition" cues repeat the last line alone. Keeping only what a cue adds says each
    phrase once, stamped with the cue that first showed it. Ordinary captions add all their
    lines, so they pass through unchanged (multi-line cues joined with spaces, in Chinese and
    Japanese without).
    """
    segments: list[Segment] = []
    shown: list[str] = []
    for start, end, raw in cues:
        lines = [line for line in map(_clean_cue_line, raw) if line]
        fresh = lines[_overlap(shown, lines) :]
        if fresh:
            segments.append(Segment(start=start, end=end, text=joined(fresh)))
        elif segments and joined(lines) == segments[-1].text:
            # The last phrase is simply still on screen: it lasts longer, it is not said again.
            segments[-1] = segments[-1].model_copy(update={"end": max(segments[-1].end, end)})
        shown = lines
    return segments


# --- YouTube json3 ---------------------------------------------------------------------------


def _json3_segments(data: str, max_cues: int) -> list[Segment]:
    document = json.loads(data)
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise ValueError("json3 captions without an 'events' list")
    if len(events) > max_cues:
        raise _too_many(max_cues)
    segments: list[Segment] = []
    for event in events:
        event = event if isinstance(event, dict) else {}  # a hostile track is skipped, not a crash
        segs, start_ms, length_ms = event.get("segs"), event.get("tStartMs"), event.get("dDurationMs", 0)
        # Window definitions carry no segs; the "\n" append events only break lines on screen.
        if not segs or not isinstance(segs, list) or not _is_ms(start_ms):
            continue
        text = "".join(str(seg.get("utf8", "")) for seg in segs if isinstance(seg, dict))
        if not text.strip():
            continue
        end_ms = start_ms + (length_ms if _is_ms(length_ms) else 0)
        segments.append(Segment(start=start_ms / 1000, end=end_ms / 1000, text=text))
    return segments


def _is_ms(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e12


# --- shared clean-up -------------------------------------------------------------------------


def _squash(text: str) -> str:
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def _without_markers(text: str) -> str:
    """Spoken words only: music notes, "[Applause]"-style tags and ">>" voice marks removed."""
    text = _squash(_SOUND_TAG.sub(" ", _MUSIC_SIGNS.sub(" ", text)))
    text = _squash(_SPEAKER_CHANGE.sub(" ", text))
    if _BRACKETED_ONLY.match(text) or not any(ch.isalnum() for ch in text):
        return ""
    return text


def _tidy(raw: Iterable[Segment]) -> list[Segment]:
    """Sorted, non-overlapping segments with real words, each text said once in a row."""
    spoken = [seg.model_copy(update={"text": text}) for seg in raw if (text := _without_markers(seg.text))]
    merged: list[Segment] = []
    for seg in sorted(spoken, key=lambda s: s.start):  # stable: file order breaks ties
        last = merged[-1] if merged else None
        if last is not None and (last.text == seg.text or last.start == seg.start):
            # Same words again, or two cues shown at once: one segment, not two citations.
            text = last.text if last.text == seg.text else f"{last.text} {seg.text}"
            merged[-1] = last.model_copy(update={"text": text, "end": max(last.end, seg.end)})
        else:
            merged.append(seg)
    return [_clipped(seg, merged[i + 1].start if i + 1 < len(merged) else None) for i, seg in enumerate(merged)]


def _clipped(seg: Segment, next_start: float | None) -> Segment:
    end = seg.end if next_start is None else min(seg.end, next_start)
    return seg.model_copy(update={"end": max(end, seg.start)})
