"""`recap summarize --format md` and `recap transcript --format txt|srt|vtt|json` as a person gets
them: Markdown that renders to recap's structure and links only, whatever the captions say, and
subtitle files that real readers (ffmpeg, recap's own caption parser) read back cue for cue."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from adapters.cli.commands import main
from adapters.cli.markdown import digest_markdown
from adapters.cli.subtitles import srt, vtt
from adapters.cli.views import digest_view
from summarizer.captions import parse_captions
from summarizer.models import Segment, Transcript, Video
from tests.support.recap import FIXTURES
from tests.support.terminal import recap
from tests.support.values import sample_digest


class Rendered(HTMLParser):
    """The HTML that CommonMark makes of a text: its elements, links, headings and visible text."""

    def __init__(self, markdown: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self._text = ""
        self._heading: str | None = None
        self.feed(MarkdownIt("commonmark").render(markdown))

    @property
    def text(self) -> str:
        return " ".join(self._text.split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]
        if re.fullmatch(r"h\d", tag):
            self._heading = tag + " "

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag.startswith("h"):
            self.headings.append(" ".join(self._heading.split()))
            self._heading = None
        self._text += " "

    def handle_data(self, data: str) -> None:
        self._text += data
        if self._heading is not None:
            self._heading += data


# What a caption can try: links, images, bare links GitHub would make clickable, emphasis, code,
# raw HTML (escaped in the VTT, so it survives as text), entities, tables, mentions, math.
INJECTIONS = [
    "[honey](http://evil.example/a)",
    "![pixel](http://evil.example/p.png)",
    "https://evil.example/b and www.evil.example",
    "**loud** and _soft_ and `code`",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&amp;copy; | a | b |",
    "@everyone #12 $x^2$ ~~gone~~",
    "<http://evil.example/c>",
]


def hostile_talk(folder, name: str) -> str:
    """bees.opus under `name`, with captions beside it that carry an injection in every cue;
    some cues start the way Markdown blocks do."""
    media = folder / f"{name}.opus"
    shutil.copy(FIXTURES / "media" / "bees.opus", media)
    cues = (FIXTURES / "media" / "bees.en.vtt").read_text().split("\n\n")
    starts = ["# ", "1. ", "- ", "> ", "=== ", ""]
    out = [cues[0]]
    for i, cue in enumerate(cues[1:]):
        number, timing, text = cue.strip().split("\n", 2)
        words = text.rstrip(".").split(" ")
        words.insert(len(words) // 2, INJECTIONS[i % len(INJECTIONS)])
        out.append(f"{number}\n{timing}\n{starts[i % len(starts)]}{' '.join(words)}.")
    (folder / f"{name}.en.vtt").write_text("\n\n".join(out) + "\n")
    return str(media)


def test_markdown_digest_links_each_moment_to_its_second(tmp_path, media_server, monkeypatch, capsys):
    url = media_server.url("site/bees.html")
    ran = recap(tmp_path, "summarize", url, "--format", "md")
    assert ran.code == 0, ran.err
    digest = stored_digest(tmp_path, url, monkeypatch, capsys)
    page = Rendered(ran.out)
    assert page.headings[0] == f"h1 {digest['video']['title']}"
    assert [h for h in page.headings if h.startswith("h2 ") and "[" not in h] == [
        "h2 Highlights",
        "h2 Key takeaways",
        *(["h2 Questions and answers"] if digest["qa"] else []),
    ]
    sections = [h for h in page.headings if h.startswith("h2 [")]
    assert [h.split("] ", 1)[1] for h in sections] == [s["title"] for s in digest["sections"]]
    seconds = {h["start_s"] for h in digest["highlights"]} | {s["start_s"] for s in digest["sections"]}
    seconds |= {s["quote"]["start_s"] for s in digest["sections"] if s.get("quote")}
    seconds |= {q["start_s"] for q in digest["qa"] if q.get("start_s") is not None}
    assert set(page.links) == {url} | {f"{url}#t={int(n)}" for n in seconds}
    for h in digest["highlights"]:
        assert f"[{int(h['start_s']) // 60}:{int(h['start_s']) % 60:02d}] {h['text']}" in page.text


def stored_digest(folder, target: str, monkeypatch, capsys) -> dict:
    """The digest a `recap` process just stored in `folder`, as JSON, read in this process."""
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{folder / 'recap.sqlite3'}")
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    assert main(["summarize", target, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_captions_cannot_write_markdown(tmp_path, monkeypatch, capsys):
    """Every injection reaches the digest through the real pipeline (captions beside a media file,
    the extractive writer) and is shown as the words it is: no link, image, emphasis, HTML or block."""
    talk = hostile_talk(tmp_path, "# Bees `c` <b> & ~~x~~ | t |")
    ran = recap(tmp_path, "summarize", talk, "--format", "md")
    assert ran.code == 0, ran.err
    digest = stored_digest(tmp_path, talk, monkeypatch, capsys)
    page = Rendered(ran.out)
    assert page.links == []  # a local file has no page to link to, and the captions add none
    assert set(page.tags) <= {"h1", "h2", "p", "em", "strong", "ul", "li", "blockquote"}
    assert page.headings[0] == "h1 # Bees `c` <b> & ~~x~~ | t |"
    assert sum(h.startswith("h1") for h in page.headings) == 1
    written = [digest["hook"], *(h["text"] for h in digest["highlights"]), *digest["takeaways"]]
    written += [s["summary"] for s in digest["sections"]]
    reached = [
        m for m in ("](http://evil", "![pixel]", "www.evil", "**loud**", "<img", "| a |", "$x^2$") if m in str(written)
    ]
    assert len(reached) >= 3, written  # else this test would test nothing
    for words in written:
        assert " ".join(words.split()) in " ".join(page.text.split())  # shown as written, literally
    # GitHub links bare addresses by itself: none stays bare in the Markdown.
    assert not re.search(r"(?<!\\)://|\bwww\.", ran.out)
    assert "\\@everyone" in ran.out or "@everyone" not in json.dumps(digest)


def test_markdown_escapes_every_field_and_links_only_web_pages():
    video = Video(key="k", url="javascript:alert(1)", title="=== [x](http://evil.example)")
    digest = sample_digest(video).model_copy(
        update={"hook": "- a\n\n# b\n    code", "takeaways": ["1) one", "+ two", "<!-- c -->", "a\\*b"]}
    )
    page = Rendered(digest_markdown(digest))
    assert page.links == []  # javascript: is not a page
    assert page.headings[0] == "h1 === [x](http://evil.example)"
    assert "- a # b code" in page.text and "1) one" in page.text and "+ two" in page.text
    assert "<!-- c -->" in page.text and "a\\*b" in page.text
    assert "pre" not in page.tags and "ol" not in page.tags

    spaced = Video(key="k", url="https://example.com/a video>(1)", title="T")
    markdown = digest_markdown(sample_digest(spaced))
    assert Rendered(markdown).links[0] == "https://example.com/a%20video%3E(1)"


def test_transcript_exports_read_back_cue_for_cue_from_the_store(tmp_path, media_server, monkeypatch, capsys):
    url = media_server.url("site/bees.html")
    ran = recap(tmp_path, "transcript", url, "--format", "srt")
    assert ran.code == 0 and "Looking for captions" in ran.err, ran.err
    assert ran.out.startswith("1\n00:00:00,500 --> 00:00:04,582\nPeople have kept bees")
    fetched = len(media_server.paths())

    # The other formats in this process (a process each costs seconds), from the same database.
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'recap.sqlite3'}")
    out = {"srt": ran.out}
    for fmt in ("json", "txt", "vtt"):
        assert main(["transcript", url, "--format", fmt]) == 0
        out[fmt] = capsys.readouterr().out
    assert len(media_server.paths()) == fetched  # the stored transcript: nothing fetched again

    exported = json.loads(out["json"])
    segments = [Segment(**s) for s in exported["transcript"]["segments"]]
    assert exported["video"]["title"] == "The Secret Life of Honey Bees" and len(segments) == 15
    assert segments == parse_captions((FIXTURES / "media" / "bees.en.vtt").read_text(), "vtt")
    assert out["txt"].splitlines()[1] == f"[0:05] {segments[1].text}"
    assert out["vtt"].startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:04.582\nPeople have kept bees")
    for fmt in ("srt", "vtt"):
        assert parse_captions(out[fmt], fmt) == segments
        cues = read_by_ffmpeg(tmp_path, out[fmt], fmt)
        assert [c[2] for c in cues] == [s.text for s in segments]
        assert all(abs(c[0] - s.start) < 0.011 and abs(c[1] - s.end) < 0.011 for c, s in zip(cues, segments))


HOSTILE = Transcript(
    source="whisper",
    segments=[
        Segment(start=0, end=1.5, text="two\n\n2\n00:00:09,000 --> 00:00:10,000\nforged"),
        Segment(start=2, end=3, text="   "),  # nothing to show: no empty cue, numbering goes on
        Segment(start=3, end=4, text="a --> b & <i>tags</i> &amp; {\\an8}{hidden}"),
        Segment(start=5, end=4.5, text="ends before it starts"),
        Segment(start=3725.5, end=3727.25, text="past an hour"),
    ],
)


def test_subtitles_of_a_hostile_transcript_keep_one_cue_per_segment(tmp_path):
    for fmt, text in (("srt", srt(HOSTILE)), ("vtt", vtt(HOSTILE))):
        cues = read_by_ffmpeg(tmp_path, text, fmt)
        assert [(start, end) for start, end, _ in cues] == [(0, 1.5), (3, 4), (5, 5), (3725.5, 3727.25)]
        assert cues[0][2] == "two 2 00:00:09,000 --> 00:00:10,000 forged"  # one cue, as spoken
        if fmt == "vtt":  # escaped, so read back exactly
            said = cues[1][2].replace("\\{", "{").replace("\\}", "}")  # ffmpeg's ASS escapes braces itself
            assert said == "a --> b & <i>tags</i> &amp; {\\an8}{hidden}"
            # recap's own reader drops {\\an8} from any track, as ever; the escapes read back exactly
            assert parse_captions(text, "vtt")[1].text == "a --> b & <i>tags</i> &amp; {hidden}"
        else:  # SubRip has no escapes: no player may take these for tags or a hidden block
            assert cues[1][2] == "a --> b & \u2039i>tags\u2039/i> &amp; \uff5b\\an8}\uff5bhidden}"
    assert "\n2\n00:00:03,000 --> 00:00:04,000\n" in srt(HOSTILE) and "01:02:05,500 --> 01:02:07,250" in srt(HOSTILE)


def read_by_ffmpeg(folder, text: str, fmt: str) -> list[tuple[float, float, str]]:
    """The cues ffmpeg finds in a subtitle file, through its ASS output: (start, end, text)."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    path = folder / f"cues.{fmt}"
    path.write_text(text)
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "ass", "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cues = []
    for line in done.stdout.splitlines():
        if line.startswith("Dialogue:"):
            _, start, end, *_, said = line.split(",", 9)
            cues.append((_ass_seconds(start), _ass_seconds(end), said.replace("\\N", " ")))
    return cues


def _ass_seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return round(int(h) * 3600 + int(m) * 60 + float(s), 2)


def test_a_clip_shorter_than_its_digest_claims_no_saving():
    video = Video(key="k", url="https://example.com/clip", title="Clip", duration_s=70)
    short = sample_digest(video).model_copy(update={"reading_minutes": 1.8, "watch_minutes": 1.2, "saved_minutes": 0})
    with_saving = sample_digest(video)
    assert "saves you" not in digest_markdown(short) and "1.8 min read" in digest_markdown(short)
    assert "saves you about 1 min vs. watching" in digest_markdown(with_saving)
    console = Console(width=100, record=True)
    console.print(digest_view(short))
    text = console.export_text()
    assert "saves you" not in text and "1.8 min read" in text
