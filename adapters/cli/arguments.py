"""`recap`'s command line as argparse sees it: commands, their options, and the options that work
anywhere (`--debug`, `--json`), before or after the command.

Shell completion (`recap completion bash`) is derived from this parser, so it never drifts from it.
"""

from __future__ import annotations

import argparse
import re
from importlib import metadata
from typing import get_args

import shtab

# Commands whose result has a JSON form; `--json` anywhere else is a mistake worth saying.
JSON_COMMANDS = ("summarize", "ask", "chat", "transcript")
SHELLS = ("bash", "zsh", "fish")
DIGEST_FORMATS = ("text", "md", "json")
TRANSCRIPT_FORMATS = ("txt", "srt", "vtt", "json")

# A language as people name it: a tag ("fr", "pt-BR", "zh-Hant") or a name ("French", "Português").
# It ends up in a writer's instructions, so nothing else: no newlines, no punctuation, no essays.
_LANGUAGE = re.compile(r"[^\W\d_][^\W_]*(?:[ -][^\W_]+){0,3}")
# A model id as the APIs spell them: "claude-sonnet-5-5", "qwen2.5:7b", "org/model@rev".
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}")


def version() -> str:
    try:
        return metadata.version("recap")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def writers() -> tuple[str, ...]:
    """The writers the settings accept (RECAP_WRITER), read from the settings model itself."""
    from bot.settings import Settings

    return get_args(Settings.model_fields["writer"].annotation)


def language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value) or len(value) > 40:
        raise argparse.ArgumentTypeError(f"{value[:60]!r} is not a language: give a code (fr, pt-BR) or a name")
    return value


def model(value: str) -> str:
    if not _MODEL.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value[:60]!r} is not a model name")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recap", description="Grounded digests of videos, and answers about them.")
    p.add_argument("--version", action="version", version=f"recap {version()}")
    _anywhere(p, default=False)
    debug_only = _anywhere(argparse.ArgumentParser(add_help=False), json=False)
    anywhere = _anywhere(argparse.ArgumentParser(add_help=False))
    writing = _writing()
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser(
        "summarize",
        parents=[anywhere, writing],
        help="print a digest of video links or local media files",
        description="Digests of one or several links, in turn. With several, a failed link is reported on "
        "stderr and the rest still run; the exit status is 0 when all were summarised, 1 when any failed in "
        "a way that trying again may fix, else 2 (bad input).",
    )
    _file(s.add_argument("targets", nargs="+", metavar="URL", help="video link or media file; - reads one a line"))
    s.add_argument(
        "--format",
        choices=DIGEST_FORMATS,
        help="text (default), md: Markdown with timestamp links, json: shared/digest.schema.json "
        "(one object a line with several links)",
    )

    a = sub.add_parser(
        "ask", parents=[anywhere, writing], help="answer a question from a video's transcript, with timestamps"
    )
    _file(a.add_argument("target", metavar="URL"))
    a.add_argument("question")
    a.add_argument("--conversation", metavar="ID", help="continue a conversation: earlier questions give context")

    c = sub.add_parser(
        "chat",
        parents=[anywhere, writing],
        help="a digest, then follow-up questions until an empty line or Ctrl-D",
        description="A digest, then answers to questions read a line at a time. A question that fails gets its "
        "error and the next one is read. --json: the digest, then each answer, one JSON object a line.",
    )
    _file(c.add_argument("target", metavar="URL"))

    t = sub.add_parser(
        "transcript",
        parents=[anywhere],
        help="print a video's transcript (the stored one when there is one)",
    )
    _file(t.add_argument("target", metavar="URL"))
    t.add_argument(
        "--format",
        choices=TRANSCRIPT_FORMATS,
        help="txt: [mm:ss] lines (default), srt or vtt: subtitles, json: video and segments",
    )

    sub.add_parser(
        "migrate",
        parents=[debug_only],
        help="create or upgrade the database (and, with RECAP_JOBS=workers, the job queue's tables)",
    )
    f = sub.add_parser(
        "forget",
        parents=[debug_only],
        help="delete everything recap keeps about a video: transcript, digests, conversations",
    )
    _file(f.add_argument("target", metavar="URL", help="video link (any spelling of it) or path of a media file"))

    sl = sub.add_parser(
        "slack", parents=[debug_only], help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP)"
    )
    sl.add_argument("--port", type=int, default=3000, help="HTTP mode: port for /slack/events (default 3000)")
    sub.add_parser("discord", parents=[debug_only], help="run the Discord bot (DISCORD_TOKEN)")
    w = sub.add_parser(
        "worker", parents=[debug_only], help="run jobs for the chat front ends (RECAP_JOBS=workers, PostgreSQL)"
    )
    w.add_argument(
        "--queue",
        action="append",
        metavar="QUEUE",
        dest="queues",
        help="take only these queues: slack, discord, transcribe (repeatable; default: every "
        "platform with credentials here, and transcribe)",
    )
    co = sub.add_parser(
        "completion",
        parents=[debug_only],
        help="print a shell completion script",
        description="Print a completion script for recap's commands and options. bash: "
        'eval "$(recap completion bash)" in ~/.bashrc; zsh: recap completion zsh > a file named _recap '
        "in a folder of $fpath; fish: recap completion fish > ~/.config/fish/completions/recap.fish",
    )
    co.add_argument("shell", choices=SHELLS)
    return p


def _anywhere(
    p: argparse.ArgumentParser, *, default: object = argparse.SUPPRESS, json: bool = True
) -> argparse.ArgumentParser:
    # The command's copy of an option defaults to SUPPRESS, so that `recap --debug summarize URL` is
    # not undone by the command's own default; the top-level copy gives the False.
    p.add_argument("--debug", action="store_true", default=default, help="verbose logs and tracebacks on stderr")
    if json:
        p.add_argument("--json", action="store_true", default=default, help="print results as JSON")
    return p


def _writing() -> argparse.ArgumentParser:
    """--writer, --model and --language: the settings of the same names, for this run only."""
    w = argparse.ArgumentParser(add_help=False)
    w.add_argument("--writer", choices=writers(), help="who writes digests and answers (RECAP_WRITER)")
    w.add_argument("--model", type=model, help="the chosen writer's model (RECAP_CLAUDE_MODEL or RECAP_OPENAI_MODEL)")
    w.add_argument(
        "--language", type=language, help="language of digests and answers (RECAP_LANGUAGE; default: the video's)"
    )
    return w


def _file(action: argparse.Action) -> None:
    """A link or a path: shells complete file names here."""
    action.complete = shtab.FILE  # type: ignore[attr-defined]  # shtab reads this attribute


def checked(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """What argparse cannot say by itself; each mistake exits 2 with the usage, like argparse's own."""
    if args.json and args.command not in JSON_COMMANDS:
        p.error(f"--json: recap {args.command} has no JSON output (it has for {', '.join(JSON_COMMANDS)})")
    if "format" in args:
        if args.json and args.format not in (None, "json"):
            p.error(f"--json and --format {args.format} ask for different things; give one")
        args.format = "json" if args.json else args.format or ("text" if args.command == "summarize" else "txt")
    return args


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = parser()
    return checked(p, p.parse_args(argv))
