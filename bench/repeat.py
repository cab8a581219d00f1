"""Repeat-link cost inside a running recap (the bot's case), against the first time, same process.

The command line pays interpreter start and imports on every run (see run.py); a bot pays them
once, so for it a repeated link costs only the store lookup measured here.

    .venv/bin/python bench/repeat.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_service  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.support.mediaserver import MediaServer  # noqa: E402


def main() -> None:
    rows = [
        "| path | first | repeat (median of 20) | repeat, other spelling | first / repeat |",
        "|---|---|---|---|---|",
    ]
    with MediaServer() as server, tempfile.TemporaryDirectory() as tmp:
        service = build_service(
            Settings(_env_file=None, database_url=f"sqlite:///{tmp}/r.sqlite3", allow_private_networks=True)
        )
        for label, page in (
            ("captions (bees.html, 70 s)", "site/bees.html"),
            ("whisper (lighthouses.html, 71 s)", "site/lighthouses.html"),
        ):
            url = server.url(page)
            start = time.perf_counter()
            service.digest(url)
            first = time.perf_counter() - start
            repeats = []
            for _ in range(20):
                start = time.perf_counter()
                service.digest(url)
                repeats.append(time.perf_counter() - start)
            start = time.perf_counter()
            service.digest(url + "?utm_source=chat#x")
            other = time.perf_counter() - start
            repeat = statistics.median(repeats)
            rows.append(
                f"| {label} | {first:.2f} s | {repeat * 1000:.1f} ms | {other * 1000:.1f} ms | {first / repeat:.0f}x |"
            )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
