"""recap's values as Slack Block Kit: pure functions, no I/O.

A "message" is a `chat.postMessage` payload without the channel: `{"text": fallback, "blocks": [...]}`.
Every function keeps within Block Kit's limits without dropping content: long text is split across
section blocks at blank lines, then lines, then sentences, then words (never inside a link or an
`&amp;`-style entity), and a reply that needs more blocks than one message allows continues in further
messages. Only titles in headers and quotes in answers' sources are shortened, and a shortened
title is repeated in full below the header.

Text from videos (titles, transcript quotes, writers' prose) is untrusted: it is escaped for mrkdwn
(`&`, `<`, `>`), so it can neither mention `<!channel>` nor forge a `<link|label>`, and mrkdwn text
objects are sent with `verbatim: true`, so Slack does not turn bare names into mentions either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from adapters.markup import Markup, one_line, provenance, reading_facts
from adapters.textfit import TextFit, fit, shorten, size
from summarizer.models import Answer, Digest, Video

# --- Slack's limits --------------------------------------------------------------------------
# From Slack's Block Kit reference (docs.slack.dev/reference/block-kit: blocks, block elements,
# composition objects, views) and chat.postMessage; slack_sdk.models validates the same numbers.
MAX_BLOCKS_PER_MESSAGE = 50  # chat.postMessage: "blocks" holds at most 50 blocks
SECTION_TEXT_MAX = 3000  # section block: text
TEXT_OBJECT_MAX = 3000  # any text object, e.g. one element of a context block
HEADER_TEXT_MAX = 150  # header block: text (plain_text only)
CONTEXT_ELEMENTS_MAX = 10  # context block: elements
BUTTON_VALUE_MAX = 2000  # button: value
MODAL_TITLE_MAX = 24  # view: title, submit and close
PRIVATE_METADATA_MAX = 3000  # view: private_metadata
# Undocumented: chat.postMessage refuses with `msg_blocks_too_long` once all blocks together carry
# about 12,000-13,000 characters, well under 50 full sections (slackapi/bolt-js#2509 and #2867,
# where 11,341 characters of text in rich_text blocks already failed). We keep each message's
# blocks, measured as their JSON, under this budget.
MESSAGE_BLOCKS_BUDGET = 11_000

# --- recap's own choices ---------------------------------------------------------------------
FALLBACK_MAX = 200  # the notification line: a summary, not the content
CITATION_QUOTE_MAX = 200  # a source's quoted words, in answers
QUESTION_MAX = 1000  # what the ask modal accepts

ACTION_FULL_DIGEST = "recap_full_digest"
ACTION_TRANSCRIPT = "recap_transcript"
ACTION_ASK = "recap_ask"
ASK_MODAL_CALLBACK = "recap_ask_modal"
QUESTION_BLOCK = "question"
QUESTION_ACTION = "question_input"
NOT_COVERED = "The video does not cover this."

Block = dict[str, Any]
Message = dict[str, Any]


# --- public API ------------------------------------------------------------------------------


def digest_messages(digest: Digest) -> list[Message]:
    """The digest reply: title, facts, hook, question, highlights, takeaways, provenance, buttons."""
    v = digest.video
    blocks = _title_blocks(v)
    blocks += _context([" · ".join(f for f in [*MARKUP.video_facts(v), *reading_facts(digest), _video_link(v)] if f)])
    blocks += _sections(escape(digest.hook))
    blocks += _sections(f"*The question:* {escape(digest.core_question)}")
    blocks += _sections("*Highlights*\n" + "\n".join(f"• {MARKUP.moment(h)}" for h in digest.highlights))
    blocks += _sections("*Key takeaways*\n" + "\n".join(f"• {escape(t)}" for t in digest.takeaways))
    blocks += _context([escape(provenance(digest))])
    blocks.append(_buttons(v.key))
    return _pack(blocks, f"Recap of {one_line(v.title)}: {one_line(digest.hook)}")


def full_digest_messages(digest: Digest) -> list[Message]:
    """Every section (stamped heading, summary, quote, digging deeper), then the closing Q&A."""
    v = digest.video
    blocks = _title_blocks(v)
    blocks += _context([" · ".join(f for f in ["Full digest", *MARKUP.video_facts(v), _video_link(v)] if f)])
    for section in digest.sections:
        blocks.append({"type": "divider"})
        heading = f"{MARKUP.stamp_in(v, section.start_s)} *{escape(one_line(section.title))}*"
        blocks += _sections(f"{heading}\n{escape(section.summary)}")
        if section.quote is not None:
            blocks += _sections(MARKUP.blockquote(section.quote))
        if section.deeper:
            blocks += _sections("*Digging deeper*\n" + MARKUP.qa_text(section.deeper, v))
    if digest.qa:
        blocks.append({"type": "divider"})
        blocks += _sections("*Questions and answers*\n" + MARKUP.qa_text(digest.qa, v))
    blocks += _context([escape(provenance(digest))])
    return _pack(blocks, f"Full digest of {one_line(v.title)}")


def answer_messages(answer: Answer, *, show_question: bool = False) -> list[Message]:
    """The answer, then its sources; an ungrounded answer says so and cites nothing.

    `show_question` repeats the question above the answer, for questions asked in the modal,
    which leave no message of their own in the thread.
    """
    blocks: list[Block] = []
    if show_question and answer.question.strip():
        blocks += _context([f"*Q:* {escape(one_line(answer.question))}"])
    blocks += _sections(escape(answer.answer))
    if not answer.grounded:
        blocks += _context([NOT_COVERED])
    elif answer.citations:
        lines = [
            f"• {MARKUP.stamp(c.start_s, c.url)} “{escape(shorten(one_line(c.text), CITATION_QUOTE_MAX))}”"
            for c in answer.citations
        ]
        blocks += _sections("*Sources:*\n" + "\n".join(lines))
    return _pack(blocks, answer.answer if answer.grounded else f"{NOT_COVERED} {answer.answer}")


def progress_message(text: str) -> Message:
    """One quiet line, e.g. "Watching… 0:00 of 42:10 · transcribing 35%"; made to be updated."""
    return {"text": _fallback(text), "blocks": _context([escape(shorten(one_line(text), 500) or "…")])}


def notice_message(text: str) -> Message:
    """A plain notice: an error, help. Only a notice longer than one message allows is shortened."""
    blocks = _sections(escape(text)) or _sections("…")
    messages = _pack(blocks, text)
    if len(messages) > 1:  # help that long is a bug elsewhere; still send something valid
        messages[0]["blocks"][-1:] = _sections(escape("…"))
    return messages[0]


def requested_message(url: str, user: str) -> Message:
    """ "Digest of URL for @user", the public message a requested digest is threaded on. The
    asker is the one mention recap makes, and only when the id is a real Slack user id."""
    mention = f"<@{user}>" if _USER_ID.fullmatch(user) else "someone"
    return {
        # The notification line too: a mention recap writes is a real one, never escaped as user text is.
        "text": f"{_fallback(f'Digest of {url}', FALLBACK_MAX - 40)} for {mention}",
        "blocks": _sections(f"Digest of {link(url, shorten(url, 300))} for {mention}"),
    }


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def ask_modal(title: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `views.open` view asking one question about a video.

    `private_metadata` is JSON: `extra` (team, channel, thread: where the submit handler asks).
    Raises ValueError when that JSON is over Slack's 3,000 characters.
    """
    metadata = json.dumps(extra or {}, ensure_ascii=False, separators=(",", ":"))
    if size(metadata) > PRIVATE_METADATA_MAX:
        raise ValueError(f"private_metadata is {size(metadata)} characters; Slack allows {PRIVATE_METADATA_MAX}")
    return {
        "type": "modal",
        "callback_id": ASK_MODAL_CALLBACK,
        "private_metadata": metadata,
        "title": _plain(shorten("Ask about this video", MODAL_TITLE_MAX)),
        "submit": _plain("Ask"),
        "close": _plain("Cancel"),
        "blocks": [
            *_context([f"*{escape(shorten(one_line(title), 300))}*"]),
            {
                "type": "input",
                "block_id": QUESTION_BLOCK,
                "label": _plain("Your question"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": QUESTION_ACTION,
                    "multiline": True,
                    "max_length": QUESTION_MAX,
                    "placeholder": _plain("What did they say about…?"),
                },
            },
        ],
    }


