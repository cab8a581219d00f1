"""Benchmark `recap summarize` against plain yt-dlp and plain faster-whisper, in the same run.

    .venv/bin/python bench/run.py                       # 10 and 60 minutes, both paths
    .venv/bin/python bench/run.py --lengths 10 --runs 1 # a quick look

Media: the fixture talk repeated to each length (bench/make_media.py), served by the tests' local
MediaServer (tests/support/mediaserver.py) from bench/out/. For each length and path it measures,
each in its own process (wall time, and peak RSS from wait4's rusage):

  captions path  (a) plain yt-dlp: probe the page and fetch the VTT track
                 (c) recap summarize URL --json, fresh SQLite store
                 (d) the same command again: served from the store
  whisper path   (a) plain yt-dlp: probe the page and download the audio recap would pick
                 (b) plain faster-whisper on that file, with recap's model and settings
                 (c), (d) as above

Baselines and recap alternate in order from one repetition to the next; each figure is the median
of the repetitions. Results are ratios against baselines measured in the same run on the same
machine, not absolute claims. The table, the command and the machine go to BENCHMARKS.md, between
its results markers (the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_media import OUT, build  # noqa: E402

from tests.support.mediaserver import MediaServer  # noqa: E402

PY = ROOT / ".venv" / "bin" / "python"
RECAP = ROOT / ".venv" / "bin" / "recap"
BASELINE = ROOT / "bench" / "baseline.py"
REPORT = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:results -->", "<!-- /bench:results -->"
# Targets from the issue.
MAX_OVERHEAD = 0.10
MIN_REPEAT_SPEEDUP = 100.0


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system: far less sensitive than wall time to other load on the machine
    rss_mb: float
    out: str
    err: str


@dataclass
class Cell:
    """One measured thing (e.g. 'recap first, 60 min, whisper path') over the repetitions."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.walls.append(run.wall_s)
        self.cpus.append(run.cpu_s)
        self.rss.append(run.rss_mb)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else 0.0

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else 0.0

    @property
    def peak(self) -> float:
        return max(self.rss) if self.rss else 0.0


def measure(cmd: list[str], env: dict[str, str], label: str, work: Path) -> Run:
    """Run `cmd` in its own process; wall time and that process tree's peak RSS."""
    out_path, err_path = work / "last.stdout", work / "last.stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=work)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out_path.read_text(), err_path.read_text())
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed (exit {proc.returncode}): {shlex.join(cmd)}\n{run.err[-3000:]}")
    print(f"  {label:<34} {wall:8.2f} s  {run.cpu_s:8.2f} s CPU  {run.rss_mb:7.0f} MB", flush=True)
    return run


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECAP_") and k != "ANTHROPIC_API_KEY"}
    env["RECAP_ALLOW_PRIVATE_NETWORKS"] = "true"  # the media server is on 127.0.0.1
    return env


def bench_length(
    server: MediaServer, minutes: int, paths: list[str], runs: int, work: Path, raw: dict
) -> dict[str, dict[str, Cell]]:
    media = build(minutes)
    print(
        f"{minutes} min: {media.audio.name} {media.duration_s:.0f} s, {media.cues} caption cues; {runs} run(s)",
        flush=True,
    )
    results: dict[str, dict[str, Cell]] = {}
    for path in paths:
        page = media.captions_page if path == "captions" else media.whisper_page
        url = server.url(page)
        cells = {k: Cell() for k in ("ytdlp", "whisper", "first", "repeat")}
        for rep in range(runs):
            env = clean_env()
            db = work / f"recap-{minutes}m-{path}-{rep}.sqlite3"
            db.unlink(missing_ok=True)
            env["RECAP_DATABASE_URL"] = f"sqlite:///{db}"

            def baseline() -> None:
                if path == "captions":
                    y = measure(
                        [str(PY), str(BASELINE), "ytdlp", url, "--captions"], env, "plain yt-dlp (probe + vtt)", work
                    )
                    assert json.loads(y.out)["cues"] == media.cues, y.out
                    cells["ytdlp"].add(y)
                    return
                dest = work / f"dl-{minutes}m-{rep}"
                shutil.rmtree(dest, ignore_errors=True)
                y = measure(
                    [str(PY), str(BASELINE), "ytdlp", url, "--audio", str(dest)],
                    env,
                    "plain yt-dlp (probe + audio)",
                    work,
                )
                got = json.loads(y.out)
                cells["ytdlp"].add(y)
                w = measure([str(PY), str(BASELINE), "whisper", got["file"]], env, "plain faster-whisper", work)
                cells["whisper"].add(w)
                raw.setdefault("baseline_whisper", {})[f"{minutes}m"] = json.loads(w.out)
                shutil.rmtree(dest, ignore_errors=True)

            def recap() -> None:
                first = measure([str(RECAP), "summarize", url, "--json"], env, "recap summarize (first)", work)
                digest = json.loads(first.out)
                want = "captions" if path == "captions" else "whisper"
                assert digest["transcript"]["source"] == want, digest["transcript"]
                raw.setdefault("recap_transcript", {})[f"{minutes}m-{path}"] = digest["transcript"]
                cells["first"].add(first)
                again = measure([str(RECAP), "summarize", url, "--json"], env, "recap summarize (repeat)", work)
                if json.loads(again.out) != digest:
                    # Not fatal: the code under test may have changed between the two runs.
                    stem = work / f"mismatch-{minutes}m-{path}-{rep}"
                    stem.with_suffix(".first.json").write_text(first.out)
                    stem.with_suffix(".repeat.json").write_text(again.out)
                    note = f"{minutes} min {path} run {rep + 1}: the repeat's digest differs from the first's"
                    print(f"  WARNING: {note} ({stem}.*.json)", flush=True)
                    raw.setdefault("warnings", []).append(note)
                cells["repeat"].add(again)

            # Alternate which goes first, so drift (thermal, page cache, neighbours) hits both sides.
            for step in (baseline, recap) if rep % 2 == 0 else (recap, baseline):
                step()
            db.unlink(missing_ok=True)
        results[path] = cells
        raw.setdefault("runs", {})[f"{minutes}m-{path}"] = {k: asdict(v) for k, v in cells.items()}
    return results


