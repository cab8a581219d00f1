"""ClaudeWriter: digests and answers written by Claude through the anthropic SDK.

- Structured output: every call forces one tool, whose input is the result; nothing is parsed
  out of prose.
- Long videos: a transcript over the token budget is cut into timed chunks, each chunk is
  noted concurrently (bounded), and the notes are merged into one digest. Nothing is truncated.
- Follow-ups: the transcript is one `cache_control` block at the same place in every answer
  request, so every question after the first reads it from the prompt cache.
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic

from . import claude_prompts as p
from .errors import NotConfigured, RecapError
from .models import QA, Answer, Citation, Digest, Moment, Section, Transcript, TranscriptInfo, Turn, Usage, Video
from .retrieval import PassageIndex
from .text import units

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # close enough for budgeting English transcripts; the API counts exactly
_STAMP = re.compile(r"\[?(?:(\d+):)?(\d{1,2}):(\d{2})\]?")


class WriterUnavailable(RecapError):
    """Claude could not be reached or kept refusing: worth trying again later."""


class ClaudeWriter:
    def __init__(self, client: anthropic.Anthropic, model: str, max_tokens: int = 8000,
                 budget_tokens: int = 50_000, concurrency: int = 4, language: str | None = None):
        self.client = client
        self.name = model
        self.max_tokens = max_tokens
        self.budget_tokens = budget_tokens
        self.concurrency = concurrency
        self.language = language

    # -- digests -------------------------------------------------------------------------------

    def write_digest(self, video: Video, transcript: Transcript) -> Digest:
        chunks = _chunks(transcript, self.budget_tokens)
        stamps = Stamps(transcript)
        if len(chunks) == 1:
            result, usage = self._call(p.DIGEST_SYSTEM, p.DIGEST_TOOL, [
                _transcript_block(transcript, cache=True),
                _text(f"Video: {video.title}\n{p.language_rule(self.language, transcript.language)} "
                      "Write the digest with the write_digest tool."),
            ])
        else:
            result, usage = self._map_reduce(video, transcript, chunks)
        return Digest(
            video=video,
            transcript=TranscriptInfo(source=transcript.source, segments=len(transcript.segments),
                                      covered_s=transcript.end),
            writer=self.name,
            hook=result["hook"],
            core_question=result["core_question"],
            highlights=[m for m in (stamps.moment(h) for h in result["highlights"]) if m],
            sections=[s for s in (stamps.section(s) for s in result["sections"]) if s],
            takeaways=[t for t in result["takeaways"] if t.strip()],
            qa=[stamps.qa(q) for q in result.get("qa", [])],
            reading_minutes=0, watch_minutes=0, saved_minutes=0,
            usage=usage,
        )

    def _map_reduce(self, video: Video, transcript: Transcript, chunks: list[Transcript]) -> tuple[dict, Usage]:
        def note(i: int, chunk: Transcript) -> tuple[dict, Usage]:
            return self._call(p.NOTES_SYSTEM, p.NOTES_TOOL, [
                _transcript_block(chunk, cache=False),
                _text(f"Video: {video.title}. This is part {i + 1} of {len(chunks)}. "
                      f"{p.language_rule(self.language, transcript.language)} Take notes with the write_notes tool."),
            ])

        log.info("transcript of %s is over the budget: %d chunks", video.key, len(chunks))
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            notes = list(pool.map(lambda pair: note(*pair), enumerate(chunks)))
        usage = sum((u for _, u in notes), Usage())
        merged = "\n".join(
            f'<notes part="{i + 1}" from="[{_clock(c.segments[0].start)}]" to="[{_clock(c.end)}]">'
            f"{json.dumps(n, ensure_ascii=False)}</notes>"
            for i, ((n, _), c) in enumerate(zip(notes, chunks))
        )
        result, merge_usage = self._call(p.MERGE_SYSTEM, p.DIGEST_TOOL, [
            _text(merged),
            _text(f"Video: {video.title}\n{p.language_rule(self.language, transcript.language)} "
                  "Write the digest of the whole video with the write_digest tool."),
        ])
        return result, usage + merge_usage

    # -- answers -------------------------------------------------------------------------------

    def write_answer(self, video: Video, transcript: Transcript, question: str, turns: list[Turn]) -> Answer:
        hits = PassageIndex(units(transcript.segments)).search(question, k=6)
        passages = "\n".join(f"[{_clock(h.unit.start)}] {h.unit.text}" for h in sorted(hits, key=lambda h: h.unit.index))
        earlier = "\n".join(f"<turn><question>{t.question}</question><answer>{t.answer}</answer></turn>" for t in turns)
        content = []
        if _tokens(transcript) <= self.budget_tokens:
            content.append(_transcript_block(transcript, cache=True))
        content.append(_text(
            (f"<earlier_turns>\n{earlier}\n</earlier_turns>\n" if earlier else "")
            + f"<likely_passages>\n{passages or '(none found)'}\n</likely_passages>\n"
            + f"<question>{question}</question>\nAnswer with the answer_question tool."
        ))
        result, usage = self._call(p.ANSWER_SYSTEM, p.ANSWER_TOOL, content)
        stamps = Stamps(transcript)
        citations = []
        for c in result.get("citations", []):
            start = stamps.seconds(c.get("start"))
            if c.get("quote", "").strip():
                citations.append(Citation(start_s=start or 0.0, end_s=start or 0.0, text=c["quote"]))
        return Answer(question=question, answer=result["answer"], grounded=bool(result["grounded"]),
                      citations=citations, usage=usage)

    # -- the one place that talks to the API ---------------------------------------------------

    def _call(self, system: str, tool: dict, content: list[dict]) -> tuple[dict[str, Any], Usage]:
        try:
            message = self.client.messages.create(
                model=self.name, max_tokens=self.max_tokens, system=system, tools=[tool],
                tool_choice={"type": "tool", "name": tool["name"]},
                messages=[{"role": "user", "content": content}],
            )
        except anthropic.AuthenticationError:
            raise NotConfigured("Anthropic refused the API key (ANTHROPIC_API_KEY); check it, or unset it to use "
                                "the offline writer.") from None
        except anthropic.PermissionDeniedError as exc:
            raise NotConfigured(f"This Anthropic key may not use {self.name}: {exc.api_message}") from None
        except anthropic.NotFoundError:
            raise NotConfigured(f"Anthropic knows no model {self.name!r} (RECAP_CLAUDE_MODEL).") from None
        except anthropic.BadRequestError as exc:
            if "credit" in str(exc.api_message).lower() or "billing" in str(exc.api_message).lower():
                raise NotConfigured("The Anthropic account is out of credit; top it up, or set "
                                    "RECAP_WRITER_FALLBACK=extractive to fall back to the offline writer.") from None
            raise WriterUnavailable(f"Anthropic rejected the request: {exc.api_message}") from exc
        except (anthropic.RateLimitError, anthropic.InternalServerError):
            raise WriterUnavailable("Claude is overloaded or rate-limiting recap even after retries; try again in "
                                    "a few minutes.") from None
        except anthropic.APITimeoutError:
            raise WriterUnavailable("Claude did not answer in time (RECAP_CLAUDE_TIMEOUT_S); try again.") from None
        except anthropic.APIConnectionError:
            raise WriterUnavailable("recap could not reach the Anthropic API; check the network.") from None
        if message.stop_reason == "max_tokens":
            raise WriterUnavailable(f"Claude's answer was cut off at {self.max_tokens} tokens; raise "
                                    "RECAP_CLAUDE_MAX_TOKENS.")
        used = next((b for b in message.content if b.type == "tool_use" and b.name == tool["name"]), None)
        if used is None:
            raise WriterUnavailable("Claude did not return the structured result recap asked for; try again.")
        u = message.usage
        usage = Usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens, requests=1,
                      cache_read_input_tokens=u.cache_read_input_tokens or 0,
                      cache_creation_input_tokens=u.cache_creation_input_tokens or 0)
        return dict(used.input), usage


class Stamps:
    """Stamps a model copied from `[mm:ss] text` lines, mapped back to real segment starts."""

    def __init__(self, transcript: Transcript):
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
        start = self.seconds(raw.get("start"))
        return Moment(text=raw["text"], start_s=start) if start is not None and raw.get("text") else None

    def qa(self, raw: dict) -> QA:
        return QA(question=raw["question"], answer=raw["answer"], start_s=self.seconds(raw.get("start")))

    def section(self, raw: dict) -> Section | None:
        start = self.seconds(raw.get("start"))
        if start is None or not raw.get("summary"):
            return None
        end = _loose_seconds(raw.get("end"))
        quote = (raw.get("quote") or "").strip()
        return Section(title=raw["title"], start_s=start, end_s=max(end or start, start), summary=raw["summary"],
                       quote=Moment(text=quote, start_s=start) if quote else None,
                       deeper=[self.qa(q) for q in raw.get("deeper", [])])


def _loose_seconds(stamp: Any) -> float | None:
    m = _STAMP.fullmatch(str(stamp or "").strip())
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3)) if m else None


def _clock(seconds: float) -> str:
    from .models import clock

    return clock(seconds)


def _tokens(transcript: Transcript) -> int:
    return len(transcript.as_stamped_lines()) // CHARS_PER_TOKEN + 1


def _chunks(transcript: Transcript, budget: int) -> list[Transcript]:
    """Consecutive pieces of at most `budget` tokens each, cut between segments."""
    chunks, current, size = [], [], 0
    for seg in transcript.segments:
        cost = (len(seg.text) + 12) // CHARS_PER_TOKEN + 1  # the stamp and newline cost a few tokens too
        if current and size + cost > budget:
            chunks.append(current)
            current, size = [], 0
        current.append(seg)
        size += cost
    if current:
        chunks.append(current)
    return [transcript.model_copy(update={"segments": c}) for c in chunks]


def _text(text: str) -> dict:
    return {"type": "text", "text": text}


def _transcript_block(transcript: Transcript, cache: bool) -> dict:
    block = _text(f"<transcript>\n{transcript.as_stamped_lines()}\n</transcript>")
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block
