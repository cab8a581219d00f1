"""The HTTP side of FakeSlack: read a request, route it (/api/, the upload URL, file downloads,
response URLs), answer it, and record it as a Call."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .files import download, receive_upload

if TYPE_CHECKING:
    from .server import FakeSlack

# Params that carry JSON text in form / query values (AsyncWebClient sends params in the query).
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "unfurls")


@dataclass
class Call:
    """One request the fake received."""

    method: str  # "chat.postMessage", ... ; "upload" (the upload URL), "response_url", "files.download"
    params: dict[str, Any]  # query + body, JSON fields decoded
    headers: dict[str, str]  # lower-cased names
    at: float  # time.time()
    status: int = 200
    response: dict[str, Any] | None = None  # the JSON answered (None for upload / response_url)
    body: bytes = b""  # the raw request body
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        """HTTP 200 and, for JSON answers, `"ok": true`."""
        return self.status == 200 and (self.response is None or self.response.get("ok") is True)

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, http_method: str) -> None:
        fake = self.fake
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        now = time.time()

        if path.startswith("/api/"):
            method = path[len("/api/") :]
            try:
                params = _parse_params(parts.query, body, headers.get("content-type", ""))
            except ValueError as e:
                status, payload, extra = 200, {"ok": False, "error": str(e)}, {}
                params = {}
            else:
                status, payload, extra = fake._api(method, params, headers)
            fake._record(Call(method, params, headers, now, status, payload, body, http_method))
            extra = {"x-oauth-scopes": fake.scopes, "x-accepted-oauth-scopes": "", **extra}
            self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", extra)
            return

        if path.startswith("/upload/v1/") and http_method == "POST":
            file_id = path[len("/upload/v1/") :].strip("/")
            status, out = receive_upload(fake, file_id, body)
            fake._record(Call("upload", {"file_id": file_id, "length": len(body)}, headers, now, status, None, body))
            self._send(status, out, "text/plain; charset=utf-8")
            return

        if path.startswith("/files/") and http_method == "GET":
            file_id = path.split("/")[2]
            status, out = download(fake, file_id, headers)
            fake._record(Call("files.download", {"file_id": file_id}, headers, now, status, None, b"", "GET"))
            self._send(status, out, "application/octet-stream")
            return

        if path.startswith(("/commands/", "/actions/", "/app/")) and http_method == "POST":
            try:
                params = json.loads(body or b"{}")
                status, out = 200, b"ok"
            except ValueError:
                params, status, out = {}, 400, b"invalid_payload"
            fake._record(Call("response_url", params, headers, now, status, None, body))
            self._send(status, out, "text/html")
            return

        fake._record(Call(path, {}, headers, now, 404, None, body, http_method))
        self._send(404, b"Not Found", "text/plain")


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if body:
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise ValueError("invalid_json") from None
            if not isinstance(data, dict):
                raise ValueError("invalid_json")
            params.update(data)
        elif ctype in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        else:
            raise ValueError("invalid_form_data")
    for name in _JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[name] = json.loads(value)
            except ValueError:
                pass
    return params