def warm_up(env: dict[str, str], work: Path) -> None:
    """Unmeasured: load the libraries and the model once so no measured run pays a cold page cache."""
    print("warm-up (not measured)", flush=True)
    measure(
        [str(PY), "-c", "import yt_dlp, faster_whisper, bot.app, adapters.cli.commands, summarizer.fetcher"],
        {**env, "PYTHONPATH": str(ROOT)},
        "imports",
        work,
    )
    measure(
        [str(PY), str(BASELINE), "whisper", str(ROOT / "tests/fixtures/media/lighthouses.opus")],
        env,
        "faster-whisper on the 71 s fixture",
        work,
    )


def versions() -> dict[str, str]:
    code = (
        "import sys, json, yt_dlp, faster_whisper, ctranslate2, onnxruntime, av; print(json.dumps({"
        "'python': sys.version.split()[0], 'yt-dlp': yt_dlp.version.__version__, "
        "'faster-whisper': faster_whisper.__version__, 'ctranslate2': ctranslate2.__version__, "
        "'onnxruntime': onnxruntime.__version__, 'av': av.__version__}))"
    )
    return json.loads(subprocess.run([str(PY), "-c", code], check=True, capture_output=True, text=True).stdout)


def _commit() -> str:
    return (
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or "?"
    )


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    v = versions()
    commit = _commit()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, {mem_gb:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}; "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + f"; recap at {commit}{' + uncommitted changes' if dirty else ''}"
    )


def ratio_cols(minutes: int, path: str, c: dict[str, Cell]) -> list[str]:
    plain = c["ytdlp"].wall + (c["whisper"].wall if path == "whisper" else 0.0)
    first, repeat = c["first"].wall, c["repeat"].wall
    overhead = first / plain - 1
    speedup = first / repeat
    ok_over = "✅" if overhead <= MAX_OVERHEAD else "❌"
    ok_rep = "✅" if speedup >= MIN_REPEAT_SPEEDUP else "❌"
    whisper = f"{c['whisper'].wall:.2f}" if path == "whisper" else "—"
    return [
        f"{minutes} min",
        path,
        str(len(c["first"].walls)),
        f"{c['ytdlp'].wall:.2f}",
        whisper,
        f"{plain:.2f}",
        f"{first:.2f}",
        f"{overhead:+.1%} {ok_over if path == 'whisper' else ''}".strip(),
        f"{repeat:.2f}",
        f"{speedup:.0f}x {ok_rep}",
    ]


