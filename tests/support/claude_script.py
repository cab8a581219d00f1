"""A scripted Claude for the fake Messages API: answers each forced tool from the request itself,
the way a model that follows instructions would, so long-video tests and benchmarks need no queue."""

from __future__ import annotations

import re

from summarizer.models import Segment, Transcript
from tests.support.fake_anthropic import forced_tool, tool_use


def generated_talk(minutes: int) -> Transcript:
    """A sentence every five seconds (about 150 words a minute), the subject changing as it goes."""
    segments = [
        Segment(
            start=i * 5.0,
            end=i * 5.0 + 4.5,
            text=f"In part {i // 120} the speaker makes point number {i} about subject {i % 37} "
            f"and its consequence {i * 7 % 101} for the listeners.",
        )
        for i in range(minutes * 12)
    ]
    return Transcript(segments=segments, source="whisper", language="en")


def stamps_in(text: str) -> list[str]:
    return re.findall(r"^\[([\d:]+)\]", text, re.MULTILINE)


def scripted_notes(data: str) -> dict:
    """What a model following instructions notes on one chunk: one section spanning its lines."""
    lines = stamps_in(data)
    return {
        "sections": [
            {
                "title": f"Part from {lines[0]}",
                "start": f"[{lines[0]}]",
                "end": f"[{lines[-1]}]",
                "summary": f"What was said between {lines[0]} and {lines[-1]}.",
            }
        ],
        "highlights": [{"text": "a point", "start": f"[{lines[1]}]"}],
        "key_points": ["a point"],
    }


def scripted_digest(data: str) -> dict:
    """Six sections spread over the notes (a merge) or the transcript's lines (one request)."""
    starts = re.findall(r'<notes part="\d+" from="\[([\d:]+)\]"', data) or stamps_in(data)
    picked = starts[: -1 : max(1, len(starts) // 5)][:5] + starts[-1:]  # merged into six, as asked
    return {
        "hook": "A long talk.",
        "core_question": "What points?",
        "highlights": [{"text": "a moment", "start": f"[{n}]"} for n in (picked * 3)[:3]],
        "sections": [
            {"title": f"Part {i}", "start": f"[{n}]", "end": f"[{n}]", "summary": "Points."}
            for i, n in enumerate(picked)
        ],
        "takeaways": ["Many points."],
        "qa": [],
    }


def respond(body: dict, delay: float = 0.0):
    """write_notes: one section per chunk; write_digest: six sections spread over the notes or lines."""
    first = body["messages"][0]["content"][0]["text"]
    if forced_tool(body) == "write_notes":
        return tool_use("write_notes", scripted_notes(first), delay=delay)
    return tool_use("write_digest", scripted_digest(first), delay=delay)
