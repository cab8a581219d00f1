"""Acknowledgement latency of the Slack HTTP front end under load, on loopback (issue 10).

`recap slack --port P` runs as its own process against the fake Slack Web API, with the media
server serving the fixtures. This script posts correctly signed Events API requests to it, in waves
of --concurrency at once (one wave every --wave-gap seconds), and times each one from the start of
its HTTP request to the 200 that acknowledges it. The scenarios run one after the other in one run,
with the same traffic, so they compare:

    chatter          --events messages without links (channel messages, thread replies): the baseline
    embedded         the same, but --links of them carry a link to the fixture talk that needs whisper
                     (media/lighthouses.opus, a distinct query string each, so each is its own video);
                     RECAP_JOBS=embedded on a fresh SQLite file: the front end runs the jobs itself
    embedded-thread  the same with RECAP_JOB_ISOLATION=thread, where the code under test has that
                     setting: the jobs' blocking work in the front end's own threads
    workers          the same traffic, RECAP_JOBS=workers on a fresh PostgreSQL database (created here,
                     dropped after) with one `recap worker` process running the jobs

The link events go one to a wave from the first wave on, so jobs run while the later waves arrive.
The script notes when each link's digest appears in its thread, waits (bounded) for the last, then
stops the processes (SIGTERM, wait, SIGKILL), and any child process that outlived its parent the
same way, saying so in the report. Everything listens on and talks to 127.0.0.1. Exit status 1 when
an event was not acknowledged with a 200 or a digest did not arrive.

    .venv/bin/python bench/acks.py                       # every scenario, under three minutes on 2 cores
    .venv/bin/python bench/acks.py --scenarios chatter embedded
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import fake_slack as fs  # noqa: E402
from tests.support.mediaserver import MediaServer  # noqa: E402

SECRET = "bench-signing-secret"
ADMIN_URL = os.environ.get("RECAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TICK = os.sysconf("SC_CLK_TCK")
SCENARIOS = ["chatter", "embedded", "embedded-thread", "workers"]
SLACK_DEADLINE_S = 3.0  # Slack retries an event it has not seen acknowledged within 3 seconds
CHATTER = [
    "standup in five",
    "who has the release notes?",
    "lunch?",
    "merged, thanks",
    "+1",
    "the build is green again",
    "can someone review #4521",
    "back in 10",
]


@dataclass
class Sample:
    kind: str  # "chatter", "thread" (a reply in a chatter thread) or "link"
    wave: int
    sent_at: float  # seconds since the first wave
    ack_s: float
    status: int | str  # HTTP status, or the exception's name


@dataclass
class Result:
    name: str
    samples: list[Sample] = field(default_factory=list)
    traffic_s: float = 0.0
    digests: int = 0
    links: int = 0
    digests_s: float | None = None  # first link sent -> last digest posted
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds during traffic
    cpu_all: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds, traffic start to last digest
    bench_cpu: float = 0.0  # this process (the client, the fake Slack, the media server) during traffic
    other_cpu: float = 0.0  # every other process on the machine during traffic
    link_at: list[float] = field(default_factory=list)  # when each link was sent (seconds since the first wave)
    digest_at: list[float] = field(default_factory=list)  # when each digest was seen in its thread
    stops: dict[str, str] = field(default_factory=dict)  # process -> how it stopped

    def busy(self, wave_start: float, wave_end: float) -> bool:
        """Whether a job was owed (a link sent, its digest not yet posted) at some point of a wave."""
        return any(sent < wave_end and done > wave_start for sent, done in zip(self.link_at, self.digest_at))

    note: str = ""


# -- processes ---------------------------------------------------------------------------------------


def recap_command() -> list[str]:
    script = Path(sys.executable).with_name("recap")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli.commands"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "SLACK_", "DISCORD_", "ANTHROPIC_"))}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A recap subprocess with its stderr in a file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self._err = log.open("wb")
        self.p = subprocess.Popen(
            recap_command() + args,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._err,
            stderr=subprocess.STDOUT,
        )

    def tail(self, n: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-n:]

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.p.poll() is not None:
                raise SystemExit(f"{self.p.args} exited {self.p.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.p.args} did not say {text!r} within {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.1)

    def cpu_s(self) -> float:
        """CPU seconds of the process and its children (ProcessCore's, the resource tracker), live or reaped."""
        return tree_cpu(self.p.pid)

    def stop(self, grace_s: float = 45) -> str:
        """SIGTERM, then SIGKILL after grace_s; then its descendants still running (they would be
        orphans), the same way. Says how it went."""
        family = descendants(self.p.pid)
        how = "had exited"
        if self.p.poll() is None:
            start = time.monotonic()
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(grace_s)
                how = f"exit {self.p.returncode} {time.monotonic() - start:.1f} s after SIGTERM"
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)
                how = f"SIGKILLed after {grace_s:.0f} s"
        self._err.close()
        deadline = time.monotonic() + 5  # children a clean exit has told to stop get a moment to do so
        while any(running(pid) for pid in family) and time.monotonic() < deadline:
            time.sleep(0.1)
        outlived = left = [pid for pid in family if running(pid)]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 5
            while (left := [pid for pid in left if running(pid)]) and time.monotonic() < deadline:
                time.sleep(0.1)
        if outlived:
            how += f"; {len(outlived)} of its {len(family)} child processes outlived it (stopped here)"
        return how


