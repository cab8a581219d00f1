"""Claude writer costs and the long-video merge path, against the fake Messages API.

Token counts are the fake's (about four characters a token, prompt caching simulated like the
real API: prefix up to a cache_control block, 1024-token minimum), so they show the shape of the
cost, not Anthropic's exact bill. Model latency is simulated with a fixed delay per request.

    .venv/bin/python bench/claude.py [--delay 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anthropic  # noqa: E402

from summarizer.claude import ClaudeWriter  # noqa: E402
from summarizer.models import Video  # noqa: E402
from tests.support.claude_script import generated_talk, respond  # noqa: E402
from tests.support.fake_anthropic import FakeAnthropic, tool_use  # noqa: E402

MODEL = "claude-haiku-5-5"


def writer(fake: FakeAnthropic, **kw) -> ClaudeWriter:
    client = anthropic.Anthropic(api_key="k", base_url=fake.base_url, max_retries=0)
    return ClaudeWriter(client, model=MODEL, **kw)


def video(minutes: int) -> Video:
    return Video(key=f"url:{minutes:016d}", url="https://example.com/t", title="Talk", duration_s=minutes * 60)


def digest_costs(fake: FakeAnthropic) -> list[str]:
    rows = ["| audio | requests | input tokens / audio min | output tokens / audio min |", "|---|---|---|---|"]
    fake.responder = respond
    for minutes in (10, 60, 180):
        d = writer(fake).write_digest(video(minutes), generated_talk(minutes))
        u = d.usage
        total_in = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
        rows.append(f"| {minutes} min | {u.requests} | {total_in / minutes:.0f} | {u.output_tokens / minutes:.1f} |")
    return rows


def follow_up_costs(fake: FakeAnthropic) -> list[str]:
    fake.responder = None
    transcript, w = generated_talk(60), writer(fake)
    rows = [
        "| question | uncached input | cache read | cache write | uncached vs first question's input |",
        "|---|---|---|---|---|",
    ]
    first_total = None
    for i in range(1, 5):
        fake.push(tool_use("answer_question", {"answer": "Point.", "grounded": True, "citations": []}))
        u = w.write_answer(video(60), transcript, f"What is point {i * 11}?", []).usage
        total = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
        first_total = first_total or total
        rows.append(
            f"| {i} | {u.input_tokens} | {u.cache_read_input_tokens} | {u.cache_creation_input_tokens} | "
            f"{u.input_tokens / first_total:.1%} |"
        )
    return rows


def merge_wall_time(fake: FakeAnthropic, delay: float, runs: int = 3) -> list[str]:
    fake.responder = lambda body: respond(body, delay=delay)
    transcript = generated_talk(180)
    cases = [
        ("one request, whole transcript (baseline)", dict(budget_tokens=10**7)),
        ("map-reduce, 50k-token chunks, 4 at once (default)", dict(budget_tokens=50_000, concurrency=4)),
        ("map-reduce, 10k-token chunks, 4 at once", dict(budget_tokens=10_000, concurrency=4)),
        ("map-reduce, 10k-token chunks, one at a time", dict(budget_tokens=10_000, concurrency=1)),
    ]
    rows = ["| 3-hour transcript | requests | wall time (median) | vs baseline |", "|---|---|---|---|"]
    base = None
    for label, kw in cases:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            d = writer(fake, **kw).write_digest(video(180), transcript)
            times.append(time.perf_counter() - start)
        t = statistics.median(times)
        base = base or t
        rows.append(f"| {label} | {d.usage.requests} | {t:.2f} s | {t / base:.2f}x |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=1.0, help="simulated model latency per request, seconds")
    args = parser.parse_args()
    with FakeAnthropic(api_key=None) as fake:
        for title, rows in (
            ("Digest tokens per audio minute", digest_costs(fake)),
            ("Follow-up questions on a 60-minute transcript", follow_up_costs(fake)),
            (f"Merge path wall time (simulated latency {args.delay:g} s/request)", merge_wall_time(fake, args.delay)),
        ):
            print(f"\n#### {title}\n")
            print("\n".join(rows))


if __name__ == "__main__":
    main()
