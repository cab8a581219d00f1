"""What recap writes to its log: timestamped lines of text, or one JSON object a line, with the ids
of the job, event, video and workspace a line is about; never a secret, never a transcript.

- Secrets: a filter redacts what looks like a Slack, Discord or Anthropic token, a bearer token or
  a database password, and every secret the settings hold, wherever it appears in a line or a
  traceback.
- Transcripts: recap's own log calls name videos by key, never their text. The libraries'
  debug output dumps whole requests (Claude's prompt is the transcript; Slack's and Discord's
  payloads are digests), so below INFO only recap's own loggers are written.

Context travels as `extra=` fields (`log.info("…", extra=job_fields(job))`), which the JSON format
writes as fields and the text format as `key=value` after the message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

from pydantic import SecretStr

if TYPE_CHECKING:
    from .settings import Settings

# The fields a line may carry about what it concerns, in the order they are written.
CONTEXT = ("job", "kind", "event", "video", "workspace", "platform", "queue")
# recap's own loggers: their debug lines are written at DEBUG; the libraries' are not.
OURS = ("recap", "bot", "adapters", "summarizer", "__main__")
REDACTED = "[redacted]"

PATTERNS = [
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]+"),  # Slack bot, user, app-config and refresh tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),  # Slack app-level tokens (Socket Mode)
    re.compile(r"\bsk-ant-[A-Za-z0-9_-]+"),  # Anthropic API keys
    # Discord bot tokens: base64 of the bot's id, a timestamp and an HMAC (also matches JWTs).
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),
    re.compile(r"(?i)\b(bearer|bot)\s+[A-Za-z0-9._~+/=-]{16,}"),  # Authorization headers
]
# The password in a database or proxy URL: scheme://user:PASSWORD@host
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+(?P<tail>@)", re.IGNORECASE)


class Redactor(logging.Filter):
    """Rewrites each record with its secrets replaced, before any handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole; short values are not
        # secrets worth the false matches ("1", "true").
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        return URL_PASSWORD.sub(rf"\g<head>{REDACTED}\g<tail>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name in CONTEXT:
            value = record.__dict__.get(name)
            if isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


class OwnDebugOnly(logging.Filter):
    """Below INFO, only recap's own lines: the libraries' debug output carries request bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or record.name.split(".", 1)[0] in OURS


def context(record: logging.LogRecord) -> dict[str, Any]:
    return {name: record.__dict__[name] for name in CONTEXT if record.__dict__.get(name) is not None}


class TextFormatter(logging.Formatter):
    """`2025-01-31T12:00:00.123+01:00 WARNING bot.runner: digest job 7 failed job=7 video=youtube:…`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        fields = " ".join(f"{k}={v}" for k, v in context(record).items())
        return f"{line} {fields}" if fields else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is when a line is written (a test's capture, a redirect)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure(
    level: str | int, style: Literal["text", "json"] = "text", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send the process's log to stderr (or `stream`) as `style`, from `level` up. Called again, it
    replaces the handler it set before; handlers others added (a test's capture) stay."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "recap", False)]:
        root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(OwnDebugOnly())
    handler.addFilter(Redactor(secrets))
    handler.recap = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, for the log to redact wherever it turns up."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            plain = value.get_secret_value()
            found += [plain, *(part.strip() for part in plain.split(","))]  # several Fernet keys while rotating
    if match := URL_PASSWORD.search(settings.database_url):
        found.append(match.group(0)[len(match.group("head")) : -1])
    return [s for s in found if s]


def job_fields(job_id: int | None, kind: str | None = None, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `extra=` of a log line about a job: its id and kind, and its video, workspace and platform."""
    fields: dict[str, Any] = {"job": job_id, "kind": kind}
    if payload:
        place = payload.get("place") or {}
        fields["workspace"], fields["platform"] = place.get("workspace"), place.get("platform")
        if url := payload.get("url"):
            fields["video"] = _video_key(url)
    return {k: v for k, v in fields.items() if v is not None}


def _video_key(url: str) -> str | None:
    from summarizer.errors import RecapError
    from summarizer.links import video_key

    try:
        return video_key(url)
    except (RecapError, ValueError):  # a log line never fails for want of a key
        return None
