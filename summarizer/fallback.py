"""A writer that falls back to another when the first cannot write (outage, quota, bad key).

Only used when the user asked for it (RECAP_WRITER_FALLBACK=extractive). The result names the
writer that really wrote it, so a fallback digest never passes for a Claude one.
"""

from __future__ import annotations

import logging

from .errors import RecapError
from .models import Answer, Digest, Transcript, Turn, Video
from .writer import Writer

log = logging.getLogger(__name__)


class FallbackWriter:
    def __init__(self, primary: Writer, secondary: Writer) -> None:
        self.primary = primary
        self.secondary = secondary
        self.name = primary.name

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        try:
            return self.primary.write_digest(video, transcript)
        except RecapError as exc:
            log.warning("%s could not write the digest (%s); using %s", self.primary.name, exc, self.secondary.name)
            return self.secondary.write_digest(video, transcript)

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        try:
            return self.primary.write_answer(video, transcript, question, turns)
        except RecapError as exc:
            log.warning("%s could not answer (%s); using %s", self.primary.name, exc, self.secondary.name)
            return self.secondary.write_answer(video, transcript, question, turns)
