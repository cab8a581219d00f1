"""The private-address guard, against real HTTP servers on loopback (127.0.0.1 and 127.0.0.2)."""

from __future__ import annotations

import concurrent.futures
import http.server
import ipaddress
import logging
import re
import shutil
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yt_dlp

from summarizer.errors import BlockedAddress, VideoUnavailable
from summarizer.fetcher import FetchSettings, YtDlpFetcher
from summarizer.netguard import AddressPolicy, blocked_reason, check_url, guarded_ydl

ONLY_127_0_0_1 = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(413)

Route = Callable[["_Handler"], None]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def reply(self, body: bytes, content_type: str, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    """Serves `routes` and records every connection accepted and every request received."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0

    def verify_request(self, request: object, client_address: object) -> bool:
        self.connections += 1
        return True

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    """A server on 127.0.0.1 and one on 127.0.0.2 (Linux routes all of 127/8 to loopback)."""
    pair = (_Server("127.0.0.1"), _Server("127.0.0.2"))
    for server in pair:
        server.routes["/clip.mp3"] = lambda h: h.reply(MP3, "audio/mpeg")
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield pair
    for server in pair:
        server.shutdown()
        server.server_close()


def _ydl(policy: AddressPolicy, **params: object) -> yt_dlp.YoutubeDL:
    return guarded_ydl({"quiet": True, "no_warnings": True, "noprogress": True, **params}, policy)


def _refusal(policy: AddressPolicy, url: str, download: bool = False, **params: object) -> str | None:
    with _ydl(policy, **params) as ydl, pytest.raises(yt_dlp.utils.DownloadError) as caught:
        ydl.extract_info(url, download=download)
    return blocked_reason(caught.value)


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("fe80::1", False),
        ("fe80::1%1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8 (DNS64 networks)
        ("2002:808:808::1", True),
    ],
)
def test_default_policy_permits_only_public_addresses(address: str, permitted: bool) -> None:
    assert AddressPolicy().permits(address) is permitted
    assert AddressPolicy().permits(ipaddress.ip_address(address)) is permitted
    assert AddressPolicy(allow_private=True).permits(address)


def test_allowed_networks_are_exceptions() -> None:
    assert ONLY_127_0_0_1.permits("127.0.0.1")
    assert not ONLY_127_0_0_1.permits("127.0.0.2")
    assert not ONLY_127_0_0_1.permits("::1")
    assert not ONLY_127_0_0_1.permits("10.0.0.1")
    assert ONLY_127_0_0_1.permits("8.8.8.8")


def test_check_url_refuses_loopback_up_front(servers: tuple[_Server, _Server]) -> None:
    local, _ = servers
    with pytest.raises(
        BlockedAddress, match=r"127\.0\.0\.1 is a private address\. .*RECAP_ALLOW_PRIVATE_NETWORKS=true"
    ):
        check_url(local.url("/clip.mp3"), AddressPolicy())
    with pytest.raises(BlockedAddress, match=r"localhost resolves to a private address"):
        check_url("http://localhost/watch", AddressPolicy())
    assert local.connections == 0
    check_url(local.url("/clip.mp3"), AddressPolicy(allow_private=True))
    check_url(local.url("/clip.mp3"), ONLY_127_0_0_1)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.mp4", "gopher://x/", "data:,hi", "//x/y"])
def test_check_url_refuses_other_schemes(url: str) -> None:
    with pytest.raises(BlockedAddress, match="only http and https"):
        check_url(url, AddressPolicy(allow_private=True))


def test_check_url_reports_a_host_that_does_not_resolve() -> None:
    with pytest.raises(VideoUnavailable, match=r"nowhere\.invalid.*does not resolve"):
        check_url("https://nowhere.invalid/watch?v=1", AddressPolicy())


def test_allow_private_lets_yt_dlp_fetch_and_download_from_loopback(
    servers: tuple[_Server, _Server], tmp_path: Path
) -> None:
    local, _ = servers
    with _ydl(AddressPolicy(allow_private=True), outtmpl=str(tmp_path / "%(id)s.%(ext)s")) as ydl:
        info = ydl.extract_info(local.url("/clip.mp3"), download=True)
    assert info["ext"] == "mp3"
    assert (tmp_path / "clip.mp3").read_bytes() == MP3


def test_default_policy_refuses_at_connect_without_touching_the_server(servers: tuple[_Server, _Server]) -> None:
    local, _ = servers
    reason = _refusal(AddressPolicy(), local.url("/clip.mp3"))
    assert reason == (
        "Request refused: 127.0.0.1 is a private address. "
        "Set RECAP_ALLOW_PRIVATE_NETWORKS=true to allow intranet addresses."
    )
    assert local.connections == 0  # refused before connect(): not even a TCP handshake
    https = local.url("/clip.mp3").replace("http:", "https:")
    assert (_refusal(AddressPolicy(), https) or "").startswith("Request refused: 127.0.0.1")
    assert local.connections == 0


def test_redirect_to_a_refused_address_is_refused_at_the_hop(servers: tuple[_Server, _Server]) -> None:
    local, other = servers
    target = other.url("/clip.mp3")
    local.routes["/go"] = lambda h: h.reply(b"", "text/html", status=302, Location=target)
    reason = _refusal(ONLY_127_0_0_1, local.url("/go"))
    assert reason is not None and "127.0.0.2 is a private address" in reason
    assert [path for path, _ in local.requests] == ["/go"]
    assert other.connections == 0


def test_redirect_within_allowed_addresses_is_followed(servers: tuple[_Server, _Server]) -> None:
    local, _ = servers
    local.routes["/go"] = lambda h: h.reply(b"", "text/html", status=301, Location="/clip.mp3")
    with _ydl(ONLY_127_0_0_1) as ydl:
        info = ydl.extract_info(local.url("/go"), download=False)
    assert info["ext"] == "mp3"


def test_page_the_generic_extractor_follows_is_refused(servers: tuple[_Server, _Server]) -> None:
    local, other = servers
    page = f'<html><head><meta http-equiv="refresh" content="0; url={other.url("/clip.mp3")}"></head></html>'
    local.routes["/page.html"] = lambda h: h.reply(page.encode(), "text/html")
    reason = _refusal(ONLY_127_0_0_1, local.url("/page.html"))
    assert reason is not None and "127.0.0.2 is a private address" in reason
    assert other.connections == 0


def test_embedded_media_on_a_refused_address_is_never_downloaded(
    servers: tuple[_Server, _Server], tmp_path: Path
) -> None:
    local, other = servers
    page = f'<html><body><audio src="{other.url("/clip.mp3")}"></audio></body></html>'
    local.routes["/page.html"] = lambda h: h.reply(page.encode(), "text/html")
    # Extraction only reads the page; the media URL is refused when the download connects.
    reason = _refusal(ONLY_127_0_0_1, local.url("/page.html"), download=True, outtmpl=str(tmp_path / "%(id)s.%(ext)s"))
    assert reason is not None and "127.0.0.2 is a private address" in reason
    assert other.connections == 0
    assert not list(tmp_path.iterdir())


def test_rebinding_host_is_checked_at_connect(
    servers: tuple[_Server, _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves public for check_url and private a moment later is still refused."""
    local, _ = servers
    port = local.server_address[1]
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    def rebinding(host: str, *args: object, **kwargs: object) -> list:
        return real_getaddrinfo(next(answers) if host == "rebind.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebind.test:{port}/clip.mp3"
    check_url(url, AddressPolicy())  # first answer: public
    reason = _refusal(AddressPolicy(), url)
    assert reason is not None and "rebind.test resolves to a private address." in reason
    assert "127.0.0.1" not in reason
    assert local.connections == 0


def test_only_the_guarded_handler_is_installed() -> None:
    with _ydl(AddressPolicy(), proxy="http://127.0.0.1:9", enable_file_urls=True) as ydl:
        assert [h.RH_NAME for h in ydl._request_director.handlers.values()] == ["urllib+netguard"]
        assert ydl.params["proxy"] == "" and ydl.params["enable_file_urls"] is False
        for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "ws://127.0.0.1/x"):
            with pytest.raises(yt_dlp.networking.exceptions.RequestError):
                ydl.urlopen(url)


def test_external_downloaders_are_refused(servers: tuple[_Server, _Server], tmp_path: Path) -> None:
    local, _ = servers
    with _ydl(AddressPolicy(allow_private=True)) as ydl:
        for protocol in ("rtmp", "websocket_frag"):
            with pytest.raises(BlockedAddress, match="Download refused"):
                ydl.dl(str(tmp_path / "x"), {"url": local.url("/clip.mp3"), "protocol": protocol, "ext": "mp3"})
    assert local.connections == 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_hls_handed_to_ffmpeg_cannot_fetch(servers: tuple[_Server, _Server], tmp_path: Path) -> None:
    """HlsFD hands manifests it cannot play to ffmpeg by itself; ffmpeg must then fetch nothing."""
    local, _ = servers
    manifest = (
        b'#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="key.bin"\n'
        b"#EXTINF:2,\nseg0.ts\n#EXT-X-ENDLIST\n"
    )
    local.routes["/v.m3u8"] = lambda h: h.reply(manifest, "application/vnd.apple.mpegurl")
    local.routes["/seg0.ts"] = lambda h: h.reply(bytes(188), "video/mp2t")
    with _ydl(AddressPolicy(allow_private=True), outtmpl=str(tmp_path / "%(id)s.%(ext)s")) as ydl:
        with pytest.raises(yt_dlp.utils.DownloadError, match="ffmpeg exited"):
            ydl.extract_info(local.url("/v.m3u8"), download=True)
    assert {path for path, _ in local.requests} == {"/v.m3u8"}
    assert not any("Icy-MetaData" in headers for _, headers in local.requests)  # ffmpeg's own header


def test_concurrent_fetches_keep_their_own_policies(servers: tuple[_Server, _Server]) -> None:
    local, _ = servers
    arrived, release = threading.Event(), threading.Event()

    def slow(h: _Handler) -> None:
        arrived.set()
        release.wait(10)
        h.reply(MP3, "audio/mpeg")

    local.routes["/slow.mp3"] = slow

    def fetch(policy: AddressPolicy, path: str) -> str:
        with _ydl(policy) as ydl:
            try:
                return ydl.extract_info(local.url(path), download=False)["ext"]
            except yt_dlp.utils.DownloadError as e:
                return blocked_reason(e) or str(e)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        permissive = pool.submit(fetch, AddressPolicy(allow_private=True), "/slow.mp3")
        assert arrived.wait(10)  # the permissive fetch is now mid-request...
        strict = pool.submit(fetch, AddressPolicy(), "/clip.mp3")
        assert strict.result(10).startswith("Request refused: 127.0.0.1")  # ...while the strict one is refused
        release.set()
        assert permissive.result(10) == "mp3"
    assert [path for path, _ in local.requests] == ["/slow.mp3"]


# --- what refusals say (no private address leaks into a chat thread) -------------------------

_ANY_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|::1\b")


@pytest.fixture
def intranet_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """intranet.test resolves to 127.0.0.2, as a corporate name resolves to 10.x."""
    real_getaddrinfo = socket.getaddrinfo

    def staged(host: str, *args: object, **kwargs: object) -> list:
        return real_getaddrinfo("127.0.0.2" if host == "intranet.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", staged)


def test_a_refusal_names_the_host_but_not_the_address_it_resolves_to(
    servers: tuple[_Server, _Server], intranet_dns: None, caplog: pytest.LogCaptureFixture
) -> None:
    local, other = servers
    port = other.server_address[1]
    with pytest.raises(BlockedAddress) as up_front:
        check_url(f"http://intranet.test:{port}/clip.mp3", AddressPolicy())
    assert str(up_front.value).startswith("Link refused: intranet.test resolves to a private address.")

    # The same at a redirect hop, through the whole fetcher, with everything it logs.
    local.routes["/go"] = lambda h: h.reply(
        b"", "text/html", status=302, Location=f"http://intranet.test:{port}/clip.mp3"
    )
    fetcher = YtDlpFetcher(FetchSettings(policy=ONLY_127_0_0_1))
    with caplog.at_level(logging.DEBUG), pytest.raises(BlockedAddress) as at_hop:
        fetcher.probe(local.url("/go"))
    assert str(at_hop.value).startswith("Request refused: intranet.test resolves to a private address.")
    for message in (str(up_front.value), str(at_hop.value)):
        assert not _ANY_IP.search(message), message
    assert "127.0.0.2" not in caplog.text
    assert other.connections == 0


# --- compressed bodies -------------------------------------------------------------------------

_PAGE = b"<html><body>" + b"<p>The hive is a superorganism.</p>" * 2000 + b"</body></html>"


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", _gzip(_PAGE)),
        ("gzip", _gzip(_PAGE) + b"junk after the gzip member"),
        ("deflate", zlib.compress(_PAGE)),  # zlib-wrapped, as the standard says
        ("deflate", _raw_deflate(_PAGE)),  # raw, as many servers send it
        ("gzip, gzip", _gzip(_gzip(_PAGE))),
        ("identity", _PAGE),
    ],
)
def test_compressed_bodies_are_inflated_as_read(servers: tuple[_Server, _Server], encoding: str, body: bytes) -> None:
    local, _ = servers
    local.routes["/page.html"] = lambda h: h.reply(body, "text/html", **{"Content-Encoding": encoding})
    with _ydl(ONLY_127_0_0_1) as ydl:
        response = ydl.urlopen(local.url("/page.html"))
        assert response.read(100) == _PAGE[:100]  # a piece first, then the rest
        assert response.read() == _PAGE[100:]
    assert local.requests[-1][1]["Accept-Encoding"] == "gzip, deflate"


def test_a_body_in_an_encoding_we_did_not_ask_for_comes_back_as_sent(servers: tuple[_Server, _Server]) -> None:
    local, _ = servers
    local.routes["/page.html"] = lambda h: h.reply(b"\x8b\x00opaque", "text/html", **{"Content-Encoding": "br"})
    with _ydl(ONLY_127_0_0_1) as ydl:
        assert ydl.urlopen(local.url("/page.html")).read() == b"\x8b\x00opaque"
