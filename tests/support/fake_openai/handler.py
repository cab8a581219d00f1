"""The HTTP side of FakeOpenAI: read a request, record it (the RecordedRequest of the Anthropic fake),
have the fake answer it, and write the answer back: whole with a Content-Length, or a stream sent
chunk by chunk (Transfer-Encoding: chunked) for as long as the fake keeps producing them."""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.support.fake_anthropic.handler import RecordedRequest

if TYPE_CHECKING:
    from .server import FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def log_error(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(data) if data else None
        except ValueError:
            body = None
        record = RecordedRequest(self.command, parts.path, parts.query, headers, data, body)
        self.fake._begin(record)
        try:
            status, out_headers, payload = self.fake._answer(record)
            record.status, record.response_headers = status, out_headers
            self.send_response(status, HTTPStatus(status).phrase)
            for name, value in out_headers.items():
                self.send_header(name, value)
            if isinstance(payload, bytes):
                record.response = _loads(payload)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                sent = []
                for chunk in payload:
                    sent.append(chunk)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                record.response = b"".join(sent).decode()
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout, a cap): nothing to finish
        finally:
            self.fake._end()

    do_GET = do_PUT = do_DELETE = do_POST


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data
