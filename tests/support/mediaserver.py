"""A local HTTP server for tests: serves tests/fixtures and scripted extra routes.

    with MediaServer() as server:
        url = server.url("site/bees.html")          # http://127.0.0.1:PORT/site/bees.html
        server.add_status("/gone", 404)
        server.add_status("/busy", 429, headers={"Retry-After": "1"}, times=1)
        server.add_redirect("/short", server.url("site/bees.html"), status=301)
        server.add_bytes("/odd.bin", b"...", content_type="application/octet-stream")
        server.add_bytes("/bomb.vtt", gzipped, content_type="text/vtt", headers={"Content-Encoding": "gzip"})
        server.add_bytes("/stream.opus", data, content_type="audio/ogg", send_length=False)
        server.add_bytes("/page.html", html, content_type="text/html", gate=threading.Barrier(2))
        ...
        assert "/media/bees.opus" not in server.paths()

Files support HEAD and single-range GET requests (206 Partial Content), as yt-dlp's HTTP
downloader uses them. Extra routes match the request path (query string ignored) and win over
files; a route given `times=N` answers N requests and then falls through to what lies beneath.
`send_length=False` sends the body with no Content-Length and closes the connection after it, as
servers streaming something of unknown length do; `gate` (a threading.Barrier) holds each request
until as many have arrived as the barrier has parties, so two clients are provably in flight at once.
Every request is recorded in `server.requests`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from tests.support.loopback import LoopbackServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".opus": "audio/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".wav": "audio/wav",
    ".txt": "text/plain; charset=utf-8",
}

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string, percent-decoded
    query: str
    headers: dict[str, str]

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # None: forever
    send_length: bool = True
    gate: threading.Barrier | None = None


class MediaServer(LoopbackServer):
    """Threaded HTTP server on 127.0.0.1, an ephemeral port, a daemon thread."""

    handler_attribute = "server_state"
    thread_name = "recap-media-server"

    def __init__(self, root: Path | str = FIXTURES) -> None:
        self.root = Path(root).resolve()
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()

    # -- addresses -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str = "") -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    # -- scripted routes -------------------------------------------------------------------

    def add_status(
        self,
        path: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str = "text/plain; charset=utf-8",
        times: int | None = None,
    ) -> None:
        """Answer `path` with a fixed status (404, 429, 500...), e.g. headers={"Retry-After": "2"}."""
        body = body or f"{status} {_phrase(status)}\n".encode()
        self._set(path, Route(status, body, content_type, dict(headers or {}), times))

    def add_redirect(self, path: str, location: str, *, status: int = 302, times: int | None = None) -> None:
        self._set(path, Route(status, b"", None, {"Location": location}, times))

    def add_bytes(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        send_length: bool = True,
        gate: threading.Barrier | None = None,
    ) -> None:
        """Serve custom bytes (Range requests are honoured when status is 200 and the length is sent)."""
        self._set(path, Route(status, body, content_type, dict(headers or {}), times, send_length, gate))

    def remove_route(self, path: str) -> None:
        with self._lock:
            self._routes.pop(_norm(path), None)

    def reset(self) -> None:
        """Forget recorded requests and extra routes."""
        with self._lock:
            self.requests.clear()
            self._routes.clear()

    # -- what was served -------------------------------------------------------------------

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def requests_for(self, path: str) -> list[RecordedRequest]:
        path = _norm(path)
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- internals -------------------------------------------------------------------------

    def _set(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[_norm(path)] = route

    def _take_route(self, path: str) -> Route | None:
        with self._lock:
            route = self._routes.get(path)
            if route is not None and route.times is not None:
                route.times -= 1
                if route.times <= 0:
                    del self._routes[path]
            return route

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _norm(path: str) -> str:
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    return "/" + unquote(path).lstrip("/")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


class _Handler(BaseHTTPRequestHandler):
    server_state: MediaServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def log_error(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = _norm(parts.path)
        state = self.server_state
        state._record(RecordedRequest(self.command, path, parts.query, {k.lower(): v for k, v in self.headers.items()}))
        route = state._take_route(path)
        if route is not None:
            if route.gate is not None:
                route.gate.wait(timeout=30)  # a broken barrier raises: the test sees no answer
            if not route.send_length:
                self._send_unsized(route, head)
            elif route.status == 200:
                self._send_body(route.body, route.content_type or "application/octet-stream", route.headers, head)
            else:
                self._send(route.status, route.body, route.content_type, route.headers, head)
            return
        file = (state.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(state.root) or not file.is_file():
            self._send(404, b"404 Not Found\n", "text/plain; charset=utf-8", {}, head)
            return
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        self._send_body(file.read_bytes(), content_type, {}, head)

    def _send_body(self, data: bytes, content_type: str, headers: dict[str, str], head: bool) -> None:
        headers = {"Accept-Ranges": "bytes", **headers}
        header = self.headers.get("Range")
        if not header:
            self._send(200, data, content_type, headers, head)
            return
        m = _RANGE.match(header.strip())
        size = len(data)
        if m is None or m.groups() == ("", ""):
            self._send(200, data, content_type, headers, head)  # unparseable: ignore (RFC 9110)
            return
        first, last = m.groups()
        if first == "":  # suffix range: the last N bytes
            start, end = max(size - int(last), 0), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            self._send(416, b"", None, {**headers, "Content-Range": f"bytes */{size}"}, head)
            return
        self._send(
            206, data[start : end + 1], content_type, {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}, head
        )

    def _send_unsized(self, route: Route, head: bool) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type or "application/octet-stream")
        self.send_header("Connection", "close")
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        if not head:
            try:
                for at in range(0, len(route.body), 64 * 1024):
                    self.wfile.write(route.body[at : at + 64 * 1024])
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (e.g. yt-dlp probing); not our problem


MediaServer.handler = _Handler  # defined after the server it serves
