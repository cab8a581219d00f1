"""Long benchmark media, built from the fixture talk by repetition.

    .venv/bin/python bench/make_media.py [--lengths 10 60] [--out bench/out]

For each length L (minutes) it writes, under the (git-ignored) output folder:

  media/lighthouses-Lm.opus      tests/fixtures/media/lighthouses.opus repeated and cut to L minutes
                                 (ffmpeg concat demuxer, stream copy: no re-encode)
  media/lighthouses-Lm.en.vtt    the talk's sentences (tests/fixtures/talks.json) as cues, shifted
                                 by the talk's length for each repetition
  site/lighthouses-Lm.html       the audio alone, no captions: recap must transcribe (whisper path)
  site/lighthouses-Lm-cc.html    the audio with the caption track (captions path), laid out like
                                 tests/fixtures/site/bees.html

Files already built for the same source are reused.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
OUT = ROOT / "bench" / "out"
TALK = "lighthouses"
FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"


@dataclass(frozen=True)
class Media:
    minutes: int
    audio: Path
    vtt: Path
    whisper_page: str  # paths relative to the server root
    captions_page: str
    duration_s: float
    cues: int


def talk() -> dict:
    return next(t for t in json.loads((FIXTURES / "talks.json").read_text())["talks"] if t["name"] == TALK)


def duration_of(path: Path) -> float:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip())


def stamp(t: float) -> str:
    ms = round(t * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def build(minutes: int, out: Path = OUT) -> Media:
    t = talk()
    source = FIXTURES / t["media"]
    period = duration_of(source)  # one repetition of the talk, as the concatenated stream lays it out
    total = minutes * 60.0
    reps = math.ceil(total / period)
    name = f"{TALK}-{minutes}m"
    (out / "media").mkdir(parents=True, exist_ok=True)
    (out / "site").mkdir(parents=True, exist_ok=True)

    audio = out / "media" / f"{name}.opus"
    if not audio.exists() or audio.stat().st_mtime < source.stat().st_mtime:
        listing = out / "media" / f"{name}.concat.txt"
        listing.write_text("".join(f"file '{source}'\n" for _ in range(reps)))
        tmp = audio.with_suffix(".tmp.opus")
        subprocess.run(
            [
                FFMPEG,
                "-v",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                "-t",
                f"{total:.3f}",
                "-fflags",
                "+bitexact",
                str(tmp),
            ],
            check=True,
        )
        tmp.replace(audio)
        listing.unlink()
    duration = duration_of(audio)

    cues = []
    for r in range(reps):
        for s in t["sentences"]:
            start, end = s["start"] + r * period, s["end"] + r * period
            if end <= duration:
                cues.append(f"{len(cues) + 1}\n{stamp(start)} --> {stamp(end)}\n{s['text']}\n")
    vtt = out / "media" / f"{name}.en.vtt"
    vtt.write_text("WEBVTT\n\n" + "\n".join(cues))

    title = html.escape(t["title"])
    parts = ", ".join(html.escape(x) for x in t["topics"])

    def page(track: bool) -> str:
        track_line = (
            f'  <track kind="captions" srclang="en" label="English" src="../media/{vtt.name}">\n' if track else ""
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n"
            f'<meta name="description" content="A spoken talk: {title}.">\n'
            "</head>\n<body>\n"
            f"<h1>{title}</h1>\n"
            '<audio controls preload="none">\n'
            f'  <source src="../media/{audio.name}" type="audio/ogg; codecs=opus">\n'
            f"{track_line}"
            "</audio>\n"
            f"<p>A talk in {len(t['topics'])} parts: {parts}.</p>\n"
            "</body>\n</html>\n"
        )

    (out / "site" / f"{name}.html").write_text(page(track=False))
    (out / "site" / f"{name}-cc.html").write_text(page(track=True))
    return Media(minutes, audio, vtt, f"site/{name}.html", f"site/{name}-cc.html", duration, len(cues))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[10, 60], metavar="MIN")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    for minutes in args.lengths:
        m = build(minutes, args.out)
        print(
            f"{m.minutes:>3} min: {m.audio} ({m.duration_s:.1f} s, {m.audio.stat().st_size / 1e6:.1f} MB), "
            f"{m.cues} cues; pages {m.whisper_page}, {m.captions_page}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
