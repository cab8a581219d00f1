"""What a transcript costs in tokens as a model-backed writer sends it, and the cuts that keep a
digest within its budgets: chunks that fit one request, and the cap on what one digest may send."""

from __future__ import annotations

from . import prompts as p
from .models import Segment, Transcript

CHARS_PER_TOKEN = 4  # close enough for budgeting English transcripts; the servers count exactly


def cost(segment: Segment) -> int:
    """Tokens one transcript line costs as sent (escaped, stamped). Four characters a token holds
    for English; other scripts take more tokens a character, so every byte past a character's
    first counts as much as three ASCII characters: a cap that errs on the cheap side."""
    line = p.line(segment)
    extra = len(line.encode("utf-8")) - len(line)
    return (len(line) + 1 + 3 * extra) // CHARS_PER_TOKEN + 1


def tokens(transcript: Transcript) -> int:
    return sum(cost(s) for s in transcript.segments)


def capped(transcript: Transcript, cap: int) -> Transcript:
    """The transcript's first segments, as many as fit in `cap` tokens (at least one)."""
    size = 0
    for i, seg in enumerate(transcript.segments):
        size += cost(seg)
        if size > cap and i:
            return transcript.model_copy(update={"segments": transcript.segments[:i]})
    return transcript


def chunks(transcript: Transcript, budget: int) -> list[Transcript]:
    """Consecutive pieces of at most `budget` tokens each, cut between segments."""
    pieces: list[list[Segment]] = []
    current: list[Segment] = []
    size = 0
    for seg in transcript.segments:
        c = cost(seg)
        if current and size + c > budget:
            pieces.append(current)
            current, size = [], 0
        current.append(seg)
        size += c
    if current:
        pieces.append(current)
    return [transcript.model_copy(update={"segments": c}) for c in pieces]
