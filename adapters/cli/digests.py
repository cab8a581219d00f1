"""`recap summarize`: digests of one or several links, in turn, as text, Markdown or JSON.

One link behaves as it always has: its failure is the command's (one line, exit 1 or 2). With
several, each failure is one line on stderr naming its link and the others still run; the exit
status is then that of `Outcomes`, and a last line counts what failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.rule import Rule

from summarizer.errors import RecapError
from summarizer.models import Digest

from .markdown import digest_markdown
from .outcomes import BAD_INPUT, FAILED, OK, Outcomes, status_of
from .progress import ProgressReporter
from .targets import Target, shown, targets
from .views import as_json, digest_view

if TYPE_CHECKING:
    from bot.service import RecapService

log = logging.getLogger("recap")


def summarize(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    found = targets(args.targets, sys.stdin.buffer)
    several = len(found) > 1 or "-" in args.targets  # stdin may hold one link today and ten tomorrow
    if not found:
        err.print("recap: no links to summarise (stdin had none).")
        return BAD_INPUT
    outcomes = Outcomes()
    with ProgressReporter(err) as progress:
        for number, target in enumerate(found, 1):
            progress.link(number, len(found), shown(target.text))
            digest = _digest(service, target, progress, err, outcomes, several)
            if digest is not None:
                _print(digest, args.format, several, first=outcomes.statuses.count(OK) == 1, out=out)
    if outcomes.failed and several:
        err.print(f"recap: {len(found) - outcomes.failed} of {len(found)} links summarised, {outcomes.failed} failed.")
    return outcomes.exit_status()


def _digest(
    service: RecapService,
    target: Target,
    progress: ProgressReporter,
    err: Console,
    outcomes: Outcomes,
    several: bool,
) -> Digest | None:
    """A digest, or None when this link failed and others still run."""
    label = shown(target.text)
    if target.problem:
        status, said = BAD_INPUT, target.problem
    else:
        try:
            digest = service.digest(target.text, progress)
        except RecapError as exc:
            if not several:
                raise  # one link: its failure is the command's, reported by main() as always
            log.debug("failed: %s", label, exc_info=True)
            status, said = status_of(exc), str(exc)
        except Exception as exc:  # one link's surprise is not the others' problem
            if not several:
                raise
            log.debug("failed: %s", label, exc_info=True)
            status, said = FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)"
        else:
            outcomes.add(OK)
            return digest
    outcomes.add(status)
    err.print(f"recap: {label}: {said}", markup=False)
    return None


def _print(digest: Digest, fmt: str, several: bool, first: bool, out: Console) -> None:
    if fmt == "json":  # several: one object a line (JSON Lines), for jq and line-by-line readers
        print(as_json(digest, compact=several), flush=True)
    elif fmt == "md":
        print(("" if first else "\n---\n\n") + digest_markdown(digest), end="", flush=True)
    else:
        if not first:
            out.print(Rule())
        out.print(digest_view(digest))
