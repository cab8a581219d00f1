"""Media read a piece at a time: lengths measured from the file, not taken from its header, and
audio decoded window by window, so hours of it never sit in memory. Real PyAV on generated files."""

from __future__ import annotations

import tracemalloc

import av
import pytest

from summarizer import media
from summarizer.errors import MediaUnreadable
from summarizer.localfile import probe_file
from summarizer.windows import SAMPLE_RATE, audio_windows
from tests.support.audio import hum_wav, live_webm
from tests.support.mediaserver import FIXTURES

MB = 1024 * 1024


def test_a_local_file_that_declares_no_duration_is_measured(tmp_path):
    path = live_webm(tmp_path / "recorded-live.webm", 90)
    with av.open(str(path)) as container:
        assert container.duration is None  # nothing to read it from

    assert probe_file(path, "file:x").duration_s == pytest.approx(90, abs=0.1)
    assert media.duration_s(path) == pytest.approx(90, abs=0.1)


def test_measuring_stops_once_past_the_limit_and_agrees_with_the_header():
    bees = FIXTURES / "media" / "bees.opus"
    with av.open(str(bees)) as container:
        declared = container.duration / 1e6
    assert media.duration_s(bees) == pytest.approx(declared, abs=0.01)
    assert 10 < media.duration_s(bees, stop_after=10) < 11


def test_unreadable_media_is_named_as_such():
    with pytest.raises(MediaUnreadable, match="could not be decoded as audio"):
        media.duration_s(FIXTURES / "media" / "corrupt.opus")


def test_long_audio_is_decoded_a_window_at_a_time(tmp_path):
    path = hum_wav(tmp_path / "talk.wav", 40 * 60)
    whole = 40 * 60 * SAMPLE_RATE * 4  # the whole talk as float32 samples: 154 MB

    tracemalloc.start()
    try:
        lengths = [len(window) for window in audio_windows(path, window_s=60)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(lengths) == 40 * 60 * SAMPLE_RATE  # every sample, once
    assert all(50 * SAMPLE_RATE <= n <= 70 * SAMPLE_RATE for n in lengths[:-1])  # cut within 10 s of each minute
    assert peak < whole / 4, f"decoding held {peak / MB:.0f} MB at once"
