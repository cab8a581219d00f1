"""A forward HTTP proxy on 127.0.0.1 for tests: it fetches any absolute-URL request it is sent
and records each, so a test can see what recap asked a proxy to reach (RECAP_PROXY).

    with ForwardProxy() as proxy:
        fetcher = YtDlpFetcher(FetchSettings(proxy=proxy.url, ...))
        ...
        assert proxy.requests == [media_server.url("site/bees.html"), ...]
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.support.loopback import LoopbackServer

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class ForwardProxy(LoopbackServer):
    handler_attribute = "proxy"
    thread_name = "recap-test-proxy"

    def __init__(self) -> None:
        self.requests: list[str] = []  # the absolute URLs asked for, in order
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, url: str) -> None:
        with self._lock:
            self.requests.append(url)


class _Handler(BaseHTTPRequestHandler):
    proxy: ForwardProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.proxy._record(self.path)
        target = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
            conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
            answer = conn.getresponse()
            status, reply_headers, body = answer.status, answer.getheaders(), answer.read()
            conn.close()
        except OSError:
            status, reply_headers, body = 502, [("Content-Type", "text/plain")], b"502 Bad Gateway\n"
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ForwardProxy.handler = _Handler
