"""A media file read a piece at a time: how long it really is, and its audio as 16 kHz samples.

Neither takes the page's or the container header's word for the length. A page that declares no
duration (15 minutes of audio passed a 1-minute limit that way) is measured from the timestamps
of its audio packets, which costs a read of the file but no decoding; and the audio is decoded a
few seconds at a time, so hours of it never sit in memory at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .errors import MediaUnreadable

_PIECE_S = 10  # seconds of decoded audio resampled at a time
T = TypeVar("T")


def measured_s(container: Any, stop_after: float | None = None) -> float:
    """Seconds from the first to the end of the last audio packet of an open PyAV container.

    `stop_after`: stop reading once the media is known to be longer than this.
    """
    stream = container.streams.audio[0]
    first = end = None
    for packet in container.demux(stream):
        if packet.pts is None:  # the flush packet at the end
            continue
        last = packet.pts + (packet.duration or 0)
        first = packet.pts if first is None else min(first, packet.pts)
        end = last if end is None else max(end, last)
        if stop_after is not None and float((end - first) * stream.time_base) > stop_after:
            break
    if first is None:  # no timestamps at all: the header is all there is to go on
        return _header_s(container)
    return float((end - first) * stream.time_base)


def duration_s(path: Path, stop_after: float | None = None) -> float:
    """The measured length of a downloaded file's audio (see `measured_s`)."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise MediaUnreadable("The media has no audio track to transcribe.")
            return measured_s(container, stop_after)
    except av.error.FFmpegError as exc:
        raise MediaUnreadable(f"The media could not be decoded as audio ({type(exc).__name__}).") from exc


def declared_s(path: Path) -> float:
    """The length a file's header declares (0 if none): cheap, but only as true as the file. For
    progress; limits use `duration_s`, which measures."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return _header_s(container)
    except av.error.FFmpegError:
        return 0.0


def _header_s(container: Any) -> float:
    return max(0.0, (container.duration or 0) / 1_000_000)  # PyAV reports microseconds


def samples(path: Path, rate: int) -> Iterator[Any]:
    """The first audio track of `path` as mono float32 numpy arrays at `rate`, in pieces of
    seconds. PyAV's errors (ValueError, OSError subclasses) pass through to the caller."""
    import av
    import numpy as np

    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=rate)
    fifo = av.audio.fifo.AudioFifo()
    with av.open(str(path), metadata_errors="ignore") as container:
        for frame in _valid_frames(container.decode(audio=0)):
            frame.pts = None  # the FIFO checks timestamps for continuity; decoded ones need not be
            fifo.write(frame)
            if fifo.samples >= frame.sample_rate * _PIECE_S:
                yield from _resampled(resampler, fifo.read(), np)
        if fifo.samples:
            yield from _resampled(resampler, fifo.read(), np)
        yield from _resampled(resampler, None, np)  # what the resampler still holds


def _valid_frames(frames: Iterator[Any]) -> Iterator[Any]:
    import av

    # A damaged packet here and there is skipped, as faster-whisper's own decoder does.
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def _resampled(resampler: Any, frame: Any, np: Any) -> Iterator[Any]:
    for out in resampler.resample(frame):
        yield out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0


def ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """`items`, with the next one made in a background thread while the caller works on this one.

    For decoding the next window of audio while whisper transcribes the current one: PyAV and
    CTranslate2 both release the GIL. One item waits at most, so memory grows by one window. The
    producer's exceptions are raised here, and a caller that stops early (an error, a refusal) stops
    the producer too, which closes the media file.
    """
    done = object()
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="decode-ahead", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting to hand over
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                continue
        worker.join()
