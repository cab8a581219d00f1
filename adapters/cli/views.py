"""Digests and answers for a terminal, with rich: `[mm:ss]` stamps that are also clickable links.

The same `Markup` as Slack and Discord writes the stamps, moments and facts; only rich's own
escaping and link syntax differ.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from summarizer.models import Answer, Digest, clock

from ..markup import Markup, one_line, provenance, saving


def link(url: str | None, label: str) -> str:
    label = f"[cyan]{escape(label)}[/cyan]"
    return f"[link={url}]{label}[/link]" if url else label


# rich has no symmetric bold marker; views that need bold write rich's tags themselves.
MARKUP = Markup(escape, link, bold="")


def _line(markup: str) -> Text:
    return Text.from_markup(markup)


def digest_view(d: Digest) -> Group:
    v = d.video
    # The terminal says the saving even under a minute: a reader there asked for this one video.
    meta = [
        f"{clock(v.duration_s)} video" if v.duration_s else "",
        one_line(v.channel or ""),
        f"{d.reading_minutes:g} min read",
        saving(d),
    ]
    lines: list[Text] = [
        _line(f"[bold]{escape(v.title)}[/bold]"),
        _line(f"[dim]{escape(' · '.join(x for x in meta if x))}[/dim]"),
        _line(f"[dim]{escape(v.url)}[/dim]"),
        Text(""),
        Text(d.hook),
        Text(""),
        _line(f"[bold]The question[/bold]  {escape(d.core_question)}"),
        Text(""),
        _line("[bold]Highlights[/bold]"),
        *(_line(f"  {MARKUP.moment(h)}") for h in d.highlights),
        Text(""),
    ]
    for s in d.sections:
        lines.append(_line(f"[bold]{MARKUP.stamp_in(v, s.start_s)} {escape(s.title)}[/bold]"))
        lines.append(Text("  " + s.summary))
        if s.quote:
            lines.append(
                _line(f"  [italic]“{escape(s.quote.text)}”[/italic] {MARKUP.stamp(s.quote.start_s, s.quote.url)}")
            )
        for q in s.deeper:
            lines.append(_line(f"  [dim]Q[/dim] {escape(q.question)}  [dim]A[/dim] {escape(q.answer)}"))
        lines.append(Text(""))
    lines.append(_line("[bold]Key takeaways[/bold]"))
    lines += [Text(f"  • {t}") for t in d.takeaways]
    if d.qa:
        lines += [Text(""), _line("[bold]Questions and answers[/bold]")]
        for q in d.qa:
            at = f" {MARKUP.stamp_in(v, q.start_s)}" if q.start_s is not None else ""
            lines.append(_line(f"  [bold]{escape(q.question)}[/bold]{at}"))
            lines.append(Text(f"    {q.answer}"))
    lines += [Text(""), _line(f"[dim]{escape(provenance(d))} · {d.transcript.segments} segments[/dim]")]
    return Group(*lines)


def as_json(value: Digest | Answer, *, compact: bool = False) -> str:
    """The JSON of shared/digest.schema.json; one line each where several follow one another."""
    data: dict[str, Any] = value.model_dump(
        mode="json", exclude={"video": {"is_live"}} if isinstance(value, Digest) else None
    )
    return json.dumps(_without_null_links(data), ensure_ascii=False, indent=None if compact else 2)


def _without_null_links(value: Any) -> Any:
    """The contract's moments and citations have a `url` string or none at all: a local file's
    moments have nowhere to link to, so theirs is left out rather than written as null."""
    if isinstance(value, dict):
        return {k: _without_null_links(v) for k, v in value.items() if not (k == "url" and v is None)}
    if isinstance(value, list):
        return [_without_null_links(v) for v in value]
    return value


def answer_view(a: Answer) -> Panel:
    body: list[Text] = [Text(a.answer)]
    if a.citations:
        body.append(Text(""))
        body += [_line(f"{MARKUP.stamp(c.start_s, c.url)} [dim]{escape(c.text)}[/dim]") for c in a.citations]
    title = escape(a.question) if a.grounded else f"{escape(a.question)} [dim](not covered by the video)[/dim]"
    return Panel(Group(*body), title=title, title_align="left", border_style="cyan" if a.grounded else "yellow")
