"""A digest as Markdown (CommonMark, as GitHub, GitLab and most wikis read it), to paste into docs.

Text from the video (title, captions, a writer's prose quoting them) is untrusted: `escape` makes it
literal, so a caption cannot add a heading, a list, emphasis, a table, raw HTML, an image or a link
— not even the bare `https://…` and `www.…` that GitHub links by itself. recap's own timestamp links
are written after escaping, as `[[mm:ss]](<deep link>)`, and only to http(s) pages.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from summarizer.models import Digest, clock

from ..markup import Markup, one_line, provenance, saving

# Characters with a meaning anywhere in a line: code, emphasis, links and images, raw HTML and
# autolinks, headings, tables, strikethrough, entities, and on GitHub @mentions (which notify
# people), #issue references and $math$. CommonMark lets any ASCII punctuation be backslash-escaped,
# so each is shown as itself.
_INLINE = re.compile(r"[\\`*_\[\]<>#|~&@$]")
# What starts a block when it starts a line: lists, quotes are `>` (escaped above), setext
# underlines and thematic breaks (`---`, `===`, `+++`), ordered lists ("1." or "1)").
_LINE_START = re.compile(r"^([ \t]*)(?:([-+=])|(\d{1,9})([.)]))", re.MULTILINE)
# GitHub-flavoured autolinks need no brackets: a scheme's "://", or "www.".
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|\b(www)(\.)")


def escape(text: str) -> str:
    text = _INLINE.sub(lambda m: "\\" + m.group(), text)
    text = _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else f"{m.group(2)}\\.", text)
    return _LINE_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), text
    )


def link(url: str | None, label: str) -> str:
    """`[label](<url>)` for a web page; the label alone for anything else (a local file, javascript:)."""
    text = escape(label)
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        return text
    # Inside <…> a destination may hold anything but line breaks, `<`, `>` and escapes: encode them.
    return f"[{text}](<{quote(url, safe=SAFE_IN_URL)}>)"


# Everything a URL legitimately holds stays as it is; spaces, brackets and backslashes are encoded.
SAFE_IN_URL = "!#$%&'()*+,-./:;=?@_~[]"

MARKUP = Markup(escape, link, bold="**")


def digest_markdown(d: Digest) -> str:
    v = d.video
    meta = [
        f"{clock(v.duration_s)} video" if v.duration_s else "",
        escape(one_line(v.channel or "")),
        f"{d.reading_minutes:g} min read",
        saving(d),
    ]
    lines = [
        f"# {link(v.url, one_line(v.title) or 'Untitled video')}",
        "",
        f"*{' · '.join(x for x in meta if x)}*",
        "",
        escape(one_line(d.hook)),
        "",
        f"**The question:** {escape(one_line(d.core_question))}",
        "",
        "## Highlights",
        "",
        *(f"- {MARKUP.moment(h.model_copy(update={'text': one_line(h.text)}))}" for h in d.highlights),
        "",
    ]
    for s in d.sections:
        lines += [f"## {MARKUP.stamp_in(v, s.start_s)} {escape(one_line(s.title))}", "", escape(one_line(s.summary))]
        if s.quote:
            lines += ["", MARKUP.blockquote(s.quote)]
        if s.deeper:
            lines.append("")
            lines += [f"- **{escape(one_line(q.question))}** {escape(one_line(q.answer))}" for q in s.deeper]
        lines.append("")
    lines += ["## Key takeaways", "", *(f"- {escape(one_line(t))}" for t in d.takeaways), ""]
    if d.qa:
        qa = [q.model_copy(update={"answer": one_line(q.answer)}) for q in d.qa]
        lines += ["## Questions and answers", "", MARKUP.qa_text(qa, v), ""]
    lines.append(f"*{escape(provenance(d))} · {d.transcript.segments} segments*")
    return "\n".join(lines) + "\n"
