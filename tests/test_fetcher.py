"""The fetcher's decisions that the local media server cannot stage: YouTube's caption languages,
live streams, and what yt-dlp's error text turns into for a user."""

from __future__ import annotations

import pytest
from yt_dlp.utils import DownloadError

from summarizer.errors import FetchFailed, NotAllowed, NotConfigured, UnsupportedSite, VideoUnavailable
from summarizer.extractive import ExtractiveWriter
from summarizer.fetcher import FetchSettings, Probe, YtDlpFetcher, _pick_language
from summarizer.models import Video
from summarizer.netguard import AddressPolicy
from summarizer.pipeline import Summarizer
from summarizer.transcriber import CaptionsOnlyTranscriber, WhisperTranscriber
from summarizer.ytdlp_errors import explain

YOUTUBE_AUTO = {lang: [{"ext": "json3", "url": f"https://x/{lang}"}] for lang in ("de", "en", "fr-orig", "fr", "ja")}


@pytest.mark.parametrize(
    "tracks, lang, automatic, expected",
    [
        (YOUTUBE_AUTO, None, True, "fr-orig"),  # the spoken language, not a machine translation
        (YOUTUBE_AUTO, "en", True, "fr-orig"),
        ({"de": [], "en": []}, "de", True, "de"),
        ({"de": [], "en-US": []}, None, True, "en-US"),
        ({"de": [], "ja": []}, None, True, None),  # only translations into other languages: none
        ({"pt-BR": [], "en": []}, "pt", False, "pt-BR"),
        ({"ja": []}, "en", False, "ja"),  # a real manual track beats whisper
        ({}, "en", False, None),
    ],
)
def test_caption_language_choice(tracks, lang, automatic, expected):
    assert _pick_language(tracks, lang, automatic) == expected


def probe_of(**info) -> Probe:
    return Probe(
        Video(
            key="youtube:x",
            url="https://y/x",
            title="t",
            duration_s=info.get("duration", 60),
            is_live=bool(info.get("is_live")),
        ),
        info,
    )


@pytest.mark.parametrize(
    "info, words",
    [
        ({"is_live": True, "live_status": "is_live"}, "live stream"),
        ({"live_status": "is_upcoming"}, "not started yet"),
        ({"duration": 4 * 3600 + 1}, "4:00:01 long; the limit here is 4:00:00"),
    ],
)
def test_live_upcoming_and_too_long_are_refused(info, words):
    with pytest.raises(NotAllowed, match=words):
        YtDlpFetcher()._refuse_unwanted(probe_of(**info).video, info)


def test_a_recording_within_limits_passes():
    info = {"live_status": "was_live", "duration": 3600}
    YtDlpFetcher()._refuse_unwanted(probe_of(**info).video, info)


@pytest.mark.parametrize(
    "message, cls, words",
    [
        (
            "ERROR: [youtube] abc: Sign in to confirm you’re not a bot. Use --cookies-from-browser",
            FetchFailed,
            "RECAP_COOKIES_FILE",
        ),
        (
            "ERROR: [youtube] abc: Join this channel to get access to members-only content",
            VideoUnavailable,
            "members only",
        ),
        ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", VideoUnavailable, "private"),
        (
            "ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader",
            VideoUnavailable,
            "unavailable",
        ),
        ("ERROR: Unable to download webpage: HTTP Error 429: Too Many Requests", FetchFailed, "429"),
        ("ERROR: Unsupported URL: https://example.com/", UnsupportedSite, "no video"),
        ("ERROR: [vimeo] 1: Something entirely new happened", FetchFailed, "Something entirely new happened"),
    ],
)
def test_ytdlp_errors_become_one_actionable_line(message, cls, words):
    error = explain(DownloadError(message), warnings=[], runtimes=["node"])
    assert isinstance(error, cls) and words in str(error)
    assert "ERROR:" not in str(error) and "\n" not in str(error)


def test_rate_limit_errors_are_marked_for_backoff():
    assert explain(DownloadError("HTTP Error 429: Too Many Requests"), [], ["node"]).rate_limited
    assert not explain(DownloadError("HTTP Error 404: Not Found"), [], ["node"]).rate_limited


def test_missing_javascript_runtime_is_named():
    warnings = ["[youtube] No supported JavaScript runtime could be found. Only deno is enabled by default"]
    error = explain(DownloadError("ERROR: [youtube] abc: Requested format is not available"), warnings, runtimes=[])
    assert isinstance(error, NotConfigured) and "deno or Node.js" in str(error)
    # With a runtime on the PATH the same failure is not blamed on a missing one.
    assert not isinstance(
        explain(DownloadError("Requested format is not available"), warnings, ["node"]), NotConfigured
    )


def test_captions_only_refuses_a_video_without_captions(media_server):
    fetcher = YtDlpFetcher(FetchSettings(policy=AddressPolicy(allow_private=True)))
    summarizer = Summarizer(fetcher, CaptionsOnlyTranscriber(), ExtractiveWriter())
    with pytest.raises(NotConfigured, match="no captions"):
        summarizer.transcript(media_server.url("site/lighthouses.html"))
    assert summarizer.transcript(media_server.url("site/bees.html"))[1].source == "captions"


def test_a_whisper_model_missing_offline_falls_back_to_the_bundled_one(caplog, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache: nothing is there
    transcriber = WhisperTranscriber(model="small", download=False)
    with caplog.at_level("WARNING"):
        model = transcriber.model
    assert not model.model.is_multilingual  # tiny.en
    assert "using the bundled tiny.en model" in caplog.text


def test_a_bad_cookies_file_is_named(tmp_path):
    fetcher = YtDlpFetcher(FetchSettings(cookies_file=tmp_path / "nope.txt"))
    with pytest.raises(NotConfigured, match="RECAP_COOKIES_FILE"):
        fetcher._params([], None)


def test_long_audio_is_cut_in_pauses_into_windows():
    import numpy as np

    from summarizer.windows import SAMPLE_RATE, windows

    rate = SAMPLE_RATE
    rng = np.random.default_rng(0)
    audio = rng.uniform(-0.5, 0.5, 23 * 60 * rate).astype(np.float32)  # 23 minutes of "speech"
    for pause in (298, 603):  # half-second pauses near the five-minute marks
        audio[pause * rate : int((pause + 0.5) * rate)] = 0.0
    cuts = windows(audio, window_s=300)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))  # contiguous: nothing lost, nothing twice
    assert 298 <= cuts[0][1] / rate <= 298.5 and 603 <= cuts[1][1] / rate <= 603.5
    assert len(cuts) == 5
