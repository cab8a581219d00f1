"""The seam between the pipeline and whatever writes the prose: the offline extractive writer or Claude."""

from __future__ import annotations

from typing import Protocol

from .models import Answer, Digest, Transcript, Turn, Video


class Writer(Protocol):
    name: str

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        """A digest whose timestamps and quotations the pipeline will check against `transcript`."""

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        """An answer from the transcript only, citing it; `turns` are the earlier exchanges."""
