"""Pages and media that lie or overwhelm: no declared duration, more bytes than a declared duration
can hold, caption tracks that inflate to hundreds of megabytes or run for years. Real yt-dlp
against the local media server, real PyAV; bombs are generated here, never committed."""

from __future__ import annotations

import json
import logging
import tracemalloc
import zlib

import av
import pytest

from summarizer.captions import parse_captions
from summarizer.errors import NotAllowed
from summarizer.fetcher import FetchSettings, YtDlpFetcher
from summarizer.netguard import AddressPolicy
from summarizer.pipeline import key_of
from tests.support.audio import hum_wav
from tests.support.mediaserver import FIXTURES
from tests.support.recap import make_service

MB = 1024 * 1024


def fetcher(**settings) -> YtDlpFetcher:
    return YtDlpFetcher(FetchSettings(policy=AddressPolicy(allow_private=True), **settings))


def audio_page(media_server, name: str, media_url: str, tracks: list[str] = ()) -> str:
    """A page with a bare <audio> element: it says nothing about how long the audio is."""
    track_tags = "".join(f'<track kind="captions" srclang="en" src="{t}">' for t in tracks)
    html = f'<html><body><audio src="{media_url}">{track_tags}</audio></body></html>'
    media_server.add_bytes(f"/site/{name}.html", html.encode(), content_type="text/html")
    return media_server.url(f"site/{name}.html")


def declared_page(media_server, name: str, duration: str, content_url: str) -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "A short talk",
        "description": "x",
        "duration": duration,
        "uploadDate": "2024-01-01",
        "thumbnailUrl": media_server.url("thumb.jpg"),
        "contentUrl": content_url,
    }
    html = f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head></html>'
    media_server.add_bytes(f"/site/{name}.html", html.encode(), content_type="text/html")
    return media_server.url(f"site/{name}.html")


# --- duration limits that pages do not declare ---------------------------------------------


def test_undeclared_long_media_is_measured_and_refused_before_transcription(tmp_path, media_server):
    long = hum_wav(tmp_path / "long.wav", 15 * 60)
    media_server.add_bytes("/media/long.wav", long.read_bytes(), content_type="audio/wav")
    url = audio_page(media_server, "long", "../media/long.wav")
    service = make_service(f"sqlite:///{tmp_path / 'r.sqlite3'}", max_duration_minutes=1)
    stages: list[str] = []

    with pytest.raises(NotAllowed, match=r"longer than the 1:00 limit.*RECAP_MAX_DURATION_MINUTES"):
        service.digest(url, lambda stage, fraction: stages.append(stage))

    assert "downloading" in stages and "transcribing" not in stages
    assert service.store.transcript(key_of(url)) is None


def test_undeclared_media_within_the_limit_gets_its_measured_duration(tmp_path, media_server):
    url = audio_page(media_server, "short", "../media/lighthouses.opus")
    found = fetcher()
    probe = found.probe(url)
    assert probe.video.duration_s == 0  # the page does not say

    found.download_audio(probe, tmp_path, lambda f: None)
    with av.open(str(FIXTURES / "media" / "lighthouses.opus")) as container:
        assert probe.video.duration_s == pytest.approx(container.duration / 1e6, abs=0.05)


@pytest.mark.parametrize("send_length", [True, False], ids=["announced", "unannounced"])
def test_media_far_heavier_than_its_declared_duration_is_not_downloaded(tmp_path, media_server, send_length):
    heavy = bytes(20 * MB)  # "one second" of audio weighing 20 MB
    media_server.add_bytes("/media/heavy.opus", heavy, content_type="audio/ogg", send_length=send_length)
    url = declared_page(media_server, "heavy", "PT1S", media_server.url("media/heavy.opus"))
    found = fetcher()
    probe = found.probe(url)
    assert probe.video.duration_s == 1

    with pytest.raises(NotAllowed, match=r"far larger than 0:01 of it can be"):
        found.download_audio(probe, tmp_path, lambda f: None)
    # Stopped at the first chunk when the size is announced; else within a block (yt-dlp reads up
    # to 4 MB at a time) of the 8 MB that a second of audio and its headers may take.
    assert all(p.stat().st_size < 15 * MB for p in tmp_path.iterdir())


# --- caption tracks ------------------------------------------------------------------------


def gzip_bomb(inflated: int) -> bytes:
    """A WebVTT track of `inflated` bytes, gzip-compressed to under a thousandth of that."""
    cue = b"00:00:01.000 --> 00:00:02.000\nbuzz buzz buzz buzz\n\n"
    block = (cue * (MB // len(cue) + 1))[:MB]
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(b"WEBVTT\n\n")]
    parts += [packer.compress(block) for _ in range(inflated // MB)]
    return b"".join(parts) + packer.flush()


def test_a_caption_gzip_bomb_is_skipped_without_inflating_it(media_server, caplog):
    bomb = gzip_bomb(300 * MB)
    assert len(bomb) < MB
    media_server.add_bytes("/media/bomb.vtt", bomb, content_type="text/vtt", headers={"Content-Encoding": "gzip"})
    url = audio_page(media_server, "bomb", "../media/bees.opus", tracks=["../media/bomb.vtt", "../media/bees.en.vtt"])
    found = fetcher()
    probe = found.probe(url)

    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING, logger="summarizer.fetcher"):
            transcript = found.captions(probe)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 40 * MB, f"reading the captions held {peak / MB:.0f} MB at once"
    assert "larger than 5.0 MB once decompressed" in caplog.text and "bomb.vtt" in caplog.text
    # The bomb is skipped and the next track in the language is used.
    expected = parse_captions((FIXTURES / "media" / "bees.en.vtt").read_text(), "vtt")
    assert transcript is not None and transcript.source == "captions"
    assert transcript.segments == expected
    assert [r.path for r in media_server.requests if r.path.endswith(".vtt")] == [
        "/media/bomb.vtt",
        "/media/bees.en.vtt",
    ]


def test_captions_of_an_undeclared_length_past_the_limit_are_refused(media_server):
    track = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello there.\n\n2777:46:40.000 --> 2777:46:41.000\nStill here.\n"
    media_server.add_bytes("/media/forever.vtt", track.encode(), content_type="text/vtt")
    url = audio_page(media_server, "forever", "../media/bees.opus", tracks=["../media/forever.vtt"])
    found = fetcher()
    with pytest.raises(NotAllowed, match=r"captions run to 2777:46:40; the limit here is 4:00:00"):
        found.captions(found.probe(url))
