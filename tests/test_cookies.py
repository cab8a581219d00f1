"""RECAP_COOKIES_FILE is the operator's: recap sends its cookies and never writes the file, however
many jobs fetch at once (each YoutubeDL writes its cookie file back when it closes)."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from summarizer.errors import NotConfigured
from summarizer.fetcher import FetchSettings, YtDlpFetcher
from summarizer.netguard import AddressPolicy
from tests.support.mediaserver import FIXTURES

# As a browser extension exports it: its own comments, a cookie for the media server's host.
COOKIES = (
    b"# Netscape HTTP Cookie File\n"
    b"# Exported by the operator's browser; recap must not rewrite this.\n"
    b"\n"
    b"127.0.0.1\tFALSE\t/\tFALSE\t4102444800\tsession\tabc123\n"
)


def fetcher_with(cookies) -> YtDlpFetcher:
    return YtDlpFetcher(FetchSettings(cookies_file=cookies, policy=AddressPolicy(allow_private=True)))


def serve_bees_setting_a_cookie(media_server, gate: threading.Barrier | None = None) -> str:
    page = (FIXTURES / "site" / "bees.html").read_bytes()
    media_server.add_bytes(
        "/site/bees.html",
        page,
        content_type="text/html; charset=utf-8",
        headers={"Set-Cookie": "visited=1; Path=/; Max-Age=3600"},
        gate=gate,
    )
    return media_server.url("site/bees.html")


def test_cookies_are_sent_and_the_operators_file_is_left_as_it_was(media_server, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_bytes(COOKIES)
    fetcher = fetcher_with(cookies)
    url = serve_bees_setting_a_cookie(media_server)

    for _ in range(2):
        probe = fetcher.probe(url)
        assert fetcher.captions(probe).source == "captions"

    assert cookies.read_bytes() == COOKIES
    assert sorted(tmp_path.iterdir()) == [cookies]  # and no copy of it left lying around
    assert media_server.requests and all("session=abc123" in r.headers.get("cookie", "") for r in media_server.requests)


def test_concurrent_probes_share_the_cookies_but_not_the_file(media_server, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_bytes(COOKIES)
    fetcher = fetcher_with(cookies)
    # The page answers only once both probes have asked for it: they are in flight together.
    url = serve_bees_setting_a_cookie(media_server, gate=threading.Barrier(2))

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        probes = [future.result(60) for future in [pool.submit(fetcher.probe, url) for _ in range(2)]]

    assert [p.video.title for p in probes] == ["The Secret Life of Honey Bees"] * 2
    assert cookies.read_bytes() == COOKIES
    page_requests = media_server.requests_for("/site/bees.html")
    assert len(page_requests) == 2 and all("session=abc123" in r.headers.get("cookie", "") for r in page_requests)


def test_a_missing_cookies_file_is_named_and_read_again_once_it_exists(media_server, tmp_path):
    cookies = tmp_path / "cookies.txt"
    fetcher = fetcher_with(cookies)
    with pytest.raises(NotConfigured, match="RECAP_COOKIES_FILE"):
        fetcher.probe(media_server.url("site/bees.html"))
    cookies.write_bytes(COOKIES)
    assert fetcher.probe(media_server.url("site/bees.html")).video.title == "The Secret Life of Honey Bees"