def tables(results: dict[int, dict[str, dict[str, Cell]]]) -> str:
    head = [
        "Length",
        "Path",
        "N",
        "plain yt-dlp s",
        "plain faster-whisper s",
        "plain total s",
        "recap first s",
        "recap vs plain",
        "recap repeat s",
        "first / repeat",
    ]
    rows = [ratio_cols(m, p, c) for m, by_path in results.items() for p, c in by_path.items()]
    cpu_head = [
        "Length",
        "Path",
        "plain yt-dlp CPU s",
        "plain faster-whisper CPU s",
        "plain total CPU s",
        "recap first CPU s",
        "recap vs plain (CPU)",
        "recap repeat CPU s",
        "first / repeat (CPU)",
    ]
    cpu = []
    for m, by_path in results.items():
        for p, c in by_path.items():
            plain = c["ytdlp"].cpu + (c["whisper"].cpu if p == "whisper" else 0.0)
            cpu.append(
                [
                    f"{m} min",
                    p,
                    f"{c['ytdlp'].cpu:.2f}",
                    f"{c['whisper'].cpu:.2f}" if p == "whisper" else "—",
                    f"{plain:.2f}",
                    f"{c['first'].cpu:.2f}",
                    f"{c['first'].cpu / plain - 1:+.1%}",
                    f"{c['repeat'].cpu:.2f}",
                    f"{c['first'].cpu / c['repeat'].cpu:.0f}x",
                ]
            )
    mem_head = ["Length", "Path", "plain yt-dlp MB", "plain faster-whisper MB", "recap first MB", "recap repeat MB"]
    mem = [
        [
            f"{m} min",
            p,
            f"{c['ytdlp'].peak:.0f}",
            f"{c['whisper'].peak:.0f}" if p == "whisper" else "—",
            f"{c['first'].peak:.0f}",
            f"{c['repeat'].peak:.0f}",
        ]
        for m, by_path in results.items()
        for p, c in by_path.items()
    ]

    def md(h: list[str], rs: list[list[str]]) -> str:
        return "\n".join(
            ["| " + " | ".join(h) + " |", "|" + "|".join("---" for _ in h) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rs]
        )

    return (
        "Wall time, median of N runs (seconds):\n\n"
        + md(head, rows)
        + "\n\nCPU time (user + system) of each process, median of N runs (seconds):\n\n"
        + md(cpu_head, cpu)
        + "\n\nPeak RSS of each process, highest of the N runs (MiB):\n\n"
        + md(mem_head, mem)
    )


def write_report(text: str, begin: str = BEGIN, end: str = END) -> None:
    """`text` between the markers in BENCHMARKS.md; the rest of the file is left alone."""
    block = f"{begin}\n{text}\n{end}"
    current = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        REPORT.write_text(before + block + rest.split(end, 1)[1])
    else:
        REPORT.write_text(current.rstrip("\n") + f"\n\n{block}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="recap against plain yt-dlp and plain faster-whisper.")
    p.add_argument(
        "--lengths",
        type=int,
        nargs="+",
        default=[10, 60],
        metavar="MIN",
        help="media lengths in minutes (default: 10 60)",
    )
    p.add_argument("--paths", nargs="+", choices=["captions", "whisper"], default=["captions", "whisper"])
    p.add_argument("--runs", type=int, default=3, metavar="N", help="repetitions below 60 minutes (default 3)")
    p.add_argument(
        "--runs-long", type=int, default=1, metavar="N", help="repetitions at 60 minutes and longer (default 1)"
    )
    p.add_argument("--no-report", action="store_true", help=f"print only; leave {REPORT.name} alone")
    args = p.parse_args(argv)

    command = ".venv/bin/python bench/run.py" + ("" if not sys.argv[1:] else " " + shlex.join(sys.argv[1:]))
    work = OUT / "work"
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(info, flush=True)
    raw: dict = {"command": command, "machine": info}
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: dict[int, dict[str, dict[str, Cell]]] = {}
    with MediaServer(OUT) as server:
        warm_up(clean_env(), work)
        for minutes in args.lengths:
            runs = args.runs_long if minutes >= 60 else args.runs
            results[minutes] = bench_length(server, minutes, args.paths, runs, work, raw)
    elapsed = time.perf_counter() - started
    load = f"1-minute load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"

    end_commit = _commit()
    if end_commit != raw["machine"].rsplit("recap at ", 1)[1].split()[0]:
        raw.setdefault("warnings", []).append(f"the code under test changed during the run (now at {end_commit})")
    body = tables(results)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Command: `{command}` ({when}, {elapsed / 60:.1f} min in all)\n\n"
        f"Machine: {info}; {load}\n\n{body}\n\n"
        f"Targets: recap's whisper path at most {MAX_OVERHEAD:.0%} slower than plain yt-dlp + plain "
        f"faster-whisper; a repeat link at least {MIN_REPEAT_SPEEDUP:.0f}x faster than the first time."
        + "".join(f"\n\nWarning: {w}." for w in raw.get("warnings", []))
    )
    print("\n" + text)
    (OUT / "results.json").write_text(json.dumps(raw, indent=2))
    if not args.no_report:
        write_report(text)
        print(f"\nwritten to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
