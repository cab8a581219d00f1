"""ModelWriter: what every model-backed writer (Claude, a self-hosted OpenAI-compatible model) does
the same way; each subclass only says how one request travels to its API (`_ask`).

- Structured output: every request asks for one named `Result` (prompts); nothing is parsed out of
  prose, and what comes back is read defensively (stamps) and its data escapes undone.
- Long videos: a transcript over the token budget is cut into timed chunks, each chunk is noted
  concurrently (bounded), and the notes are merged into one digest. Past the cap on transcript
  tokens a digest may cost, only the first part is sent, and the digest says so
  (`transcript.covered_s` and its hook); nothing is cut silently.
- Hostile input: titles, transcripts and questions travel escaped inside data tags (see prompts);
  a result that lost what a digest needs is repaired or refused as a writer error.
- Follow-ups: the transcript is the first, cacheable part of every answer request, at the same
  place each time, so a server's prompt cache can serve every question after the first.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import budget, extractive
from . import prompts as p
from .errors import RecapError, WriterFailed
from .models import Answer, Citation, Digest, Segment, Transcript, TranscriptInfo, Turn, Usage, Video, clock
from .retrieval import PassageIndex
from .stamps import Stamps, dicts, plain, texts
from .text import units

log = logging.getLogger(__name__)

MAX_HIGHLIGHTS = 8  # the digest contract's limit, whatever a model returns


class WriterUnavailable(RecapError):
    """The model could not be reached or kept refusing: worth trying again later."""


@dataclass(frozen=True)
class Ask:
    """One request: untrusted `data` (escaped, tagged) and recap's own `instruction`, which ends in
    what to do ("Write the digest"); the writer adds how its API returns `result`."""

    system: str
    result: p.Result
    data: str
    cache: bool  # the transcript every follow-up repeats: worth a prompt-cache entry
    instruction: str


class ModelWriter:
    def __init__(
        self,
        name: str,
        budget_tokens: int = 50_000,
        concurrency: int = 4,
        language: str | None = None,
        max_transcript_tokens: int = 400_000,
    ) -> None:
        self.name = name
        self.budget_tokens = budget_tokens
        self.concurrency = concurrency
        self.language = language
        # The most transcript tokens one digest sends, over all its chunks: what one link may cost.
        self.max_transcript_tokens = max_transcript_tokens

    @property
    def who(self) -> str:
        """The writer as its error messages name it."""
        return f"{self.name} writer"

    def _ask(self, ask: Ask) -> tuple[dict[str, Any], Usage]:
        """The structured result of one request, as the model returned it (still escaped)."""
        raise NotImplementedError

    def _result(self, ask: Ask) -> tuple[dict[str, Any], Usage]:
        result, usage = self._ask(ask)
        return _unescaped(result), usage

    # -- digests -------------------------------------------------------------------------------

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        sent = budget.capped(transcript, self.max_transcript_tokens)
        rules = p.language_rule(self.language, transcript.language)
        if len(sent.segments) < len(transcript.segments):
            log.warning(
                "transcript of %s is over %d tokens: the digest covers its first %s",
                video.key,
                self.max_transcript_tokens,
                clock(sent.end),
            )
            rules = f"{p.partial_rule(sent.end, max(video.duration_s, transcript.end))} {rules}"
        chunks = budget.chunks(sent, self.budget_tokens)
        if len(chunks) == 1:
            result, usage = self._result(
                Ask(p.DIGEST_SYSTEM, p.DIGEST, p.transcript_data(video, sent), True, f"{rules} Write the digest")
            )
        else:
            result, usage = self._map_reduce(video, sent, chunks, rules)
        return self._digest(video, sent, result, usage)

    def _map_reduce(
        self, video: Video, transcript: Transcript, chunks: list[Transcript], rules: str
    ) -> tuple[dict[str, Any], Usage]:
        language = p.language_rule(self.language, transcript.language)

        def note(i: int, chunk: Transcript) -> tuple[dict[str, Any], Usage]:
            instruction = f"This is part {i + 1} of {len(chunks)}. {language} Take notes"
            return self._result(Ask(p.NOTES_SYSTEM, p.NOTES, p.transcript_data(video, chunk), False, instruction))

        log.info("transcript of %s is over the budget: %d chunks", video.key, len(chunks))
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            notes = list(pool.map(lambda pair: note(*pair), enumerate(chunks)))
        usage = sum((u for _, u in notes), Usage())
        merged = "\n".join(
            p.notes_data(i + 1, c.segments[0].start, c.end, n) for i, ((n, _), c) in enumerate(zip(notes, chunks))
        )
        result, merge_usage = self._result(
            Ask(
                p.MERGE_SYSTEM,
                p.DIGEST,
                p.video_data(video) + merged,
                False,
                f"{rules} Write the digest of the whole video",
            )
        )
        return result, usage + merge_usage

    def _digest(self, video: Video, transcript: Transcript, result: dict[str, Any], usage: Usage) -> Digest:
        """The digest a result describes, without what the transcript cannot support.

        Highlights are only pointers into the video: when none of the writer's lands on a real
        line, the extractive ranking's stand in. A result without a hook, a core question, a
        grounded section or a takeaway is not a digest, and that is the writer's failure.
        """
        stamps = Stamps(transcript)
        highlights = [m for m in map(stamps.moment, dicts(result, "highlights")) if m][:MAX_HIGHLIGHTS]
        sections = [s for s in map(stamps.section, dicts(result, "sections")) if s]
        takeaways = texts(result, "takeaways")
        hook, core_question = plain(result.get("hook")), plain(result.get("core_question"))
        missing = [
            name
            for name, value in (
                ("a hook", hook),
                ("a core question", core_question),
                ("a section on real lines", sections),
                ("takeaways", takeaways),
            )
            if not value
        ]
        if missing:
            raise WriterFailed(
                f"The {self.who} returned a digest without {', '.join(missing)}; nothing was stored. Try again."
            )
        if not highlights:
            log.warning(
                "no highlight of %s's digest of %s is on a real line; using the extractive ones", self.name, video.key
            )
            highlights = extractive.highlights(transcript)[:MAX_HIGHLIGHTS]
        return Digest(
            video=video,
            transcript=TranscriptInfo(
                source=transcript.source, segments=len(transcript.segments), covered_s=transcript.end
            ),
            writer=self.name,
            hook=hook,
            core_question=core_question,
            highlights=highlights,
            sections=sections,
            takeaways=takeaways,
            qa=[q for q in map(stamps.qa, dicts(result, "qa")) if q],
            reading_minutes=0,
            watch_minutes=0,
            saved_minutes=0,
            usage=usage,
        )

    # -- answers -------------------------------------------------------------------------------

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        hits = PassageIndex(units(transcript.segments), transcript.language).search(question, k=6)
        passages = [
            Segment(start=h.unit.start, end=h.unit.end, text=h.unit.text)
            for h in sorted(hits, key=lambda h: h.unit.index)
        ]
        whole = budget.tokens(transcript) <= self.budget_tokens
        data = p.transcript_data(video, transcript) if whole else p.video_data(video)
        instruction = p.question_data(question, turns, passages) + "\nAnswer"
        result, usage = self._result(Ask(p.ANSWER_SYSTEM, p.ANSWER, data, whole, instruction))
        stamps = Stamps(transcript)
        citations = []
        for c in dicts(result, "citations"):
            start = stamps.seconds(c.get("start"))
            if plain(c.get("quote")):
                citations.append(Citation(start_s=start or 0.0, end_s=start or 0.0, text=plain(c.get("quote"))))
        answer = plain(result.get("answer"))
        if not answer:
            raise WriterFailed(f"The {self.who} returned an empty answer; try asking again.")
        return Answer(
            question=question, answer=answer, grounded=result.get("grounded") is True, citations=citations, usage=usage
        )


def _unescaped(value: Any) -> Any:
    """A result with the data's XML escapes undone: quotations are copied out of escaped data."""
    if isinstance(value, str):
        return p.unescape(value)
    if isinstance(value, list):
        return [_unescaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescaped(v) for k, v in value.items()}
    return value
