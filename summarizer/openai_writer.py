"""OpenAIWriter: digests and answers from a model a team runs itself (Ollama, vLLM, llama.cpp's
server, LM Studio) or any gateway that speaks OpenAI's chat completions, through the `openai` SDK.

What every model-backed writer does (prompts, map-reduce, the token cap, grounding) is ModelWriter's;
this module is how a request travels to such a server, which supports less and lies more than a
vendor's API:

- Structured output: a forced function call, else a `json_schema` response format, else plain JSON
  in the message (the schema in the prompt). A server that says it lacks one gets the next, and the
  choice is remembered per endpoint and model for the life of the process.
- Output that is no JSON object, or lacks what the result requires, is asked for once more with
  what was wrong; what still cannot be read is the writer's failure (WriterFailed).
- Streaming (the default) reads tokens as they come, so a slow model is not cut off by the timeout,
  which then bounds only silences; a stream that runs past the deadline or the size cap is dropped.
- Errors name the server by host (never the key, never what the server echoed of the request).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import openai

from . import prompts as p
from .errors import NotConfigured, WriterFailed
from .model_writer import Ask, ModelWriter, WriterUnavailable
from .models import Usage

log = logging.getLogger(__name__)

MODES = ("tools", "json_schema", "json")  # tried in this order
# What a refusal of each mode names. Only the feature a request used is looked for in its refusal.
_NAMES = {"tools": ("tool", "function"), "json_schema": ("response_format", "json_schema", "format")}
_REFUSING = (400, 422, 500, 501)  # llama.cpp's server refuses tools without --jinja with a 500
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)  # reasoning models' preamble (DeepSeek-R1, Qwen3)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")
_CHARS_PER_OUTPUT_TOKEN = 16  # no real token is longer: a reply past this many is a server ignoring max_tokens
_REPAIR_ECHO = 2000  # characters of a bad reply shown back to the model when asking again

_modes: dict[str, str] = {}  # endpoint and model -> the mode that worked
_modes_lock = threading.Lock()


class _Unsupported(Exception):
    """The server refused the structured-output feature the request used."""


def endpoint_host(base_url: str) -> str:
    """The server as messages name it: host and port, never userinfo (a URL may carry a password)."""
    parts = urlsplit(base_url)
    host = parts.hostname or "the configured address"
    return f"{host}:{parts.port}" if parts.port else host


class OpenAIWriter(ModelWriter):
    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        max_tokens: int = 4000,
        budget_tokens: int = 8000,
        concurrency: int = 2,
        language: str | None = None,
        max_transcript_tokens: int = 400_000,
        stream: bool = True,
        timeout_s: float = 300,
        deadline_s: float = 900,
    ) -> None:
        super().__init__(model, budget_tokens, concurrency, language, max_transcript_tokens)
        self.client = client
        self.max_tokens = max_tokens
        self.stream = stream
        self.timeout_s = timeout_s  # the client's; named in messages
        self.deadline_s = deadline_s  # the longest one streamed reply may take
        self.host = endpoint_host(str(client.base_url))
        self._endpoint = f"{client.base_url}|{model}"

    @property
    def who(self) -> str:
        return f"{self.name} writer at {self.host}"

    @property
    def mode(self) -> str:
        with _modes_lock:
            return _modes.get(self._endpoint, MODES[0])

    def _ask(self, ask: Ask) -> tuple[dict[str, Any], Usage]:
        messages = [{"role": "system", "content": ask.system}, {"role": "user", "content": ""}]
        mode = self.mode
        while True:  # ends: each refusal moves to a later mode, and the last ("json") asks for no feature
            messages[1]["content"] = f"{ask.data}\n\n{_how(ask, mode)}"
            try:
                text, usage = self._request(ask.result, mode, messages)
                break
            except _Unsupported:
                refused, mode = mode, MODES[MODES.index(mode) + 1]
                log.warning("the model server at %s does not support %s; using %s", self.host, refused, mode)
                with _modes_lock:  # chunks noted concurrently may learn it at once: never step back
                    known = _modes.get(self._endpoint, MODES[0])
                    _modes[self._endpoint] = max(known, mode, key=MODES.index)
        result, problem = _parsed(text, ask.result)
        if problem is None:
            return result, usage
        # What was wrong, never the text: a reply may quote the transcript.
        log.warning("the %s sent a reply that %s; asking once more", self.who, problem)
        messages += [
            {"role": "assistant", "content": text[:_REPAIR_ECHO]},
            {"role": "user", "content": f"That reply {problem}. {_how(ask, mode, again=True)}"},
        ]
        try:
            text, more = self._request(ask.result, mode, messages)
        except _Unsupported:  # a server that took this mode a moment ago: not worth a third try
            raise WriterUnavailable(f"The model server at {self.host} refused the second request; try again.") from None
        result, problem = _parsed(text, ask.result)
        if not result:
            raise WriterFailed(f"The {self.who} sent a reply that {problem}, twice; nothing was stored. Try again.")
        return result, usage + more

    # -- the one place that talks to the server ------------------------------------------------

    def _request(self, result: p.Result, mode: str, messages: list[dict[str, str]]) -> tuple[str, Usage]:
        kwargs: dict[str, Any] = {"model": self.name, "messages": messages, "max_tokens": self.max_tokens}
        if mode == "tools":
            function = {"name": result.name, "description": result.description, "parameters": result.schema}
            kwargs["tools"] = [{"type": "function", "function": function}]
            kwargs["tool_choice"] = {"type": "function", "function": {"name": result.name}}
        elif mode == "json_schema":
            schema = {"name": result.name, "description": result.description, "schema": result.schema}
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {**schema, "strict": False}}
        if self.stream:
            kwargs.update(stream=True, stream_options={"include_usage": True})
        try:
            raw = self.client.chat.completions.with_raw_response.create(**kwargs)
            kind = raw.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in ("application/json", "text/event-stream"):
                raise NotConfigured(
                    f"The model server at {self.host} answered with {kind or 'an unlabelled body'}, not the OpenAI "
                    "API; check RECAP_OPENAI_BASE_URL (it usually ends in /v1)."
                )
            text, finish, usage = self._streamed(raw.parse()) if self.stream else self._whole(raw)
        except openai.APIStatusError as exc:
            names = _NAMES.get(mode, ())
            said = " ".join(_words(exc.body)).lower()
            if exc.status_code in _REFUSING and any(n in said for n in names):
                raise _Unsupported from None
            raise self._failure(exc) from None
        except openai.APITimeoutError:
            raise WriterUnavailable(
                f"The model server at {self.host} went silent for {self.timeout_s:g} s (RECAP_OPENAI_TIMEOUT_S); "
                "try again, or raise it for a slow model."
            ) from None
        except openai.APIConnectionError:
            raise WriterUnavailable(
                f"recap could not reach the model server at {self.host}; is it running (RECAP_OPENAI_BASE_URL)?"
            ) from None
        except openai.OpenAIError:  # an error event mid-stream, a body the SDK could not read
            raise WriterUnavailable(f"The model server at {self.host} failed mid-answer; try again.") from None
        except (ValueError, TypeError, AttributeError):  # a truncated body, a completion without its parts
            raise WriterUnavailable(
                f"The model server at {self.host} sent a reply that is not a chat completion; try again."
            ) from None
        if finish == "length":
            raise WriterUnavailable(
                f"The {self.who}'s answer was cut off at {self.max_tokens} tokens; raise RECAP_OPENAI_MAX_TOKENS."
            )
        return text, usage

    def _whole(self, raw: Any) -> tuple[str, str | None, Usage]:
        if len(raw.content) > self._max_chars * 2:  # JSON escapes may double it; more is a server gone wrong
            raise WriterFailed(f"The {self.who} sent a reply far over {self.max_tokens} tokens; nothing was stored.")
        completion = raw.parse()
        if isinstance(completion, str) or not completion.choices:
            raise WriterUnavailable(f"The model server at {self.host} sent a reply with no message; try again.")
        choice = completion.choices[0]
        calls = choice.message.tool_calls or []
        text = next((_as_text(c.function.arguments) for c in calls if getattr(c, "function", None)), "")
        u = completion.usage
        usage = Usage(
            input_tokens=u.prompt_tokens if u else 0, output_tokens=u.completion_tokens if u else 0, requests=1
        )
        return text or _as_text(choice.message.content), choice.finish_reason, usage

    def _streamed(self, stream: Any) -> tuple[str, str | None, Usage]:
        parts: list[str] = []
        size, finish, usage = 0, None, Usage(requests=1)
        # A server may stream for ever, or keep the connection alive with SSE comments that yield no
        # chunk: past the deadline a watchdog closes the response under the reading loop.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            stream.close()

        watchdog = threading.Timer(self.deadline_s, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            with stream:
                for chunk in stream:
                    if expired.is_set():
                        break
                    if chunk.usage:
                        u = chunk.usage
                        usage = Usage(input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens, requests=1)
                    for choice in chunk.choices[:1]:
                        delta = choice.delta
                        calls = [c for c in delta.tool_calls or [] if c.index == 0 and c.function]
                        piece = "".join(_as_text(c.function.arguments) for c in calls) or _as_text(delta.content)
                        parts.append(piece)
                        size += len(piece)
                        finish = choice.finish_reason or finish
                    if size > self._max_chars:
                        raise WriterFailed(
                            f"The {self.who} streamed far over {self.max_tokens} tokens; nothing was stored."
                        )
        except Exception:
            if not expired.is_set():
                raise
        finally:
            watchdog.cancel()
        if expired.is_set():
            raise WriterUnavailable(
                f"The model server at {self.host} was still writing after {self.deadline_s:g} s "
                "(RECAP_OPENAI_DEADLINE_S); try again."
            )
        return "".join(parts), finish, usage

    @property
    def _max_chars(self) -> int:
        return self.max_tokens * _CHARS_PER_OUTPUT_TOKEN

    def _failure(self, exc: openai.APIStatusError) -> Exception:
        """The error a person reads: the status and what to do, never the server's text (it may echo
        the request, transcript and all)."""
        status = exc.status_code
        if status == 401:
            return NotConfigured(
                f"The model server at {self.host} refused the API key (OPENAI_API_KEY); check it, "
                "or unset it if the server needs none."
            )
        if status == 403:
            return NotConfigured(f"The model server at {self.host} does not let this key use {self.name!r}.")
        if status == 404:
            return NotConfigured(
                f"The model server at {self.host} has no model {self.name!r} (RECAP_OPENAI_MODEL), or "
                "RECAP_OPENAI_BASE_URL is not its OpenAI API (it usually ends in /v1)."
            )
        if status in (429, 503) or status >= 500:
            return WriterUnavailable(
                f"The model server at {self.host} is busy or failing (HTTP {status}) even after retries; "
                "try again in a few minutes."
            )
        if "context" in str(exc.message).lower():
            return WriterUnavailable(
                f"The request is longer than {self.name!r} at {self.host} can read; lower RECAP_OPENAI_BUDGET_TOKENS "
                "or give the model a longer context."
            )
        return WriterUnavailable(f"The model server at {self.host} rejected the request (HTTP {status}).")


def _words(body: object) -> list[str]:
    """The texts and keys of an error body, without the request a FastAPI server echoes as "input"
    (which names every feature it was sent, refused or not)."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [w for k, v in body.items() if k != "input" for w in [str(k), *_words(v)]]
    if isinstance(body, list):
        return [w for v in body for w in _words(v)]
    return []