def children_of(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def descendants(pid: int) -> list[int]:
    try:
        kids = children_of(pid)
    except OSError:
        return []
    return [k for c in kids for k in (c, *descendants(c))]


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie is init's to reap)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def tree_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = children_of(pid)
    except OSError:
        return 0.0  # gone meanwhile
    own = sum(int(f) for f in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    return own + sum(tree_cpu(c) for c in children)


def system_busy_s() -> float:
    """CPU seconds every process on the machine has used (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def wait_for_port(port: int, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            raise SystemExit(f"recap slack exited {proc.p.returncode}:\n{proc.tail()}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(
        f"recap slack did not accept connections on 127.0.0.1:{port} within {timeout:.0f} s:\n{proc.tail()}"
    )


class Postgres:
    """A randomly named database on the admin server, dropped on exit."""

    def __init__(self, admin_url: str):
        from sqlalchemy import create_engine

        self.name = f"recap_bench_{uuid.uuid4().hex[:10]}"
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def __enter__(self) -> str:
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.name}"'))
        except OperationalError as exc:
            raise SystemExit(
                f"workers mode needs a PostgreSQL to create a database in ({self.engine.url!r}): {exc.orig}\n"
                "Point --postgres (or RECAP_TEST_POSTGRES_URL) at one, or leave workers out of --scenarios."
            ) from None
        return self.url

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import text

        with self.engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.engine.dispose()


# -- traffic -----------------------------------------------------------------------------------------


def plan(events: int, links: int, concurrency: int) -> list[list[str]]:
    """Waves of event kinds: links one to a wave from the first wave on; every third chatter message
    is a reply in an earlier chatter thread (the bot looks the thread up, then stays quiet)."""
    kinds = ["chatter" if i % 3 else "thread" for i in range(events)]
    waves = [kinds[i : i + concurrency] for i in range(0, events, concurrency)]
    if links > len(waves):
        raise SystemExit(f"--links {links} needs at least that many waves ({len(waves)} here)")
    for w in range(links):
        waves[w][len(waves[w]) // 2] = "link"
    return waves


async def send_traffic(
    url: str, media: MediaServer, waves: list[list[str]], gap_s: float, run_id: str, link_ts: list[str]
) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    parents: list[str] = []
    n_links = 0

    async def one(kind: str, wave: int, payload: fs.Payload, t0: float) -> None:
        start = time.perf_counter()
        try:
            status: int | str = (await fs.post_signed_async(url, payload, SECRET, timeout=10)).status
        except Exception as exc:  # a timeout or a refused connection is a lost acknowledgement
            status = type(exc).__name__
        samples.append(Sample(kind, wave, start - t0, time.perf_counter() - start, status))

    t0 = time.perf_counter()
    for w, wave in enumerate(waves):
        await asyncio.sleep(max(0.0, t0 + w * gap_s - time.perf_counter()))
        batch = []
        for i, kind in enumerate(wave):
            ts = fs.new_ts()
            if kind == "link":
                n_links += 1
                link = media.url(f"media/lighthouses.opus?copy={run_id}-{n_links}")
                payload = fs.message(f"worth a listen <{link}>", ts=ts, user=f"U0LINK{n_links:04d}")
                link_ts.append(ts)
            elif kind == "thread" and parents:
                payload = fs.message(CHATTER[i % len(CHATTER)], ts=ts, thread_ts=parents[(w + i) % len(parents)])
            else:
                payload = fs.message(CHATTER[i % len(CHATTER)], ts=ts)
                parents.append(ts)
            batch.append(one(kind, w, payload, t0))
        await asyncio.wait_for(asyncio.gather(*batch), 30)
    return samples, time.perf_counter() - t0


def digested_threads(slack: fs.FakeSlack) -> set[str]:
    """Threads whose bot message is a digest (its first block the digest's header)."""
    return {
        m.get("thread_ts") or m["ts"]
        for m in slack.messages(fs.CHANNEL_ID)
        if (m.get("blocks") or [{}])[0].get("type") == "header"
    }


def watch_digests(
    slack: fs.FakeSlack, link_ts: list[str], done_at: dict[str, float], t0: float, stop: threading.Event
) -> None:
    """Note when each link's digest shows up, twice a second, until stopped. A thread of its own, so
    that copying the fake's messages never holds up the client's event loop for long."""
    while not stop.wait(0.5):
        found = digested_threads(slack)
        for ts in list(link_ts):
            if ts in found and ts not in done_at:
                done_at[ts] = time.perf_counter() - t0


def has_isolation_setting() -> bool:
    """Whether the code under test has RECAP_JOB_ISOLATION (embedded jobs in child processes or threads)."""
    from bot.settings import Settings

    return "job_isolation" in Settings.model_fields


def scenario(name: str, args: argparse.Namespace, slack: fs.FakeSlack, media: MediaServer, work: Path) -> Result:
    result = Result(name)
    links = 0 if name == "chatter" else args.links
    extra = {"RECAP_JOB_ISOLATION": "thread"} if name == "embedded-thread" else {}
    pg = Postgres(args.postgres) if name == "workers" else None
    db_url = pg.__enter__() if pg else f"sqlite:///{work / f'{name}.sqlite3'}"
    # PYTHONPATH: the subprocesses run this tree's code even when it is not the one installed in the venv.
    env = clean_env(
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN=fs.BOT_TOKEN,
        RECAP_SLACK_API_URL=slack.api_url,
        RECAP_DATABASE_URL=db_url,
        RECAP_ALLOW_PRIVATE_NETWORKS="true",
        RECAP_JOBS="workers" if name == "workers" else "embedded",
        RECAP_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    )
    port = free_port()
    procs: dict[str, Proc] = {}
    try:
        procs["recap slack"] = front = Proc(["slack", "--port", str(port)], env, work / f"{name}-slack.log")
        wait_for_port(port, front)
        if name == "workers":
            procs["recap worker"] = worker = Proc(["worker"], env, work / f"{name}-worker.log")
            worker.wait_for_line("recap worker takes queues", 60)
        url = f"http://127.0.0.1:{port}/slack/events"

        async def run() -> None:
            # Unmeasured warm-up: bolt calls auth.test on the first request and caches it.
            for _ in range(3):
                await fs.post_signed_async(url, fs.message("warming up"), SECRET, timeout=30)
            run_id = uuid.uuid4().hex[:6]
            waves = plan(args.events, links, args.concurrency)
            link_ts: list[str] = []
            done_at: dict[str, float] = {}
            before = {k: p.cpu_s() for k, p in procs.items()}
            busy0, own0 = system_busy_s(), own_cpu_s()
            started = time.perf_counter()
            stop = threading.Event()
            watcher = threading.Thread(target=watch_digests, args=(slack, link_ts, done_at, started, stop), daemon=True)
            watcher.start()
            try:
                result.samples, result.traffic_s = await send_traffic(url, media, waves, args.wave_gap, run_id, link_ts)
                result.cpu = {k: p.cpu_s() - before[k] for k, p in procs.items()}
                result.bench_cpu = own_cpu_s() - own0
                result.other_cpu = system_busy_s() - busy0 - result.bench_cpu - sum(result.cpu.values())
                deadline = time.monotonic() + args.digest_timeout
                while len(done_at) < len(link_ts) and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
            finally:
                stop.set()
                watcher.join(10)
            result.links, result.digests = len(link_ts), len(done_at)
            result.link_at = [s.sent_at for s in sorted(result.samples, key=lambda s: s.sent_at) if s.kind == "link"]
            result.digest_at = [done_at.get(ts, math.inf) for ts in link_ts]
            if link_ts and len(done_at) == len(link_ts):
                result.digests_s = max(done_at.values())
            elif link_ts:
                result.note = f"only {result.digests} of {len(link_ts)} digests within {args.digest_timeout:.0f} s"
            result.cpu_all = {k: p.cpu_s() - before[k] for k, p in procs.items()}

        asyncio.run(run())
    finally:
        for k, p in procs.items():
            result.stops[k] = p.stop()
        if pg:
            pg.__exit__(None, None, None)
    return result


# -- report ------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def row(label: str, samples: list[Sample], base_p99: float | None) -> str:
    acks = [s.ack_s * 1000 for s in samples]
    ok = sum(s.status == 200 for s in samples)
    late = sum(s.ack_s > SLACK_DEADLINE_S for s in samples)
    p50, p95, p99, mx = pct(acks, 50), pct(acks, 95), pct(acks, 99), max(acks)
    ratio = f"{p99 / base_p99:.1f}x" if base_p99 else "1.0x"
    return f"| {label} | {len(samples)} | {ok} | {late} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {mx:.1f} | {ratio} |"


def busy_waves(r: Result) -> list[Sample]:
    """The events of the waves during which a job was owed."""
    out = []
    for w in sorted({s.wave for s in r.samples}):
        wave = [s for s in r.samples if s.wave == w]
        if r.busy(min(s.sent_at for s in wave), max(s.sent_at + s.ack_s for s in wave)):
            out += wave
    return out


def report(results: list[Result], args: argparse.Namespace) -> str:
    base = next((r for r in results if r.name == "chatter"), None)
    base_p99 = pct([s.ack_s for s in base.samples], 99) * 1000 if base else None
    lines = [
        "| scenario | events | acknowledged 200 | over 3 s | p50 ms | p95 ms | p99 ms | max ms | p99 vs chatter |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(row(r.name, r.samples, base_p99 if r is not base else None))
    for r in results:
        if r.links:
            lines.append(row(f"{r.name}: chatter events only", [s for s in r.samples if s.kind != "link"], base_p99))
            if during := busy_waves(r):
                lines.append(row(f"{r.name}: waves while a job was owed", during, base_p99))
    lines += [
        "",
        (
            "| scenario | traffic s | recap's CPU s during traffic | this script's CPU s | other processes' CPU s "
            "| digests | last digest at s | recap's CPU s, first wave -> last digest |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in r.cpu.items())
        cpu_all = ", ".join(f"{k} {v:.1f}" for k, v in r.cpu_all.items()) if r.links else "—"
        digests = f"{r.digests}/{r.links}" if r.links else "—"
        took = f"{r.digests_s:.1f}" if r.digests_s is not None else (r.note or "—")
        lines.append(
            f"| {r.name} | {r.traffic_s:.1f} | {cpu} | {r.bench_cpu:.1f} | {r.other_cpu:.1f} | {digests} | {took} "
            f"| {cpu_all} |"
        )
    lines += [
        "",
        (
            f"Slowest acknowledgement of each wave, in ms (one wave every {args.wave_gap:g} s, "
            f"{args.concurrency} events at once; * a job was owed during the wave):"
        ),
        "",
    ]
    for r in results:
        per = []
        for w in sorted({s.wave for s in r.samples}):
            wave = [s for s in r.samples if s.wave == w]
            busy = r.busy(min(s.sent_at for s in wave), max(s.sent_at + s.ack_s for s in wave))
            per.append(f"{max(s.ack_s * 1000 for s in wave):.0f}{'*' if busy else ''}")
        lines.append(f"- {r.name}: " + " ".join(per))
    lines += ["", "How the processes stopped:", ""]
    lines += [f"- {r.name}: " + "; ".join(f"{k}: {how}" for k, how in r.stops.items()) for r in results]
    failures = [(r.name, s) for r in results for s in r.samples if s.status != 200]
    for name, s in failures[:20]:
        lines.append(f"- not acknowledged: {name} wave {s.wave} {s.kind}: {s.status} after {s.ack_s:.2f} s")
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    git = ["git", "-C", str(ROOT)]
    commit = (
        subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        or "? (not a git checkout)"
    )
    if subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False
    ).stdout.strip():
        commit += " + uncommitted changes"
    return (
        f"{len(os.sched_getaffinity(0))} CPUs, {cpu}; python {sys.version.split()[0]}; recap at {commit}; "
        f"1-minute load average {os.getloadavg()[0]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Acknowledgement latency of `recap slack` (HTTP mode) under load.")
    p.add_argument("--events", type=int, default=200, help="events per scenario (default 200)")
    p.add_argument("--concurrency", type=int, default=16, help="events sent at once, one wave (default 16)")
    p.add_argument("--wave-gap", type=float, default=3, help="seconds from one wave's start to the next's (3)")
    p.add_argument("--links", type=int, default=10, help="link events in the embedded and workers scenarios (10)")
    p.add_argument("--digest-timeout", type=float, default=240, help="seconds to wait for the digests (240)")
    p.add_argument(
        "--scenarios",
        nargs="+",
        choices=SCENARIOS,
        default=SCENARIOS,
        help="embedded-thread (RECAP_JOB_ISOLATION=thread) runs only where the setting exists",
    )
    p.add_argument("--postgres", default=ADMIN_URL, help="admin URL of the PostgreSQL for workers mode")
    args = p.parse_args(argv)
    if not has_isolation_setting():
        args.scenarios = [n for n in args.scenarios if n != "embedded-thread"]
        print("This version has no RECAP_JOB_ISOLATION: embedded jobs run in the front end's threads.")

    started = time.monotonic()
    print(f"Machine: {machine()}", flush=True)
    if has_isolation_setting():
        from bot.settings import Settings

        print(f"embedded runs with the default RECAP_JOB_ISOLATION={Settings.model_fields['job_isolation'].default}")
    results = []
    with fs.FakeSlack() as slack, MediaServer() as media, tempfile.TemporaryDirectory() as tmp:
        for name in args.scenarios:
            print(f"{name} ...", flush=True)
            results.append(scenario(name, args, slack, media, Path(tmp)))
            slack.reset()
    print()
    print(report(results, args))
    print(
        f"\nCommand: {' '.join(['.venv/bin/python bench/acks.py'] + (argv if argv is not None else sys.argv[1:]))} "
        f"({(time.monotonic() - started) / 60:.1f} min in all; {machine()})"
    )
    lost = sum(s.status != 200 for r in results for s in r.samples)
    missing = sum(r.links - r.digests for r in results)
    return 1 if lost or missing else 0


if __name__ == "__main__":
    sys.exit(main())
