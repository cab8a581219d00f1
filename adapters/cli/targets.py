"""The links one `recap summarize` works through: its arguments, where `-` stands for the lines of
stdin (one link a line; blank lines and `#` comments skipped), read before any work starts so the
progress display can count them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from summarizer.errors import BadInput

MAX_LINKS = 1000  # a list longer than this is a mistake (or a flood), not a morning's reading
MAX_LINE_BYTES = 8192  # no link is this long; a longer line is refused, never cut into a link
_SHOWN = 80


class Target(NamedTuple):
    text: str
    problem: str | None = None  # why it is refused before anything is fetched


def targets(args: Iterable[str], stdin: BinaryIO) -> list[Target]:
    found: list[Target] = []
    for arg in args:
        for target in _lines(stdin) if arg == "-" else [Target(arg)]:
            found.append(target)
            if len(found) > MAX_LINKS:  # checked as it reads: `yes URL | recap summarize -` ends here
                raise BadInput(f"more than {MAX_LINKS} links at once; give at most {MAX_LINKS} a run.")
    return found


def _lines(stream: BinaryIO) -> Iterator[Target]:
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # the rest of a line too long to be a link, read and dropped
            yield Target(f"line {number} of stdin", f"longer than {MAX_LINE_BYTES} bytes; not a link.")
            continue
        text = line.decode("utf-8", errors="replace").strip()
        if text and not text.startswith("#"):
            yield Target(text)


def shown(text: str) -> str:
    """A target as an error message may quote it: one printable line, not too long."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in " ".join(text.split()))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
