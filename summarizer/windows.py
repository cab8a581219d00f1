"""Audio in windows for whisper: a stream of decoded samples cut every few minutes, in a pause.

faster-whisper holds the whole input's spectrogram and voice-activity state in memory, so recap
hands it slices (transcriber.py chooses their length); cutting each in the quietest fifth of a
second near its boundary keeps words whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import media

SAMPLE_RATE = 16_000  # what whisper models hear


def audio_windows(audio: Path, window_s: float) -> Iterator[Any]:
    """The audio of a file, decoded as it goes, in windows of about `window_s` seconds (see windowed())."""
    return windowed(media.samples(audio, SAMPLE_RATE), window_s)


def windowed(chunks: Iterable[Any], window_s: float, search_s: float = 10.0) -> Iterator[Any]:
    """Consecutive slices of about `window_s` seconds of a stream of samples, each cut in the
    quietest fifth of a second within `search_s` of its boundary.

    faster-whisper holds the whole input's spectrogram and VAD state in memory (about 55 MiB per
    minute of audio), and decoded audio takes 3.8 MiB a minute: slices of a stream keep both flat
    however long the video, and cutting in a pause keeps words whole.
    """
    import numpy as np

    search_s = min(search_s, window_s / 4)  # short windows are cut near their length too
    size, reach = int(window_s * SAMPLE_RATE), int(search_s * SAMPLE_RATE)
    held: list[Any] = []
    count = 0
    for chunk in chunks:
        held.append(chunk)
        count += len(chunk)
        if count > size + reach:  # enough to search on both sides of the next boundary
            buffer = np.concatenate(held)
            while len(buffer) > size + reach:
                cut = _quietest_cut(buffer, size, reach)
                yield buffer[:cut]
                buffer = buffer[cut:]
            held, count = [buffer], len(buffer)
    if count:
        yield np.concatenate(held)


def _quietest_cut(samples: Any, at: int, reach: int) -> int:
    import numpy as np

    frame = SAMPLE_RATE // 5
    lo = at - reach
    region = samples[lo : at + reach]
    frames = region[: len(region) // frame * frame].reshape(-1, frame)
    quietest = int(np.argmin((frames.astype(np.float32) ** 2).mean(axis=1)))
    return lo + quietest * frame + frame // 2


def windows(samples: Any, window_s: float, search_s: float = 10.0) -> list[tuple[int, int]]:
    """windowed() of samples already in memory, as (begin, end) sample indices."""
    cuts, at = [], 0
    for window in windowed([samples], window_s, search_s):
        cuts.append((at, at + len(window)))
        at += len(window)
    return cuts