def escape(text: str) -> str:
    """Text for mrkdwn, shown as written: Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """`<url|label>` with the label escaped; just the escaped label when there is no web URL."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return escape(label)
    for raw, encoded in (("|", "%7C"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ("\n", "")):
        url = url.replace(raw, encoded)
    return f"<{escape(url)}|{escape(one_line(label))}>"


MARKUP = Markup(escape, link, bold="*")


# --- pieces of a reply -----------------------------------------------------------------------


def _title_blocks(v: Video) -> list[Block]:
    title = one_line(v.title) or v.url
    blocks = [{"type": "header", "text": _plain(shorten(title, HEADER_TEXT_MAX))}]
    if size(title) > HEADER_TEXT_MAX:  # shortened above: the whole title still reaches the reader
        blocks += _sections(f"*{escape(title)}*")
    return blocks


def _video_link(v: Video) -> str:
    return link(v.url, "open the video") if v.url.lower().startswith(("http://", "https://")) else ""


def _buttons(video_key: str) -> Block:
    if size(video_key) > BUTTON_VALUE_MAX:
        raise ValueError(f"a video key longer than {BUTTON_VALUE_MAX} characters cannot ride on a button")
    buttons = [("Full digest", ACTION_FULL_DIGEST), ("Transcript", ACTION_TRANSCRIPT), ("Ask a question", ACTION_ASK)]
    return {
        "type": "actions",
        "block_id": "recap_actions",
        "elements": [
            {"type": "button", "text": _plain(label), "action_id": action_id, "value": video_key}
            for label, action_id in buttons
        ],
    }


# --- blocks ----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _sections(text: str) -> list[Block]:
    """Section blocks holding all of `text`, each within the section limit."""
    return [{"type": "section", "text": _mrkdwn(chunk)} for chunk in split_mrkdwn(text, SECTION_TEXT_MAX)]


def _context(texts: Iterable[str]) -> list[Block]:
    """Context blocks of mrkdwn elements: at most 10 elements a block, each within its limit."""
    elements = [_mrkdwn(chunk) for text in texts for chunk in split_mrkdwn(text, TEXT_OBJECT_MAX)]
    return [
        {"type": "context", "elements": elements[i : i + CONTEXT_ELEMENTS_MAX]}
        for i in range(0, len(elements), CONTEXT_ELEMENTS_MAX)
    ]


def _pack(blocks: list[Block], summary: str) -> list[Message]:
    """Blocks in order, across as few messages as Slack's block count and size allow."""
    groups: list[list[Block]] = [[]]
    used = 0
    for block in blocks:
        weight = size(json.dumps(block, ensure_ascii=False))
        if groups[-1] and (len(groups[-1]) >= MAX_BLOCKS_PER_MESSAGE or used + weight > MESSAGE_BLOCKS_BUDGET):
            groups.append([])
            used = 0
        groups[-1].append(block)
        used += weight
    fallback = _fallback(summary)
    if len(groups) == 1:
        return [{"text": fallback, "blocks": groups[0]}]
    first = _fallback(summary, FALLBACK_MAX - 12)
    return [{"text": f"{first} ({i}/{len(groups)})", "blocks": group} for i, group in enumerate(groups, 1)]


# --- text ------------------------------------------------------------------------------------

# Never cut inside a `<link|label>` or mention, or an `&amp;`-style entity; a link longer than a
# whole block is shown as text rather than lost.
MRKDWN = TextFit(r"<[^<>\n]*>|&(?:amp|lt|gt);", defuse=lambda token: token.replace("<", "&lt;").replace(">", "&gt;"))


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units (what Slack may count), cut at the gentlest
    boundary that fits; a cut `> ` quote line keeps its `>` on every piece, and no piece is blank
    (Slack refuses empty text)."""
    return MRKDWN.split(text, limit)


def _fallback(text: str, limit: int = FALLBACK_MAX) -> str:
    """The notification line for a message: one line, escaped, at most `limit` characters."""
    return fit(one_line(text), limit, escape) or "recap"
