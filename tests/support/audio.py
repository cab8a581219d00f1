"""Audio made on the spot for tests that need it long: minutes of it cost nothing to write."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np


def hum_wav(path: Path, seconds: int, rate: int = 8000) -> Path:
    """8-bit WAV of a low hum (not silence, so that pause-finding has something to do)."""
    hum = (np.sin(np.arange(rate) * 2 * np.pi * 110 / rate) * 20 + 128).astype(np.uint8).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        for _ in range(seconds):
            out.writeframes(hum)
    return path


def live_webm(path: Path, seconds: int) -> Path:
    """Opus in WebM written as a live encoder writes it: no Duration element in the header."""
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        silence = np.zeros((1, 48000), dtype=np.int16)
        for _ in range(seconds):
            frame = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
