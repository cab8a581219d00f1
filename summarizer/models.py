"""The values that flow through recap: plain pydantic models, no behaviour beyond formatting.

Field names follow `shared/digest.schema.json`, so `model_dump()` of a `Digest` or an `Answer`
is the JSON the command line prints.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TranscriptSource = Literal["captions", "auto-captions", "whisper"]


def clock(seconds: float) -> str:
    """`[mm:ss]` style clock text: 75 -> '1:15', 3725 -> '1:02:05'."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Chapter(BaseModel):
    """A part of the video as its author marked it (YouTube chapters, JSON-LD clips). The last one's
    `end_s` equals its `start_s` when the page gave no length: it runs to the end of the talk."""

    title: str
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class Video(BaseModel):
    key: str
    url: str
    title: str
    channel: str | None = None
    duration_s: float = 0.0
    language: str | None = None
    is_live: bool = False
    chapters: list[Chapter] = []  # in order, not overlapping (summarizer.chapters checks them)


class Segment(BaseModel):
    start: float
    end: float
    text: str


class Transcript(BaseModel):
    segments: list[Segment]
    source: TranscriptSource
    language: str | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def end(self) -> float:
        return self.segments[-1].end if self.segments else 0.0

    def as_stamped_lines(self) -> str:
        """The transcript as `[mm:ss] text` lines: how writers and people read it."""
        return "\n".join(f"[{clock(s.start)}] {s.text}" for s in self.segments)


class Usage(BaseModel):
    """Tokens a model-backed writer spent; cache reads are the cheap part of the input."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in Usage.model_fields})


class Moment(BaseModel):
    text: str = Field(min_length=1)
    start_s: float = Field(ge=0)
    url: str | None = None


class QA(BaseModel):
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    start_s: float | None = None


class Section(BaseModel):
    title: str = Field(min_length=1)
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    summary: str = Field(min_length=1)
    quote: Moment | None = None
    deeper: list[QA] = []


class TranscriptInfo(BaseModel):
    source: TranscriptSource
    segments: int = Field(ge=1)
    covered_s: float = Field(ge=0)


class Digest(BaseModel):
    video: Video
    transcript: TranscriptInfo
    writer: str
    hook: str = Field(min_length=1)
    core_question: str = Field(min_length=1)
    highlights: list[Moment] = Field(min_length=1, max_length=8)
    sections: list[Section] = Field(min_length=1)
    takeaways: list[str] = Field(min_length=1)
    qa: list[QA] = []
    reading_minutes: float = Field(ge=0)
    watch_minutes: float = Field(ge=0)
    saved_minutes: float = Field(ge=0)
    usage: Usage | None = None  # None for writers that spend no tokens


class Citation(BaseModel):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str
    url: str | None = None


class Answer(BaseModel):
    question: str
    answer: str = Field(min_length=1)
    grounded: bool
    citations: list[Citation] = []
    usage: Usage | None = None


class Turn(BaseModel):
    """One exchange of a conversation about a video, as writers see earlier turns."""

    question: str
    answer: str
