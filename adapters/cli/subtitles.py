"""A transcript exported for people and players: `[mm:ss]` lines, SubRip, WebVTT or JSON.

Each segment with words becomes one cue, numbered from 1, its text on one line: a blank line inside
a cue would end it early and the rest would read as a cue of its own. WebVTT has escapes (`&amp;`,
`&lt;`, `&gt;`), which also keep a `-->` out of the text. SubRip has none, yet players read
`<i>`/`<font>` tags and ASS `{…}` blocks in it (ffmpeg, mpv, VLC): those get look-alike brackets.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from summarizer.models import Transcript, Video, clock

from ..markup import one_line

_SRT_TAG = re.compile(r"<(?=/?[A-Za-z])")  # what would open <i>, </b>, <font …>
_SRT_BLOCK = re.compile(r"\{(?=[^{}]*\})")  # what would open an ASS block, which libass hides


class Cue(NamedTuple):
    start: float
    end: float
    text: str


def cues(transcript: Transcript) -> list[Cue]:
    """The segments with words, each on one line, never ending before it starts."""
    found = [Cue(s.start, max(s.start, s.end), one_line(s.text)) for s in transcript.segments]
    return [c for c in found if c.text]


def stamp(seconds: float, separator: str) -> str:
    """`HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT); hours grow past 99 rather than wrap."""
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def srt(transcript: Transcript) -> str:
    blocks = []
    for n, c in enumerate(cues(transcript), 1):
        text = _SRT_BLOCK.sub("\uff5b", _SRT_TAG.sub("\u2039", c.text))  # ｛ and ‹
        blocks.append(f"{n}\n{stamp(c.start, ',')} --> {stamp(c.end, ',')}\n{text}\n")
    return "\n".join(blocks)


def vtt(transcript: Transcript) -> str:
    blocks = ["WEBVTT\n"]
    for n, c in enumerate(cues(transcript), 1):
        text = c.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{n}\n{stamp(c.start, '.')} --> {stamp(c.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def plain(transcript: Transcript) -> str:
    """How people read a transcript: `[mm:ss] text`, a line each (as `Transcript.as_stamped_lines`,
    with each cue kept to its line)."""
    return "".join(f"[{clock(c.start)}] {c.text}\n" for c in cues(transcript))


def as_json(video: Video, transcript: Transcript) -> str:
    video_data = video.model_dump(mode="json", exclude={"is_live"})
    data = {"video": video_data, "transcript": transcript.model_dump(mode="json")}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export(video: Video, transcript: Transcript, fmt: str) -> str:
    if fmt == "json":
        return as_json(video, transcript)
    return {"srt": srt, "vtt": vtt, "txt": plain}[fmt](transcript)
