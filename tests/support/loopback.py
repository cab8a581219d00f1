"""The life of a test server on 127.0.0.1: an ephemeral port, a daemon thread, quiet about
clients that hang up. The media server and the fake Slack and Anthropic APIs build on it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients (yt-dlp probing a direct link, SDKs timing out) hang up mid-answer


class LoopbackServer:
    """Subclasses name their request handler class and what the handler calls them."""

    handler: type[BaseHTTPRequestHandler]
    handler_attribute = "fake"  # the handler reaches the server object as self.<this>
    thread_name = "loopback-server"
    poll_interval = 0.5  # how quickly stop() returns; lower for servers started per test

    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self):
        if self._httpd is not None:
            return self
        handler = type("Handler", (self.handler,), {self.handler_attribute: self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(self.poll_interval,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._httpd.server_address[1]
