"""Response bodies whose Content-Encoding is undone as they are read, never all at once.

yt-dlp's urllib handler inflates a gzip or deflate body in one call, before anyone reads it: a
1 MB gzip bomb is 1 GB in memory however little the caller wanted. Here each read inflates at
most what it asks for, so a reader that stops at a cap has never held more than the cap.
"""

from __future__ import annotations

import io
import urllib.request
import zlib
from typing import Any
from urllib.response import addinfourl

from yt_dlp.networking import _urllib  # private module, as in netguard

CHUNK = 64 * 1024
# What recap asks servers for. Brotli is not offered: its decoder is an optional dependency and
# bounding its output needs a recent version; a server that sends it unasked gets its bytes back raw.
ENCODINGS = ("gzip", "deflate")
_DECODABLE = {"gzip", "x-gzip", "deflate"}


class HTTPHandler(_urllib.HTTPHandler):
    """yt-dlp's urllib HTTP handler (URL escaping, socks proxies), inflating bodies only as read."""

    def http_response(self, req: urllib.request.Request, resp: Any) -> Any:
        return decoded(resp)

    https_response = http_response


def decoded(resp: Any) -> Any:
    """`resp` itself when it has no Content-Encoding we undo, else a response that inflates lazily."""
    encodings = [e.strip().lower() for e in resp.headers.get("Content-Encoding", "").split(",")]
    encodings = [e for e in encodings if e and e != "identity"]
    if not encodings or any(e not in _DECODABLE for e in encodings):
        return resp  # as yt-dlp does with an encoding it cannot undo: the body as it came
    body: Any = resp
    for encoding in reversed(encodings):  # listed in the order they were applied
        body = _Inflating(body, encoding)
    lazy = addinfourl(io.BufferedReader(body, CHUNK), resp.headers, resp.url, resp.code)
    # urllib sets `msg` (the reason phrase) on its responses this way; typeshed's addinfourl lacks it.
    lazy.msg = resp.msg  # type: ignore[attr-defined]
    return lazy


def _is_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0


class _Inflating(io.RawIOBase):
    def __init__(self, raw: Any, encoding: str) -> None:
        self._raw = raw
        self._gzip = encoding != "deflate"
        self._zlib: Any = None
        self._pending = b""  # compressed bytes read but not yet inflated
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        out = self._inflate(len(buffer))
        buffer[: len(out)] = out
        return len(out)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()

    def _decoder(self) -> Any:
        if self._zlib is None:
            if self._gzip:
                wbits = zlib.MAX_WBITS | 16
            else:
                # "deflate" is zlib-wrapped by the standard and raw in practice; yt-dlp accepts both.
                while len(self._pending) < 2 and (more := self._raw.read(CHUNK)):
                    self._pending += more
                wbits = zlib.MAX_WBITS if _is_zlib_header(self._pending) else -zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(wbits)
        return self._zlib

    def _inflate(self, limit: int) -> bytes:
        while not self._done:
            if not self._pending:
                self._pending = self._raw.read(CHUNK)
                if not self._pending:
                    self._done = True
                    return self._decoder().flush()
            zlib_ = self._decoder()
            out = zlib_.decompress(self._pending, limit)
            self._pending = zlib_.unconsumed_tail
            if zlib_.eof:
                self._done = True  # junk after the first gzip member is ignored, as yt-dlp does
            if out:
                return out
        return b""
