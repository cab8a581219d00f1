"""Recap's whisper path against plain faster-whisper: speed, word error rate and segments, one run.

    .venv/bin/python bench/transcription.py                       # 15 minutes x 3, and the fixture talks
    .venv/bin/python bench/transcription.py --runs 1 --no-report  # a quick look

End to end, as issue 14 asks, each in its own process (bench/run.py's `measure`: wall, CPU, peak RSS):

  plain   bench/baseline.py ytdlp URL --audio (probe + download), then bench/baseline.py whisper FILE:
          plain `WhisperModel.transcribe`, sequential, with recap's model and settings
  recap   `recap summarize URL --json` on a fresh SQLite store, with the defaults this machine gets
          (on a CPU: batched decoding, two windows at once on one thread each), and with
          --sequential also RECAP_WHISPER_BATCH=0 RECAP_WHISPER_WORKERS=1 (the defaults before)

on the fixture talk repeated to 15 minutes (bench/make_media.py), with no captions. The order of the
sides alternates between repetitions; times are medians. Accuracy: word error rate against the
talk's script (bench/wer.py), the share of the script's sentences that some segment starts within
3 s of, and segment counts; recap's transcript is read from its store.

Then transcription alone, timed once the model is loaded, each side in a fresh process: the same
15 minutes by plain sequential faster-whisper and by recap's WhisperTranscriber with its defaults,
alternating (what the fixed costs of probing, downloading and writing leave of the speed-up); and,
in this process, the spoken fixture talks (tests/fixtures/talks.json) by both, for the WER
comparison the issue asks for.
The tables and the command go to BENCHMARKS.md between its transcription markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_media import OUT, build  # noqa: E402
from run import BASELINE, PY, RECAP, Cell, clean_env, machine, measure, warm_up, write_report  # noqa: E402
from wer import starts_within, wer  # noqa: E402

from summarizer.transcriber import WhisperTranscriber  # noqa: E402
from tests.support.mediaserver import MediaServer  # noqa: E402

BEGIN, END = "<!-- bench:transcription -->", "<!-- /bench:transcription -->"
MIN_SPEEDUP = 1.4  # issue 14
MAX_WER_LOSS = 0.01  # one point


def reference(vtt: Path) -> tuple[str, list[float]]:
    from summarizer.captions import parse_captions

    segments = parse_captions(vtt.read_text(), "vtt")
    return " ".join(s.text for s in segments), [s.start for s in segments]


def stored_transcript(db: Path) -> list[list]:
    """[start, end, text] of each segment, as bot/store.py keeps them."""
    with sqlite3.connect(db) as conn:
        [(segments,)] = conn.execute("SELECT segments_json FROM transcripts").fetchall()
    return json.loads(segments)


def end_to_end(minutes: int, runs: int, sides: list[str], work: Path) -> dict:
    media = build(minutes)
    ref_text, ref_starts = reference(media.vtt)
    cells = {side: Cell() for side in sides}
    quality: dict[str, dict] = {}
    with MediaServer(OUT) as server:
        url = server.url(media.whisper_page)
        warm_up(clean_env(), work)
        for rep in range(runs):
            order = sides if rep % 2 == 0 else list(reversed(sides))
            for side in order:
                env = clean_env()
                if side == "plain":
                    dest = work / f"dl-{rep}"
                    shutil.rmtree(dest, ignore_errors=True)
                    y = measure([str(PY), str(BASELINE), "ytdlp", url, "--audio", str(dest)], env, "plain yt-dlp", work)
                    w = measure(
                        [str(PY), str(BASELINE), "whisper", json.loads(y.out)["file"]],
                        env,
                        "plain faster-whisper",
                        work,
                    )
                    # One process after the other, as a person would run them: the sums are the side's.
                    y.wall_s += w.wall_s
                    y.cpu_s += w.cpu_s
                    y.rss_mb = max(y.rss_mb, w.rss_mb)
                    cells[side].add(y)
                    got = json.loads(w.out)
                    quality[side] = {"text": got["text"], "starts": got["starts"]}
                    shutil.rmtree(dest, ignore_errors=True)
                    continue
                db = work / f"transcription-{side}-{rep}.sqlite3"
                db.unlink(missing_ok=True)
                env["RECAP_DATABASE_URL"] = f"sqlite:///{db}"
                if side == "recap sequential":
                    env["RECAP_WHISPER_BATCH"], env["RECAP_WHISPER_WORKERS"] = "0", "1"
                run = measure([str(RECAP), "summarize", url, "--json"], env, f"{side} summarize", work)
                assert json.loads(run.out)["transcript"]["source"] == "whisper"
                cells[side].add(run)
                segments = stored_transcript(db)
                text = " ".join(text for _, _, text in segments)
                quality[side] = {"text": text, "starts": [start for start, _, _ in segments]}
                db.unlink(missing_ok=True)
    rows = {}
    for side in sides:
        q = quality[side]
        rows[side] = {
            "wall": cells[side].wall,
            "cpu": cells[side].cpu,
            "rss": cells[side].peak,
            "walls": cells[side].walls,
            "wer": wer(ref_text, q["text"]),
            "segments": len(q["starts"]),
            "starts_3s": starts_within(ref_starts, q["starts"]),
        }
    return {"minutes": minutes, "runs": runs, "duration_s": media.duration_s, "cues": len(ref_starts), "rows": rows}


def plain_model() -> Any:
    from faster_whisper import WhisperModel

    from summarizer.transcriber import bundled_model_path

    return WhisperModel(str(bundled_model_path()), device="auto", compute_type="int8", local_files_only=True)


def transcription_only(minutes: int, runs: int, work: Path) -> dict:
    """Seconds to transcribe the talk once the model is loaded, each side in a fresh process (an
    in-process run pays for whatever else the process holds: the garbage collector walks it all):
    plain sequential faster-whisper (bench/baseline.py) against recap's WhisperTranscriber, defaults."""
    audio = build(minutes).audio
    env = clean_env()
    commands = {
        "plain": [str(PY), str(BASELINE), "whisper", str(audio)],
        "recap": [str(PY), str(Path(__file__).resolve()), "--transcribe", str(audio)],
    }
    times: dict[str, list[float]] = {"plain": [], "recap": []}
    for rep in range(runs):
        for side in ["plain", "recap"] if rep % 2 == 0 else ["recap", "plain"]:
            run = measure(commands[side], env, f"{side}, transcription alone", work)
            times[side].append(json.loads(run.out)["transcribe_s"])
    return {side: statistics.median(t) for side, t in times.items()}


