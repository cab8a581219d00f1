"""Stamps a model copied from the `[mm:ss] text` lines it was sent, mapped back to real segments,
and the parts of a structured result read defensively.

A model may skip a field or give it the wrong type (the API does not enforce a tool's schema), so
every part is read here with what is unusable dropped, rather than failing validation later.
"""

from __future__ import annotations

import re
from typing import Any

from .models import QA, Moment, Section, Transcript, clock

_STAMP = re.compile(r"\[?(?:(\d+):)?(\d{1,2}):(\d{2})\]?")


class Stamps:
    """Stamps a model copied from `[mm:ss] text` lines, mapped back to real segment starts."""

    def __init__(self, transcript: Transcript) -> None:
        self.by_second: dict[int, float] = {}
        for s in transcript.segments:
            self.by_second.setdefault(int(s.start), s.start)

    def seconds(self, stamp: Any) -> float | None:
        """The start of the segment whose stamp this is; None for a stamp no line carries."""
        m = _STAMP.fullmatch(str(stamp or "").strip())
        if not m:
            return None
        return self.by_second.get(int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3)))

    def moment(self, raw: dict) -> Moment | None:
        start, text = self.seconds(raw.get("start")), plain(raw.get("text"))
        return Moment(text=text, start_s=start) if start is not None and text else None

    def qa(self, raw: dict) -> QA | None:
        question, answer = plain(raw.get("question")), plain(raw.get("answer"))
        if not question or not answer:
            return None
        return QA(question=question, answer=answer, start_s=self.seconds(raw.get("start")))

    def section(self, raw: dict) -> Section | None:
        start, summary = self.seconds(raw.get("start")), plain(raw.get("summary"))
        if start is None or not summary:
            return None
        end = _loose_seconds(raw.get("end"))
        quote = plain(raw.get("quote"))
        return Section(
            title=plain(raw.get("title")) or f"From {clock(start)}",
            start_s=start,
            end_s=max(end or start, start),
            summary=summary,
            quote=Moment(text=quote, start_s=start) if quote else None,
            deeper=[q for q in map(self.qa, dicts(raw, "deeper")) if q],
        )


def _loose_seconds(stamp: Any) -> float | None:
    m = _STAMP.fullmatch(str(stamp or "").strip())
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3)) if m else None


def plain(value: Any) -> str:
    """A text field of a result, stripped; "" for anything that is not text."""
    return value.strip() if isinstance(value, str) else ""


def dicts(raw: dict, name: str) -> list[dict]:
    """The objects in a list field of a result; [] when it is missing or not a list."""
    value = raw.get(name)
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def texts(raw: dict, name: str) -> list[str]:
    """The texts in a list field of a result, stripped and without empty ones."""
    value = raw.get(name)
    return [t for t in map(plain, value) if t] if isinstance(value, list) else []
