"""`recap summarize` with several links, as arguments or one a line on stdin: each in turn under one
progress display, a bad one reported on its own line while the rest still run, and an exit status
that says whether any failed and whether trying again could help."""

from __future__ import annotations

import io
import json
import sys
from itertools import repeat
from types import SimpleNamespace

from adapters.cli.commands import main
from adapters.cli.targets import MAX_LINE_BYTES, MAX_LINKS
from tests.support.recap import FIXTURES, schema_validator
from tests.support.terminal import recap

BEES_FILE = str(FIXTURES / "media" / "bees.opus")  # captions beside it: no whisper needed


def test_a_failed_link_does_not_stop_the_others(tmp_path, media_server):
    url, missing = media_server.url("site/bees.html"), media_server.url("site/missing.html")
    corrupt = str(FIXTURES / "media" / "corrupt.opus")
    ran = recap(tmp_path, "summarize", url, "hello there", corrupt, BEES_FILE, "--json")
    assert ran.code == 1, ran.err  # the corrupt file may read another day; "hello there" never will
    lines = ran.out.splitlines()
    assert len(lines) == 2  # JSON Lines: one digest a line, in the order given
    for line in lines:
        schema_validator("digest").validate(json.loads(line))
    assert [json.loads(line)["video"]["key"][:4] for line in lines] == ["url:", "file"]
    errors = [line for line in ran.err.splitlines() if line.startswith("recap: ")]
    assert errors[0] == "recap: hello there: 'hello there' is neither an http(s) link nor a media file on this machine."
    assert errors[1].startswith(f"recap: {corrupt}: corrupt.opus could not be read")
    assert errors[2] == "recap: 2 of 4 links summarised, 2 failed."
    assert [line for line in ran.err.splitlines() if line.startswith("[")] == [
        f"[1/4] {url}",
        "[2/4] hello there",
        f"[3/4] {corrupt}",
        f"[4/4] {BEES_FILE}",
    ]

    # One a line on stdin: blank lines and comments skipped, a line too long to be a link and one
    # that is not UTF-8 refused, each on its own; only bad input failed, so the status is 2.
    lines_in = f"# reading list\n\n{missing}\n{'x' * (MAX_LINE_BYTES + 10)}\n".encode()
    lines_in += b"\xff\xfe\x1b[31mred\n" + f"{url}\n  {BEES_FILE}  \n".encode()
    ran = recap(tmp_path, "summarize", "-", "--format", "md", stdin=lines_in)
    assert ran.code == 2, ran.err
    assert ran.out.count("\n# ") + ran.out.startswith("# ") == 2 and "\n---\n" in ran.out
    assert f"recap: {missing}: Nothing was found at that link (HTTP 404)" in ran.err
    assert f"recap: line 4 of stdin: longer than {MAX_LINE_BYTES} bytes; not a link." in ran.err
    assert "\x1b" not in ran.err and "recap: \ufffd\ufffd\ufffd[31mred: " in ran.err
    assert "recap: 2 of 5 links summarised, 3 failed." in ran.err


class Endless(io.RawIOBase):
    """`yes URL | recap summarize -`: a stdin that never ends."""

    def __init__(self, line: bytes) -> None:
        self.lines = repeat(line)

    def readline(self, size: int | None = -1) -> bytes:
        return next(self.lines)


def test_endless_or_empty_stdin_is_refused_before_any_work(tmp_path, media_server, monkeypatch, capsys):
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'recap.sqlite3'}")
    url = media_server.url("site/bees.html")
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=Endless(f"{url}\n".encode())))
    assert main(["summarize", "-"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"recap: more than {MAX_LINKS} links at once" in err
    assert media_server.paths() == []

    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"\n# nothing here\n\n")))
    assert main(["summarize", "-"]) == 2
    assert "recap: no links to summarise (stdin had none)." in capsys.readouterr().err
