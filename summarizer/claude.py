"""ClaudeWriter: digests and answers written by Claude through the anthropic SDK.

- Structured output: every call forces one tool, whose input is the result; nothing is parsed
  out of prose.
- Long videos: a transcript over the token budget is cut into timed chunks, each chunk is
  noted concurrently (bounded), and the notes are merged into one digest. Past the cap on
  transcript tokens a digest may cost, only the first part is sent, and the digest says so
  (`transcript.covered_s` and its hook); nothing is cut silently.
- Hostile input: titles, transcripts and questions travel escaped inside data tags (see
  claude_prompts); a result that lost what a digest needs is repaired or refused as a writer error.
- Follow-ups: the transcript is one `cache_control` block at the same place in every answer
  request, so every question after the first reads it from the prompt cache.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
from anthropic.types import TextBlockParam, ToolParam

from . import claude_prompts as p
from . import extractive
from .errors import NotConfigured, RecapError, WriterFailed
from .models import Answer, Citation, Digest, Segment, Transcript, TranscriptInfo, Turn, Usage, Video, clock
from .retrieval import PassageIndex
from .stamps import Stamps, dicts, plain, texts
from .text import units

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # close enough for budgeting English transcripts; the API counts exactly
MAX_HIGHLIGHTS = 8  # the digest contract's limit, whatever a model returns


class WriterUnavailable(RecapError):
    """Claude could not be reached or kept refusing: worth trying again later."""


class ClaudeWriter:
    def __init__(
        self,
        client: anthropic.Anthropic,
        model: str,
        max_tokens: int = 8000,
        budget_tokens: int = 50_000,
        concurrency: int = 4,
        language: str | None = None,
        max_transcript_tokens: int = 400_000,
    ) -> None:
        self.client = client
        self.name = model
        self.max_tokens = max_tokens
        self.budget_tokens = budget_tokens
        self.concurrency = concurrency
        self.language = language
        # The most transcript tokens one digest sends, over all its chunks: what one link may cost.
        self.max_transcript_tokens = max_transcript_tokens

    # -- digests -------------------------------------------------------------------------------

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        sent = _capped(transcript, self.max_transcript_tokens)
        rules = p.language_rule(self.language, transcript.language)
        if len(sent.segments) < len(transcript.segments):
            log.warning(
                "transcript of %s is over %d tokens: the digest covers its first %s",
                video.key,
                self.max_transcript_tokens,
                clock(sent.end),
            )
            rules = f"{p.partial_rule(sent.end, max(video.duration_s, transcript.end))} {rules}"
        chunks = _chunks(sent, self.budget_tokens)
        if len(chunks) == 1:
            result, usage = self._call(
                p.DIGEST_SYSTEM,
                p.DIGEST_TOOL,
                [
                    _data(p.transcript_data(video, sent), cache=True),
                    _text(f"{rules} Write the digest with the write_digest tool."),
                ],
            )
        else:
            result, usage = self._map_reduce(video, sent, chunks, rules)
        return self._digest(video, sent, result, usage)

    def _map_reduce(
        self, video: Video, transcript: Transcript, chunks: list[Transcript], rules: str
    ) -> tuple[dict, Usage]:
        def note(i: int, chunk: Transcript) -> tuple[dict, Usage]:
            return self._call(
                p.NOTES_SYSTEM,
                p.NOTES_TOOL,
                [
                    _data(p.transcript_data(video, chunk), cache=False),
                    _text(
                        f"This is part {i + 1} of {len(chunks)}. "
                        f"{p.language_rule(self.language, transcript.language)} Take notes with the write_notes tool."
                    ),
                ],
            )

        log.info("transcript of %s is over the budget: %d chunks", video.key, len(chunks))
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            notes = list(pool.map(lambda pair: note(*pair), enumerate(chunks)))
        usage = sum((u for _, u in notes), Usage())
        merged = "\n".join(
            p.notes_data(i + 1, c.segments[0].start, c.end, n) for i, ((n, _), c) in enumerate(zip(notes, chunks))
        )
        result, merge_usage = self._call(
            p.MERGE_SYSTEM,
            p.DIGEST_TOOL,
            [
                _data(p.video_data(video) + merged, cache=False),
                _text(f"{rules} Write the digest of the whole video with the write_digest tool."),
            ],
        )
        return result, usage + merge_usage

    def _digest(self, video: Video, transcript: Transcript, result: dict, usage: Usage) -> Digest:
        """The digest a tool result describes, without what the transcript cannot support.

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
                f"The {self.name} writer returned a digest without {', '.join(missing)}; nothing was stored. Try again."
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
        hits = PassageIndex(units(transcript.segments)).search(question, k=6)
        passages = [
            Segment(start=h.unit.start, end=h.unit.end, text=h.unit.text)
            for h in sorted(hits, key=lambda h: h.unit.index)
        ]
        content = [
            _data(p.transcript_data(video, transcript), cache=True)
            if _tokens(transcript) <= self.budget_tokens
            else _data(p.video_data(video), cache=False)
        ]
        content.append(_text(p.question_data(question, turns, passages) + "\nAnswer with the answer_question tool."))
        result, usage = self._call(p.ANSWER_SYSTEM, p.ANSWER_TOOL, content)
        stamps = Stamps(transcript)
        citations = []
        for c in dicts(result, "citations"):
            start = stamps.seconds(c.get("start"))
            if plain(c.get("quote")):
                citations.append(Citation(start_s=start or 0.0, end_s=start or 0.0, text=plain(c.get("quote"))))
        answer = plain(result.get("answer"))
        if not answer:
            raise WriterFailed(f"The {self.name} writer returned an empty answer; try asking again.")
        return Answer(
            question=question, answer=answer, grounded=result.get("grounded") is True, citations=citations, usage=usage
        )

    # -- the one place that talks to the API ---------------------------------------------------

    def _call(self, system: str, tool: ToolParam, content: list[TextBlockParam]) -> tuple[dict[str, Any], Usage]:
        try:
            message = self.client.messages.create(
                model=self.name,
                max_tokens=self.max_tokens,
                system=system,
                tools=[tool],
                tool_choice={"type": "tool", "name": tool["name"]},
                messages=[{"role": "user", "content": content}],
            )
        except anthropic.AuthenticationError:
            raise NotConfigured(
                "Anthropic refused the API key (ANTHROPIC_API_KEY); check it, or unset it to use the offline writer."
            ) from None
        except anthropic.PermissionDeniedError as exc:
            raise NotConfigured(f"This Anthropic key may not use {self.name}: {exc.api_message}") from None
        except anthropic.NotFoundError:
            raise NotConfigured(f"Anthropic knows no model {self.name!r} (RECAP_CLAUDE_MODEL).") from None
        except anthropic.BadRequestError as exc:
            if "credit" in str(exc.api_message).lower() or "billing" in str(exc.api_message).lower():
                raise NotConfigured(
                    "The Anthropic account is out of credit; top it up, or set "
                    "RECAP_WRITER_FALLBACK=extractive to fall back to the offline writer."
                ) from None
            raise WriterUnavailable(f"Anthropic rejected the request: {exc.api_message}") from exc
        except (anthropic.RateLimitError, anthropic.InternalServerError):
            raise WriterUnavailable(
                "Claude is overloaded or rate-limiting recap even after retries; try again in a few minutes."
            ) from None
        except anthropic.APITimeoutError:
            raise WriterUnavailable("Claude did not answer in time (RECAP_CLAUDE_TIMEOUT_S); try again.") from None
        except anthropic.APIConnectionError:
            raise WriterUnavailable("recap could not reach the Anthropic API; check the network.") from None
        if message.stop_reason == "max_tokens":
            raise WriterUnavailable(
                f"Claude's answer was cut off at {self.max_tokens} tokens; raise RECAP_CLAUDE_MAX_TOKENS."
            )
        used = next((b for b in message.content if b.type == "tool_use" and b.name == tool["name"]), None)
        if used is None:
            raise WriterUnavailable("Claude did not return the structured result recap asked for; try again.")
        u = message.usage
        usage = Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            requests=1,
            cache_read_input_tokens=u.cache_read_input_tokens or 0,
            cache_creation_input_tokens=u.cache_creation_input_tokens or 0,
        )
        return _unescaped(dict(used.input)), usage


