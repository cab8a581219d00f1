"""ClaudeWriter: digests and answers written by Claude through the anthropic SDK.

What every model-backed writer does (prompts, map-reduce, the token cap, grounding the result) is
ModelWriter's; this module is how a request travels to the Messages API:

- Structured output: every call forces one tool, whose input is the result; nothing is parsed
  out of prose.
- Follow-ups: the transcript is one `cache_control` block at the same place in every answer
  request, so every question after the first reads it from the prompt cache.
"""

from __future__ import annotations

from typing import Any

import anthropic
from anthropic.types import TextBlockParam, ToolParam

from . import prompts as p
from .errors import NotConfigured
from .model_writer import Ask, ModelWriter, WriterUnavailable
from .models import Usage

__all__ = ["ClaudeWriter", "WriterUnavailable"]


class ClaudeWriter(ModelWriter):
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
        super().__init__(model, budget_tokens, concurrency, language, max_transcript_tokens)
        self.client = client
        self.max_tokens = max_tokens

    # -- the one place that talks to the API ---------------------------------------------------

    def _ask(self, ask: Ask) -> tuple[dict[str, Any], Usage]:
        tool = _tool(ask.result)
        content = [_data(ask.data, ask.cache), _text(f"{ask.instruction} with the {tool['name']} tool.")]
        try:
            message = self.client.messages.create(
                model=self.name,
                max_tokens=self.max_tokens,
                system=ask.system,
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
        return dict(used.input), usage


def _tool(result: p.Result) -> ToolParam:
    return {"name": result.name, "description": result.description, "input_schema": result.schema}


def _text(text: str) -> TextBlockParam:
    return {"type": "text", "text": text}


def _data(text: str, cache: bool) -> TextBlockParam:
    block = _text(text)
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block
