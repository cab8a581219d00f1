"""The spoken fixture talks as transcripts, built without the bot: for tests of the summarizer core.

`tests/fixtures/talks.json` holds each talk's sentences with exact timings and the topic each
belongs to; these helpers turn them into `Transcript`s the way captions or whisper would give them.
"""

from __future__ import annotations

import json
from pathlib import Path

from summarizer.captions import parse_captions
from summarizer.models import Segment, Transcript, Video

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TALKS = {t["name"]: t for t in json.loads((FIXTURES / "talks.json").read_text())["talks"]}
# The contract lives in shared/ beside the checkout (../shared from the repository root).
SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "digest.schema.json"


def sentences(talk: str) -> list[dict]:
    return TALKS[talk]["sentences"]


def sentence_transcript(talk: str) -> Transcript:
    """One segment per spoken sentence, with the sentence's exact timing."""
    segs = [Segment(start=s["start"], end=s["end"], text=s["text"]) for s in sentences(talk)]
    return Transcript(segments=segs, source="captions", language="en")


def vtt_transcript(talk: str = "bees") -> Transcript:
    text = (FIXTURES / "media" / f"{talk}.en.vtt").read_text(encoding="utf-8")
    return Transcript(segments=parse_captions(text, "vtt"), source="captions", language="en")


def rechunked_transcript(talk: str, words_per_segment: int = 7) -> Transcript:
    """The talk cut every few words regardless of sentences, as caption lines are.

    Word times are spread evenly over each sentence, so most sentences start mid-segment.
    """
    timed: list[tuple[float, float, str]] = []
    for s in sentences(talk):
        words = s["text"].split()
        step = (s["end"] - s["start"]) / len(words)
        timed += [(s["start"] + i * step, s["start"] + (i + 1) * step, w) for i, w in enumerate(words)]
    segs = []
    for i in range(0, len(timed), words_per_segment):
        chunk = timed[i : i + words_per_segment]
        segs.append(
            Segment(start=round(chunk[0][0], 3), end=round(chunk[-1][1], 3), text=" ".join(w for _, _, w in chunk))
        )
    return Transcript(segments=segs, source="auto-captions", language="en")


def video(talk: str, url: str | None = None) -> Video:
    t = TALKS[talk]
    return Video(
        key=f"url:{talk}",
        url=url or f"https://example.com/talks/{talk}.html",
        title=t["title"],
        duration_s=t["duration"],
        language="en",
    )


def load_schema() -> dict | None:
    """shared/digest.schema.json, else the committed copy in tests/fixtures, else None."""
    for path in (SHARED_SCHEMA, FIXTURES / "digest.schema.json"):
        if path.is_file():
            return json.loads(path.read_text())
    return None
