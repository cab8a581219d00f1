"""`recap` run once as a person runs it in a terminal: a fresh process, its stdin, what it prints and
its exit status. (tests/support/processes.py is for the long-running ones.)"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def recap(
    cwd: Path, *args: str, stdin: str | bytes = b"", env: dict[str, str] | None = None, timeout: float = 180
) -> Ran:
    """`recap ARGS` in `cwd`, on a database there unless `env` says otherwise; links may be private
    (the media server is on 127.0.0.1). The test's environment is the clean one conftest made."""
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli.commands", *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RECAP_DATABASE_URL": f"sqlite:///{cwd / 'recap.sqlite3'}",
            "RECAP_ALLOW_PRIVATE_NETWORKS": "true",
            **(env or {}),
        },
        cwd=cwd,
        timeout=timeout,
    )
    return Ran(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