def recap_transcription(audio: Path) -> dict:
    """For transcription_only: recap's transcriber with its defaults, timed once the model is loaded."""
    recap = WhisperTranscriber()
    _ = recap.model
    start = time.perf_counter()
    transcript = recap.transcribe(audio, None, lambda f: None)
    return {"transcribe_s": round(time.perf_counter() - start, 3), "segments": len(transcript.segments)}


def fixture_talks() -> list[dict]:
    """Plain sequential faster-whisper against recap's transcriber (its defaults) on each spoken fixture talk."""
    from summarizer.transcriber import WhisperTranscriber
    from tests.support.talk_fixtures import FIXTURES, TALKS

    model, recap = plain_model(), WhisperTranscriber()
    rows = []
    for name, talk in TALKS.items():
        audio = FIXTURES / talk["media"]
        ref = " ".join(s["text"] for s in talk["sentences"])
        ref_starts = [s["start"] for s in talk["sentences"]]
        pieces, _ = model.transcribe(
            str(audio), language="en", vad_filter=True, condition_on_previous_text=False, beam_size=1
        )
        plain = [(p.start, p.text.strip()) for p in pieces if p.text.strip()]
        ours = recap.transcribe(audio, None, lambda f: None).segments
        rows.append(
            {
                "talk": name,
                "words": len(ref.split()),
                "plain_wer": wer(ref, " ".join(t for _, t in plain)),
                "recap_wer": wer(ref, " ".join(s.text for s in ours)),
                "plain_segments": len(plain),
                "recap_segments": len(ours),
                "plain_starts": starts_within(ref_starts, [s for s, _ in plain]),
                "recap_starts": starts_within(ref_starts, [s.start for s in ours]),
            }
        )
        print(f"  {name}: WER plain {rows[-1]['plain_wer']:.1%}, recap {rows[-1]['recap_wer']:.1%}", flush=True)
    return rows


def md(head: list[str], rows: list[list[str]]) -> str:
    return "\n".join(
        ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )


