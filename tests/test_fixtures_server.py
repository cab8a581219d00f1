"""The committed fixtures agree with themselves, and the local media server behaves like a real one."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import av
import pytest

from tests.support.mediaserver import MediaServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TALKS = json.loads((FIXTURES / "talks.json").read_text(encoding="utf-8"))["talks"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str] | None = None, follow: bool = True):
    """(status, headers, body) for a GET; HTTP errors are answers, not exceptions."""
    handlers = [urllib.request.ProxyHandler({})]
    if not follow:
        handlers.append(_NoRedirect())
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def decoded_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate


# -- fixtures ------------------------------------------------------------------------------


@pytest.mark.parametrize("talk", TALKS, ids=lambda t: t["name"])
def test_talk_timings_match_the_audio(talk):
    # Short talks (bees, lighthouses) and the longer ones written for tests/test_answer_quality.py.
    assert 45 <= talk["duration"] <= 110
    assert decoded_duration(FIXTURES / talk["media"]) == pytest.approx(talk["duration"], abs=0.02)
    sentences = talk["sentences"]
    assert 12 <= len(sentences) <= 25
    assert sorted({s["topic"] for s in sentences}) == list(range(len(talk["topics"]))) == [0, 1, 2]
    assert [s["topic"] for s in sentences] == sorted(s["topic"] for s in sentences)
    previous_end = 0.0
    for sentence in sentences:
        assert previous_end < sentence["start"] < sentence["end"] <= talk["duration"]
        previous_end = sentence["end"]


def test_bees_captions_carry_every_sentence_with_its_timing():
    bees = next(t for t in TALKS if t["name"] == "bees")
    vtt = (FIXTURES / "media" / "bees.en.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    cues = [block.splitlines() for block in vtt.split("\n\n")[1:] if block.strip()]
    assert [cue[2] for cue in cues] == [s["text"] for s in bees["sentences"]]
    first = bees["sentences"][0]
    assert cues[0][1] == f"00:00:{first['start']:06.3f} --> 00:00:{first['end']:06.3f}"


def test_silence_is_ten_seconds_and_corrupt_is_undecodable():
    assert decoded_duration(FIXTURES / "media" / "silence.opus") == pytest.approx(10.0, abs=0.02)
    with pytest.raises(av.error.InvalidDataError):
        av.open(str(FIXTURES / "media" / "corrupt.opus"))


def test_fixtures_stay_small():
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    # About 300 KiB of short talks plus three longer ones (~150 KiB each) for the answer-quality tests.
    assert total < 1024 * 1024


# -- server --------------------------------------------------------------------------------


def test_serves_files_with_content_types(media_server):
    for path, expected in [
        ("site/bees.html", "text/html"),
        ("media/bees.en.vtt", "text/vtt"),
        ("media/bees.opus", "audio/ogg"),
    ]:
        status, headers, body = fetch(media_server.url(path))
        assert status == 200
        assert headers["Content-Type"].startswith(expected)
        assert body == (FIXTURES / path).read_bytes()
    status, _, _ = fetch(media_server.url("media/missing.opus"))
    assert status == 404
    status, _, _ = fetch(media_server.url("../pyproject.toml"))
    assert status == 404


def test_range_requests_get_partial_content(media_server):
    data = (FIXTURES / "media" / "lighthouses.opus").read_bytes()
    url = media_server.url("media/lighthouses.opus")

    status, headers, body = fetch(url, {"Range": "bytes=100-199"})
    assert status == 206
    assert body == data[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(data)}"

    status, _, body = fetch(url, {"Range": "bytes=150000-"})
    assert (status, body) == (206, data[150000:])

    status, _, body = fetch(url, {"Range": "bytes=-10"})
    assert (status, body) == (206, data[-10:])

    status, headers, _ = fetch(url, {"Range": f"bytes={len(data)}-"})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(data)}"


def test_status_routes_with_headers_and_a_limited_count(media_server):
    media_server.add_status("/media/lighthouses.opus", 429, headers={"Retry-After": "3"}, times=1)
    url = media_server.url("media/lighthouses.opus")
    status, headers, _ = fetch(url)
    assert (status, headers["Retry-After"]) == (429, "3")
    status, _, _ = fetch(url)
    assert status == 200  # the route answered once, then the file shows through

    media_server.add_status("/boom", 500)
    media_server.add_status("/site/bees.html", 404)
    assert fetch(media_server.url("boom"))[0] == 500
    assert fetch(media_server.url("site/bees.html?x=1"))[0] == 404


def test_redirect_and_custom_bytes_routes(media_server):
    media_server.add_bytes("/blob", b"0123456789", content_type="application/x-test")
    media_server.add_redirect("/short", media_server.url("blob"), status=301)

    status, headers, _ = fetch(media_server.url("short"), follow=False)
    assert (status, headers["Location"]) == (301, media_server.url("blob"))

    status, headers, body = fetch(media_server.url("short"))
    assert (status, headers["Content-Type"], body) == (200, "application/x-test", b"0123456789")
    assert fetch(media_server.url("blob"), {"Range": "bytes=2-4"})[2] == b"234"


def test_records_every_request_and_resets(media_server):
    fetch(media_server.url("site/bees.html?utm=1"))
    fetch(media_server.url("media/bees.en.vtt"), {"Range": "bytes=0-9"})
    assert media_server.paths() == ["/site/bees.html", "/media/bees.en.vtt"]
    assert media_server.requests[0].query == "utm=1"
    assert media_server.requests_for("/media/bees.en.vtt")[0].range == "bytes=0-9"
    media_server.add_status("/x", 500)
    media_server.reset()
    assert media_server.paths() == []
    assert fetch(media_server.url("x"))[0] == 404


def test_standalone_server_stops_cleanly():
    with MediaServer() as server:
        url = server.url("site/nomedia.html")
        assert fetch(url)[0] == 200
    with pytest.raises(urllib.error.URLError):
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2)


def test_yt_dlp_sees_the_pages_as_the_fetcher_expects(media_server):
    import yt_dlp

    opts = {"quiet": True, "no_warnings": True, "noprogress": True, "proxy": ""}
    with yt_dlp.YoutubeDL(opts) as ydl:
        bees = ydl.extract_info(media_server.url("site/bees.html"), download=False)
        lighthouses = ydl.extract_info(media_server.url("site/lighthouses.html"), download=False)
        direct = ydl.extract_info(media_server.url("media/lighthouses.opus"), download=False)
        with pytest.raises(yt_dlp.utils.DownloadError, match="Unsupported URL"):
            ydl.extract_info(media_server.url("site/nomedia.html"), download=False)

    assert bees["title"].startswith("The Secret Life of Honey Bees")
    assert bees["subtitles"]["en"][0]["url"] == media_server.url("media/bees.en.vtt")
    assert [(f["acodec"], f["vcodec"]) for f in bees["formats"]] == [("opus", "none")]
    assert lighthouses["subtitles"] == {}
    assert lighthouses["formats"][0]["url"] == media_server.url("media/lighthouses.opus")
    assert direct["direct"] is True and direct["ext"] == "opus" and direct["vcodec"] == "none"
    assert "/media/bees.opus" not in media_server.paths()  # probing a page fetches no media
