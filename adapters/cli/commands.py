"""`recap`: digests, answers and transcripts in the terminal, no chat platform needed.

Exit status: 0 done, 1 a failure (network, site, media, writer), 2 bad input (link, file,
question, setting, option), 130 interrupted. With several links (or questions in `recap chat`),
each failure is reported and the rest still run: 0 when all worked, 1 when any failed in a way
trying again may fix, else 2. Tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.console import Console

from summarizer.errors import RecapError

from .arguments import parse, parser
from .conversation import chat
from .digests import summarize
from .outcomes import status_of
from .progress import ProgressReporter
from .subtitles import export
from .views import answer_view, as_json

if TYPE_CHECKING:  # bot is imported inside main() at run time; these are for the annotations
    from bot.service import RecapService
    from bot.settings import Settings

__all__ = ["main", "parser"]

log = logging.getLogger("recap")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "completion":  # no settings, no database: it only describes the parser
        from .completion import script

        sys.stdout.write(script(args.shell))
        return 0
    # soft_wrap: an error is one line however narrow the terminal, so logs and scripts can grep it.
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False)
    from bot import logs

    # Timestamped lines with secrets redacted from the start; the settings may make them JSON.
    logs.configure(logging.DEBUG if args.debug else logging.WARNING)
    try:
        from bot.app import build_service
        from bot.settings import Settings

        try:
            settings = Settings(**for_this_run(args))
        except ValidationError as exc:  # only the environment is validated here, never model output
            first = exc.errors()[0]
            err.print(f"recap: a setting is invalid: {first['loc']}: {first['msg']}", markup=False)
            return 2
        logs.configure(
            logging.DEBUG if args.debug else settings.log_level, settings.log_format, logs.secrets_of(settings)
        )
        if args.command in ("slack", "discord", "worker"):
            return chat_front_end(settings, args)
        if args.command == "migrate":
            return migrate(settings, out)
        service = build_service(settings)
        if getattr(args, "model", None) and service.writer == "extractive":
            err.print(
                "recap: --model names a model, but the writer is the offline extractive one, which has none: "
                "add --writer claude (with ANTHROPIC_API_KEY) or --writer openai (with RECAP_OPENAI_BASE_URL).",
                markup=False,
            )
            return 2
        return COMMANDS[args.command](service, args, out, err)
    except RecapError as exc:
        if args.debug:
            log.exception("failed")
        err.print(f"recap: {exc}", markup=False)
        return status_of(exc)
    except KeyboardInterrupt:
        err.print("recap: interrupted")
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        err.print(f"recap: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)", markup=False)
        return 1


def for_this_run(args: argparse.Namespace) -> dict[str, Any]:
    """--writer, --model and --language as the settings they stand for, over the environment's.

    --model is every model-backed writer's model: only the chosen writer reads its own, so the
    flag needs to know neither which writer `auto` picks nor which writers exist."""
    from bot.settings import Settings

    given: dict[str, Any] = {}
    if getattr(args, "writer", None):
        given["writer"] = args.writer
    if getattr(args, "language", None):
        given["language"] = args.language
    if getattr(args, "model", None):
        given |= {name: args.model for name in ("claude_model", "openai_model") if name in Settings.model_fields}
    return given


def ask(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    if not args.question.strip():
        err.print("recap: the question is empty; ask something about the video.")
        return 2
    with ProgressReporter(err) as progress:
        answer = service.ask(args.target, args.question, args.conversation, progress)
    if args.json:
        print(as_json(answer))
    else:
        out.print(answer_view(answer))
    return 0


def transcript(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    with ProgressReporter(err) as progress:
        video, found = service.transcript(args.target, progress)  # the stored one when there is one
    sys.stdout.write(export(video, found, args.format))
    return 0


def chat_front_end(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    if args.command == "worker":
        from bot.workers import serve_worker

        asyncio.run(serve_worker(settings, args.queues))
    elif args.command == "slack":
        from adapters.slack.run import serve as serve_slack

        asyncio.run(serve_slack(settings, args.port))
    else:
        from adapters.discord.run import serve as serve_discord

        asyncio.run(serve_discord(settings))
    return 0


def migrate(settings: Settings, out: Console) -> int:
    """What a deployment runs once before starting the processes (they would migrate too, under a lock)."""
    from bot.store import HEAD, Store

    store = Store.open(settings.database_url)
    said = f"recap's tables are at revision {HEAD}"
    if settings.jobs == "workers":
        from bot.workers import conninfo, ensure_schema

        conninfo(settings.database_url)  # PostgreSQL, or the clear refusal
        ensure_schema(store.engine)
        said += ", and the job queue's tables are in place"
    store.engine.dispose()
    out.print(said + ".", markup=False)
    return 0


def forget(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    from bot.retention import forget as forget_video
    from summarizer.pipeline import key_of

    key = key_of(args.target)  # not a video link: BadInput, exit status 2
    video = service.store.video(key)
    counts, running = forget_video(service.store, key)
    name = f"{key} ({video.title})" if video else key
    if not any(counts.values()):
        out.print(f"recap keeps nothing about {name}.", markup=False, soft_wrap=True)
    else:
        gone = ", ".join(f"{n} {words[n != 1]}" for table, words in NAMES.items() if (n := counts.get(table, 0)))
        out.print(f"Forgot {name}: deleted {gone}.", markup=False, soft_wrap=True)
    if running:
        err.print(
            f"recap: {running} unfinished job(s) about this video will store it again when they finish; "
            "run this again after them.",
            markup=False,
        )
    return 0


# What `recap forget` deleted, in words: (one, several).
NAMES = {
    "videos": ("video", "videos"),
    "transcripts": ("transcript", "transcripts"),
    "digests": ("digest", "digests"),
    "conversations": ("conversation", "conversations"),
    "turns": ("question and answer", "questions and answers"),
    "threads": ("chat thread", "chat threads"),
    "deliveries": ("delivery record", "delivery records"),
    "jobs": ("finished job", "finished jobs"),
    "queued jobs": ("finished queue job", "finished queue jobs"),
}

COMMANDS = {"summarize": summarize, "ask": ask, "chat": chat, "transcript": transcript, "forget": forget}

if __name__ == "__main__":
    sys.exit(main())