def _unescaped(value: Any) -> Any:
    """A tool result with the data's XML escapes undone: quotations are copied out of escaped data."""
    if isinstance(value, str):
        return p.unescape(value)
    if isinstance(value, list):
        return [_unescaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescaped(v) for k, v in value.items()}
    return value


def _cost(segment: Segment) -> int:
    """Tokens one transcript line costs as sent (escaped, stamped). Four characters a token holds
    for English; other scripts take more tokens a character, so every byte past a character's
    first counts as much as three ASCII characters: a cap that errs on the cheap side."""
    line = p.line(segment)
    extra = len(line.encode("utf-8")) - len(line)
    return (len(line) + 1 + 3 * extra) // CHARS_PER_TOKEN + 1


def _tokens(transcript: Transcript) -> int:
    return sum(_cost(s) for s in transcript.segments)


def _capped(transcript: Transcript, cap: int) -> Transcript:
    """The transcript's first segments, as many as fit in `cap` tokens (at least one)."""
    size = 0
    for i, seg in enumerate(transcript.segments):
        size += _cost(seg)
        if size > cap and i:
            return transcript.model_copy(update={"segments": transcript.segments[:i]})
    return transcript


def _chunks(transcript: Transcript, budget: int) -> list[Transcript]:
    """Consecutive pieces of at most `budget` tokens each, cut between segments."""
    chunks: list[list[Segment]] = []
    current: list[Segment] = []
    size = 0
    for seg in transcript.segments:
        cost = _cost(seg)
        if current and size + cost > budget:
            chunks.append(current)
            current, size = [], 0
        current.append(seg)
        size += cost
    if current:
        chunks.append(current)
    return [transcript.model_copy(update={"segments": c}) for c in chunks]


def _text(text: str) -> TextBlockParam:
    return {"type": "text", "text": text}


def _data(text: str, cache: bool) -> TextBlockParam:
    block = _text(text)
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block
