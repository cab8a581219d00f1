"""What Slack's mrkdwn and Discord's markdown share: recap's timestamps, moments, quotations and
Q&A, written with each platform's own escaping, links and bold."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from summarizer.links import deep_link
from summarizer.models import QA, Digest, Moment, Video, clock


def one_line(text: str) -> str:
    return " ".join(text.split())


def reading_facts(d: Digest) -> list[str]:
    facts = [f"{max(1, round(d.reading_minutes))} min read"]
    if round(d.saved_minutes) >= 1:
        facts[0] += f" · saves you about {round(d.saved_minutes)} min"
    return facts


def saving(d: Digest) -> str:
    """The saving as the terminal and Markdown say it, to a tenth of a minute; nothing when the
    digest takes as long to read as the video to watch (a one-minute clip): "saves you about 0
    min" tells a reader nothing."""
    return f"saves you about {d.saved_minutes:g} min vs. watching" if d.saved_minutes > 0 else ""


def provenance(d: Digest) -> str:
    """Where a digest came from, as plain text: transcript source, coverage, writer."""
    text = f"transcript: {d.transcript.source}"
    duration = d.video.duration_s
    if duration and d.transcript.covered_s < 0.95 * duration:
        text += f" · covers the first {clock(d.transcript.covered_s)} of {clock(duration)}"
    return f"{text} · writer: {one_line(d.writer)}"


@dataclass(frozen=True)
class Markup:
    escape: Callable[[str], str]  # untrusted text made inert
    link: Callable[[str | None, str], str]  # a link, or the bare label when there is no url
    bold: str  # the bold marker: "*" in mrkdwn, "**" in Discord markdown

    def stamp(self, seconds: float, url: str | None) -> str:
        """`[mm:ss]` linked to that second, or plain when there is nowhere to jump to."""
        return self.link(url, f"[{clock(seconds)}]")

    def stamp_in(self, video: Video, seconds: float) -> str:
        return self.stamp(seconds, deep_link(video.url, seconds) or None)

    def video_facts(self, v: Video) -> list[str]:
        facts = [f"`{clock(v.duration_s)}`" if v.duration_s else ""]
        facts.append(self.escape(one_line(v.channel)) if v.channel else "")
        return [f for f in facts if f]

    def moment(self, m: Moment) -> str:
        return f"{self.stamp(m.start_s, m.url)} {self.escape(m.text)}"

    def blockquote(self, m: Moment) -> str:
        """A quote as `> ` lines, its stamp at the end."""
        lines = [self.escape(line.strip()) for line in m.text.splitlines() if line.strip()] or [self.escape(m.text)]
        lines[0] = "“" + lines[0]
        lines[-1] += "” " + self.stamp(m.start_s, m.url)
        return "\n".join("> " + line for line in lines)

    def qa_text(self, items: Iterable[QA], video: Video) -> str:
        parts = []
        for qa in items:
            at = f" {self.stamp_in(video, qa.start_s)}" if qa.start_s is not None else ""
            b = self.bold
            parts.append(f"{b}Q: {self.escape(one_line(qa.question))}{b}{at}\n{self.escape(qa.answer)}")
        return "\n\n".join(parts)
