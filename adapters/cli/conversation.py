"""`recap chat`: a digest, then answers to questions read a line at a time, each one remembered.

A question that fails (the writer is down, a surprise) gets its one-line error on stderr and the
next question is read: the conversation so far is not lost to one bad answer. With --json the
digest and each answer are one JSON object a line on stdout, and a failed question is too
(`{"question", "error", "status"}`), so a program that reads a line per question never waits for
one that will not come.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from typing import TYPE_CHECKING

from rich.console import Console

from summarizer.errors import RecapError

from .outcomes import FAILED, OK, Outcomes, status_of
from .progress import ProgressReporter
from .views import answer_view, as_json, digest_view

if TYPE_CHECKING:
    from bot.service import RecapService

log = logging.getLogger("recap")


def chat(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    with ProgressReporter(err) as progress:
        digest = service.digest(args.target, progress)
    if args.json:
        print(as_json(digest, compact=True), flush=True)
    else:
        out.print(digest_view(digest))
        out.print("\nAsk about the video (empty line or Ctrl-D to leave).")
    if hasattr(sys.stdin, "reconfigure"):  # a line that is not UTF-8 is a question with odd characters
        sys.stdin.reconfigure(errors="replace")
    conversation = f"cli:{uuid.uuid4()}"
    outcomes = Outcomes()
    while True:
        try:
            question = input("" if args.json else "? ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = service.ask(args.target, question, conversation)
        except RecapError as exc:
            log.debug("question failed", exc_info=True)
            status, said = status_of(exc), str(exc)
        except Exception as exc:  # one answer's surprise ends neither the conversation nor the process
            log.debug("question failed", exc_info=True)
            status, said = FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)"
        else:
            outcomes.add(OK)
            if args.json:
                print(as_json(answer, compact=True), flush=True)
            else:
                out.print(answer_view(answer))
            continue
        outcomes.add(status)
        err.print(f"recap: {said}", markup=False)
        if args.json:
            print(json.dumps({"question": question, "error": said, "status": status}, ensure_ascii=False), flush=True)
        else:
            out.print("That question got no answer; ask it again or ask another.", markup=False)
    return outcomes.exit_status()
