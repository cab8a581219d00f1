"""`recap`: digests and answers in the terminal, no chat platform needed.

Exit status: 0 done, 1 a failure (network, site, media, writer), 2 bad input (link, file,
question, setting), 130 interrupted. Tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rich.console import Console

from summarizer.errors import BadInput, RecapError

from .progress import ProgressReporter
from .views import answer_view, digest_view

if TYPE_CHECKING:  # bot is imported inside main() at run time; these are for the annotations
    from bot.service import RecapService
    from bot.settings import Settings

log = logging.getLogger("recap")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recap", description="Grounded digests of videos, and answers about them.")
    p.add_argument("--debug", action="store_true", help="verbose logs and tracebacks on stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("summarize", help="print a digest of a video link or a local media file")
    s.add_argument("target", metavar="URL", help="video link or path of a media file")
    s.add_argument("--json", action="store_true", help="print the digest as JSON (shared/digest.schema.json)")

    a = sub.add_parser("ask", help="answer a question from a video's transcript, with timestamps")
    a.add_argument("target", metavar="URL")
    a.add_argument("question")
    a.add_argument("--json", action="store_true", help="print the answer as JSON")
    a.add_argument("--conversation", metavar="ID", help="continue a conversation: earlier questions give context")

    c = sub.add_parser("chat", help="a digest, then follow-up questions until an empty line or Ctrl-D")
    c.add_argument("target", metavar="URL")

    sub.add_parser(
        "migrate", help="create or upgrade the database (and, with RECAP_JOBS=workers, the job queue's tables)"
    )
    f = sub.add_parser("forget", help="delete everything recap keeps about a video: transcript, digests, conversations")
    f.add_argument("target", metavar="URL", help="video link (any spelling of it) or path of a media file")

    sl = sub.add_parser("slack", help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    sl.add_argument("--port", type=int, default=3000, help="HTTP mode: port for /slack/events (default 3000)")
    sub.add_parser("discord", help="run the Discord bot (DISCORD_TOKEN)")
    w = sub.add_parser("worker", help="run jobs for the chat front ends (RECAP_JOBS=workers, PostgreSQL)")
    w.add_argument(
        "--queue",
        action="append",
        metavar="QUEUE",
        dest="queues",
        help="take only these queues: slack, discord, transcribe (repeatable; default: every "
        "platform with credentials here, and transcribe)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
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
            settings = Settings()
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
        return COMMANDS[args.command](service, args, out, err)
    except RecapError as exc:
        if args.debug:
            log.exception("failed")
        err.print(f"recap: {exc}", markup=False)
        return exit_status(exc)
    except KeyboardInterrupt:
        err.print("recap: interrupted")
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        err.print(f"recap: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)", markup=False)
        return 1


def exit_status(exc: RecapError) -> int:
    """2 when trying again with the same input cannot help, 1 when it might."""
    return 2 if isinstance(exc, BadInput) else 1


def summarize(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    with ProgressReporter(err) as progress:
        digest = service.digest(args.target, progress)
    if args.json:
        print(json.dumps(digest.model_dump(mode="json", exclude={"video": {"is_live"}}), ensure_ascii=False, indent=2))
    else:
        out.print(digest_view(digest))
    return 0


def ask(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    if not args.question.strip():
        err.print("recap: the question is empty; ask something about the video.")
        return 2
    with ProgressReporter(err) as progress:
        answer = service.ask(args.target, args.question, args.conversation, progress)
    if args.json:
        print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        out.print(answer_view(answer))
    return 0


def chat(service: RecapService, args: argparse.Namespace, out: Console, err: Console) -> int:
    with ProgressReporter(err) as progress:
        digest = service.digest(args.target, progress)
    out.print(digest_view(digest))
    conversation = f"cli:{uuid.uuid4()}"
    out.print("\nAsk about the video (empty line or Ctrl-D to leave).")
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            break
        if not question:
            break
        out.print(answer_view(service.ask(args.target, question, conversation)))
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

COMMANDS = {"summarize": summarize, "ask": ask, "chat": chat, "forget": forget}

if __name__ == "__main__":
    sys.exit(main())
