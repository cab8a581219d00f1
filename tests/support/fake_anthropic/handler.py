"""The HTTP side of FakeAnthropic: read a request, record it as a RecordedRequest, have the fake
answer it, and write the answer back (every method and path; the fake decides what is a 404)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .server import FakeAnthropic

_PHRASES = {529: "Overloaded"}  # not in http.HTTPStatus


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # names lower-cased
    raw: bytes
    body: Any  # the parsed JSON body; None when absent or not JSON
    status: int | None = None  # what the fake answered
    response: Any = None  # the JSON it sent (a dict), or the SSE text of a stream
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def retry_count(self) -> int | None:
        """x-stainless-retry-count: 0 on a first attempt, 1 on the first retry..."""
        value = self.headers.get("x-stainless-retry-count")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def api_key(self) -> str | None:
        return key_from_headers(self.headers)

    @property
    def usage(self) -> dict[str, Any] | None:
        return self.response.get("usage") if isinstance(self.response, dict) else None


def key_from_headers(headers: dict[str, str]) -> str | None:
    """The key from `x-api-key` or `Authorization: Bearer` (anthropic 2.x sends the latter)."""
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def log_error(self, format: str, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        self._handle()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, head: bool = False) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body: Any = None
        if data:
            try:
                body = json.loads(data)
            except ValueError:
                body = None
        record = RecordedRequest(self.command, parts.path, parts.query, headers, data, body)
        fake = self.fake
        fake._begin(record)
        try:
            status, out_headers, payload, parsed = fake._answer(record)
        finally:
            fake._end()
        record.status, record.response, record.response_headers = status, parsed, out_headers
        try:
            phrase = _PHRASES.get(status) or HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        self.send_response(status, phrase)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not head:
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