def report(e2e: dict, alone: dict, talks: list[dict], command: str, info: str, defaults: str, load: str) -> str:
    rows = e2e["rows"]
    plain = rows["plain"]
    table = []
    for side, r in rows.items():
        speedup = plain["wall"] / r["wall"] if r["wall"] else 0.0
        ok = "" if side == "plain" else (" ✅" if speedup >= MIN_SPEEDUP else " ❌")
        table.append(
            [
                side,
                f"{r['wall']:.2f}",
                f"{speedup:.2f}x{ok}",
                f"{e2e['duration_s'] / r['wall']:.0f}x",
                f"{r['cpu']:.1f}",
                f"{r['rss']:.0f}",
                f"{r['wer']:.1%}",
                str(r["segments"]),
                f"{r['starts_3s']:.0%}",
            ]
        )
    words = sum(t["words"] for t in talks) or 1
    plain_wer = sum(t["plain_wer"] * t["words"] for t in talks) / words
    recap_wer = sum(t["recap_wer"] * t["words"] for t in talks) / words
    talk_rows = [
        [
            t["talk"],
            f"{t['plain_wer']:.1%}",
            f"{t['recap_wer']:.1%}",
            f"{t['plain_segments']} / {t['recap_segments']}",
            f"{t['plain_starts']:.0%} / {t['recap_starts']:.0%}",
        ]
        for t in talks
    ]
    ok_wer = "✅" if recap_wer <= plain_wer + MAX_WER_LOSS else "❌"
    talk_rows.append(["**all** (by words)", f"{plain_wer:.1%}", f"{recap_wer:.1%} {ok_wer}", "", ""])
    return (
        f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
        f"Machine: {info}; {load}. recap's defaults here: {defaults}.\n\n"
        f"End to end, {e2e['minutes']} minutes of uncaptioned speech ({e2e['cues']} sentences), median of "
        f"{e2e['runs']}: plain = yt-dlp + faster-whisper (two processes), recap = `recap summarize URL`:\n\n"
        + md(
            [
                "side",
                "wall s",
                "speedup vs plain",
                "real time",
                "CPU s",
                "peak RSS MiB",
                "WER",
                "segments",
                "sentences started ±3 s",
            ],
            table,
        )
        + f"\n\nTranscription alone, model loaded, same {e2e['minutes']} minutes (median of {e2e['runs']}, a fresh "
        f"process each): plain {alone['plain']:.2f} s, recap {alone['recap']:.2f} s, "
        f"**{alone['plain'] / alone['recap']:.2f}x**.\n\n"
        "The spoken fixture talks, transcription only (plain sequential faster-whisper / recap's defaults):\n\n"
        + md(["talk", "WER plain", "WER recap", "segments", "sentences started ±3 s"], talk_rows)
        + f"\n\nTargets (issue 14): recap at least {MIN_SPEEDUP}x faster than plain end to end; WER no more than "
        "one point worse; sentence-sized segments."
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=int, default=15)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--sequential", action="store_true", help="also recap as before: sequential, one window")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--transcribe", type=Path, help=argparse.SUPPRESS)  # one side of transcription_only
    args = p.parse_args(argv)
    if args.transcribe:
        print(json.dumps(recap_transcription(args.transcribe)))
        return 0

    command = ".venv/bin/python bench/transcription.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "")
    work = OUT / "work"
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    before = os.getloadavg()[0]
    sides = ["plain", "recap"] + (["recap sequential"] if args.sequential else [])
    e2e = end_to_end(args.minutes, args.runs, sides, work)
    print("transcription alone (a fresh process each)", flush=True)
    alone = transcription_only(args.minutes, args.runs, work)
    print("fixture talks (in process)", flush=True)
    talks = fixture_talks()
    load = f"1-minute load average {before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    recap = WhisperTranscriber()
    defaults = f"batch {recap.batch}, {recap.workers} window(s) at once on {recap.threads_per_worker} thread(s) each"
    text = report(e2e, alone, talks, command, info, defaults, load)
    print("\n" + text)
    result = {"end_to_end": e2e, "transcription_only": alone, "talks": talks}
    (OUT / "transcription.json").write_text(json.dumps(result, indent=2))
    if not args.no_report:
        write_report(text, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
