"""Offline answers: time per question on a 60-minute transcript, and quality on the question sets.

    .venv/bin/python bench/answers.py              # timing, and quality on captions and audio
    .venv/bin/python bench/answers.py --no-audio   # skip transcribing the five talks (~1 minute)

Timing, in this one process, on a transcript of about 60 minutes built from the five fixture talks
(tests/fixtures/talks.json) repeated with their times shifted and each repetition's sentences
varied, so that no two are the same text:
  cold   a fresh encoder: load the model, encode every sentence, answer the first question
  new    the model loaded, a transcript it has not seen: encode it, answer
  warm   the transcript's vectors cached: each further question (median and p90 of the questions)
  BM25   the same questions answered by BM25 alone (AnswerFinder(hybrid=False)), the baseline
Ratios are against the BM25 baseline measured in the same run.

Quality: every question set of tests/fixtures/questions/ against the captions (and the whisper
tiny.en transcript) of its talk, BM25 alone vs hybrid, as tests/test_answer_quality.py counts.
Results go to BENCHMARKS.md between its answers markers (the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import machine  # noqa: E402

from summarizer.answers import AnswerFinder  # noqa: E402
from summarizer.embedding import SentenceEncoder  # noqa: E402
from summarizer.models import Answer, Segment, Transcript, Turn, Video  # noqa: E402
from summarizer.text import units  # noqa: E402
from tests.support.question_sets import Rates, measure, question_sets  # noqa: E402
from tests.support.talk_fixtures import FIXTURES, TALKS, sentence_transcript, video, vtt_transcript  # noqa: E402

REPORT = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:answers -->", "<!-- /bench:answers -->"
# Said at the start of a repeated sentence, so that each repetition is its own text.
VARIATIONS = ["", "Again, ", "As I said, ", "Once more, ", "To repeat, ", "Remember, ", "In short, ", "Like before, "]
MAX_WARM_S = 0.5  # the target for a warm answer on a 60-minute transcript, two cores


def long_transcript(minutes: float = 60.0) -> Transcript:
    segments: list[Segment] = []
    offset, round_ = 0.0, 0
    while offset < minutes * 60:
        for talk in TALKS.values():
            for s in talk["sentences"]:
                prefix = VARIATIONS[round_ % len(VARIATIONS)]
                text = prefix + s["text"][0].lower() + s["text"][1:] if prefix else s["text"]
                segments.append(
                    Segment(start=round(offset + s["start"], 3), end=round(offset + s["end"], 3), text=text)
                )
            offset += talk["duration"]
        round_ += 1
    return Transcript(segments=segments, source="captions", language="en")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds: CPU time (all the process's threads) is what load on a shared machine
    does not inflate."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def timing(questions: list[str]) -> list[str]:
    transcript = long_transcript()
    n_units = len(units(transcript.segments))
    v = Video(key="bench:60min", url="https://example.com/long", title="Long", duration_s=3600, language="en")
    other = Video(key="bench:60min-b", url="https://example.com/long-b", title="Long", duration_s=3600, language="en")
    before = rss_mb()
    encoder = SentenceEncoder()
    hybrid = AnswerFinder(encoder=encoder)
    load = timed(lambda: encoder.encode(["warm up"]))
    loaded = rss_mb()
    cold = timed(lambda: hybrid.answer(v, transcript, questions[0], []))
    cold = (cold[0] + load[0], cold[1] + load[1])
    encoded = rss_mb()
    new = timed(lambda: hybrid.answer(other, transcript, questions[1], []))
    lexical = AnswerFinder(hybrid=False)
    warm, bm25 = [], []
    for q in questions:  # alternate, so that load on the machine hits both alike
        warm.append(timed(lambda q=q: hybrid.answer(v, transcript, q, [])))
        bm25.append(timed(lambda q=q: lexical.answer(v, transcript, q, [])))

    def stats(runs: list[tuple[float, float]], at: int) -> tuple[float, float]:
        values = [r[at] for r in runs]
        return statistics.median(values), statistics.quantiles(values, n=10)[-1]

    (mw, pw), (mb, pb) = stats(warm, 0), stats(bm25, 0)
    (mwc, pwc), (mbc, pbc) = stats(warm, 1), stats(bm25, 1)
    ok = "✅" if pw < MAX_WARM_S else "❌"
    return [
        f"Transcript: {transcript.end / 60:.0f} minutes, {len(transcript.segments)} segments, {n_units} sentences; "
        f"{len(questions)} questions; encoder threads {encoder.threads}; 1-minute load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        "| | wall s | CPU s | wall vs BM25 alone (median) |",
        "|---|---|---|---|",
        f"| load the model (first use in the process) | {load[0]:.2f} | {load[1]:.2f} | |",
        f"| cold: load, encode the transcript, answer | {cold[0]:.2f} | {cold[1]:.2f} | {cold[0] / mb:.0f}x |",
        f"| new transcript, model loaded: encode, answer | {new[0]:.2f} | {new[1]:.2f} | {new[0] / mb:.0f}x |",
        f"| warm answer, median | {mw:.3f} | {mwc:.3f} | {mw / mb:.1f}x |",
        f"| warm answer, p90 (target < {MAX_WARM_S} s) | {pw:.3f} {ok} | {pwc:.3f} | {pw / pb:.1f}x (of BM25's p90) |",
        f"| BM25 alone, median / p90 | {mb:.3f} / {pb:.3f} | {mbc:.3f} / {pbc:.3f} | 1x |",
        "",
        f"Resident memory: {before:.0f} MB before the encoder, {loaded:.0f} MB with the model loaded "
        f"(+{loaded - before:.0f} MB), {encoded:.0f} MB with the 60-minute transcript's vectors and index.",
    ]


def quality(audio: bool) -> list[str]:
    sets = question_sets()
    paths: dict[str, dict[str, Transcript]] = {"captions": {}}
    for qs in sets:
        vtt = FIXTURES / "media" / f"{qs.talk}.en.vtt"
        paths["captions"][qs.talk] = vtt_transcript(qs.talk) if vtt.is_file() else sentence_transcript(qs.talk)
    if audio:
        from summarizer.transcriber import WhisperTranscriber

        whisper = WhisperTranscriber(cpu_threads=2)
        paths["audio (whisper tiny.en)"] = {
            qs.talk: whisper.transcribe(FIXTURES / "media" / f"{qs.talk}.opus", "en", lambda _: None) for qs in sets
        }
    rows = [
        "| Path | Sets | Retrieval | Answered right | Right moment (±3 s) | Off-topic refused |",
        "|---|---|---|---|---|---|",
    ]
    for path, texts in paths.items():
        for held in (False, True):
            chosen = [qs for qs in sets if qs.held_out == held]
            for name, finder in (("BM25 alone", AnswerFinder(hybrid=False)), ("hybrid", AnswerFinder())):
                r = Rates()
                for qs in chosen:
                    v = video(qs.talk)

                    def ask(t: Transcript, q: str, turns: list[Turn], v: Video = v, f: AnswerFinder = finder) -> Answer:
                        return f.answer(v, t, q, turns)

                    r = r.add(measure(qs, texts[qs.talk], ask))
                label = "held out (" + ", ".join(qs.talk for qs in chosen) + ")" if held else "tuning"
                right = f"{r.right}/{r.answerable} ({r.right_rate:.0%})"
                moment = f"{r.right_moment}/{r.answerable} ({r.moment_rate:.0%})"
                refused = f"{r.refused}/{r.off_topic} ({r.refused_rate:.0%})"
                rows.append(f"| {path} | {label} | {name} | {right} | {moment} | {refused} |")
    return rows


def write_report(text: str) -> None:
    block = f"{BEGIN}\n{text}\n{END}"
    current = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    if BEGIN in current and END in current:
        before, rest = current.split(BEGIN, 1)
        REPORT.write_text(before + block + rest.split(END, 1)[1], encoding="utf-8")
    else:
        REPORT.write_text(current.rstrip("\n") + f"\n\n## Offline answers\n\n{block}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-audio", action="store_true", help="quality on the captions path only")
    parser.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    started = time.time()
    questions = [a.question for qs in question_sets() for a in qs.answerable if not a.after][:40]
    lines = timing(questions)
    lines += ["", "Quality on the question sets (tests/fixtures/questions/):", "", *quality(not args.no_audio)]
    command = "`.venv/bin/python bench/answers.py" + (" --no-audio`" if args.no_audio else "`")
    header = [
        f"Command: {command} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {(time.time() - started) / 60:.1f} min in all)",
        "",
        f"Machine: {machine()}",
        "",
    ]
    text = "\n".join(header + lines)
    print(text)
    if not args.no_report:
        write_report(text)


if __name__ == "__main__":
    main()