def _as_text(value: object) -> str:
    """A reply's text, also in shapes the spec does not allow but servers send: arguments as an
    object rather than JSON text, content as a list of text parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_as_text(part.get("text") if isinstance(part, dict) else part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return ""


def _how(ask: Ask, mode: str, again: bool = False) -> str:
    """The instruction, ending in how this mode returns the result."""
    if mode == "tools":
        return f"{ask.instruction} by calling the {ask.result.name} function."
    if mode == "json_schema" and not again:
        return f"{ask.instruction} as one JSON object."
    schema = json.dumps(ask.result.schema, separators=(",", ":"))
    return (
        f"{ask.instruction} as one JSON object and nothing else (no prose, no code fence), "
        f"following this JSON schema:\n{schema}"
    )


def _parsed(text: str, result: p.Result) -> tuple[dict[str, Any], str | None]:
    """The JSON object in a reply and None, or what is wrong with the reply (in recap's words)."""
    body = _FENCE.sub("", _THINKING.sub("", text).strip())
    value: Any = None
    for candidate in (body, body[body.find("{") : body.rfind("}") + 1]):
        try:
            value = json.loads(candidate)
            break
        except ValueError:
            continue
    if not isinstance(value, dict):
        return {}, "held no JSON object" if value is None else "was JSON but not an object"
    missing = [k for k in result.schema.get("required", []) if k not in value]
    if missing:
        return value, f"lacked {', '.join(missing)}"
    return value, None
