"""Digests and answers for a terminal, with rich: `[mm:ss]` stamps that are also clickable links."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from summarizer.links import deep_link
from summarizer.models import Answer, Digest, Moment, clock


def stamp(seconds: float, url: str | None) -> str:
    label = f"[{clock(seconds)}]"
    return f"[link={url}][cyan]{escape(label)}[/cyan][/link]" if url else f"[cyan]{escape(label)}[/cyan]"


def _moment(m: Moment) -> str:
    return f"{stamp(m.start_s, m.url)} {escape(m.text)}"


def digest_view(d: Digest) -> Group:
    v = d.video
    meta = [f"{clock(v.duration_s)} video" if v.duration_s else None, v.channel,
            f"{d.reading_minutes:g} min read", f"saves you about {d.saved_minutes:g} min vs. watching"]
    lines: list = [
        Text.from_markup(f"[bold]{escape(v.title)}[/bold]"),
        Text.from_markup(f"[dim]{escape(' · '.join(x for x in meta if x))}[/dim]"),
        Text.from_markup(f"[dim]{escape(v.url)}[/dim]"),
        Text(""),
        Text(d.hook),
        Text(""),
        Text.from_markup(f"[bold]The question[/bold]  {escape(d.core_question)}"),
        Text(""),
        Text.from_markup("[bold]Highlights[/bold]"),
        *(Text.from_markup(f"  {_moment(h)}") for h in d.highlights),
        Text(""),
    ]
    for s in d.sections:
        lines.append(Text.from_markup(f"[bold]{stamp(s.start_s, deep_link(v.url, s.start_s) or None)} {escape(s.title)}[/bold]"))
        lines.append(Text("  " + s.summary))
        if s.quote:
            lines.append(Text.from_markup(f"  [italic]“{escape(s.quote.text)}”[/italic] {stamp(s.quote.start_s, s.quote.url)}"))
        for q in s.deeper:
            lines.append(Text.from_markup(f"  [dim]Q[/dim] {escape(q.question)}  [dim]A[/dim] {escape(q.answer)}"))
        lines.append(Text(""))
    lines.append(Text.from_markup("[bold]Key takeaways[/bold]"))
    lines += [Text(f"  • {t}") for t in d.takeaways]
    if d.qa:
        lines += [Text(""), Text.from_markup("[bold]Questions and answers[/bold]")]
        for q in d.qa:
            at = f" {stamp(q.start_s, None)}" if q.start_s is not None else ""
            lines.append(Text.from_markup(f"  [bold]{escape(q.question)}[/bold]{at}"))
            lines.append(Text(f"    {q.answer}"))
    covered = "" if d.transcript.covered_s >= 0.95 * (v.duration_s or 0) else \
        f" · covers the first {clock(d.transcript.covered_s)}"
    lines += [Text(""), Text.from_markup(
        f"[dim]transcript: {d.transcript.source} ({d.transcript.segments} segments){covered} · writer: {d.writer}[/dim]")]
    return Group(*lines)


def answer_view(a: Answer) -> Panel:
    body: list = [Text(a.answer)]
    if a.citations:
        body.append(Text(""))
        body += [Text.from_markup(f"{stamp(c.start_s, c.url)} [dim]{escape(c.text)}[/dim]") for c in a.citations]
    title = escape(a.question) if a.grounded else f"{escape(a.question)} [dim](not covered by the video)[/dim]"
    return Panel(Group(*body), title=title, title_align="left", border_style="cyan" if a.grounded else "yellow")
