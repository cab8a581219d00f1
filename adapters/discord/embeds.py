"""recap's values as Discord messages: pure functions, no I/O.

A "message" is a plain dict `{"content": str | None, "embeds": [Embed.to_dict()-shaped dicts]}`; the last
message of a digest also carries `"components"`: its buttons as Discord API action rows. `to_discord`
turns a message into the keyword arguments of `Messageable.send`, `Message.edit` or
`InteractionResponse.send_message` (`discord.Embed` objects, a `discord.ui.View` for the buttons, and
`AllowedMentions.none()`).

Every function keeps within Discord's limits without dropping content: long text is split across
embed descriptions at blank lines, then lines, then sentences, then words (never inside a masked
link or a `\\x` escape), embeds fill a message up to its 6,000-character budget and its 10 embeds, and
a reply that needs more continues in further messages. Only titles (the embed title) and quotes in
answers' sources are shortened, and a shortened title is repeated in full at the top of the digest.

Text from videos (titles, transcript quotes, writers' prose) is untrusted: it is escaped for Discord
markdown (`adapters.discord.markdown`), so it can neither ping nor format nor link. Footers are not
markdown on Discord, so they get plain one-line text. `to_discord` also sends
`AllowedMentions.none()`, so even a mention that got through would not notify anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.buttons import ANY_ID, ASK, CUSTOM_ID_MAX, FULL_DIGEST, TEMPLATE, TRANSCRIPT, DigestButton
from adapters.discord.buttons import ASK_MODAL as ASK_MODAL  # every custom id recap makes is named here
from adapters.discord.markdown import MARKDOWN, MARKUP, escape, link
from adapters.markup import one_line, provenance, reading_facts
from adapters.textfit import Cut, fit, shorten, size
from summarizer.models import Answer, Digest, Video

# --- Discord's limits ------------------------------------------------------------------------
# From Discord's developer documentation: docs/resources/message ("Embed Limits" under the embed
# object; "Create Message": content and embeds) and docs/interactions/message-components (custom_id).
CONTENT_MAX = 2000  # message content
EMBED_TITLE_MAX = 256  # embed title
EMBED_DESCRIPTION_MAX = 4096  # embed description
FOOTER_TEXT_MAX = 2048  # embed footer text
EMBEDS_PER_MESSAGE_MAX = 10  # embeds in one message
# Title, description, field names and values, footer text and author names of all embeds of one
# message together (discord.Embed.__len__ counts the same parts; recap sends no fields or authors).
EMBEDS_TOTAL_MAX = 6000

# --- recap's own choices ---------------------------------------------------------------------
CITATION_QUOTE_MAX = 200  # a source's quoted words, in answers
PROGRESS_MAX = 500  # one progress line
COLOUR = 0x5865F2  # every card of a reply has the same stripe, so continuations read as one

NOT_COVERED = "The video does not cover this."

Message = dict[str, Any]
Embed = dict[str, Any]

_BUTTONS = (("Full digest", FULL_DIGEST, 1), ("Transcript", TRANSCRIPT, 2), ("Ask a question", ASK, 2))


# --- public API ------------------------------------------------------------------------------


def digest_messages(digest: Digest) -> list[Message]:
    """The digest reply: linked title, facts, hook, question, highlights, takeaways, provenance, buttons."""
    v = digest.video
    parts = [
        *_full_title(v),
        " · ".join([*MARKUP.video_facts(v), *reading_facts(digest)]),
        escape(digest.hook),
        f"**The question:** {escape(digest.core_question)}",
        "**Highlights**\n" + "\n".join(f"• {MARKUP.moment(h)}" for h in digest.highlights),
        "**Key takeaways**\n" + "\n".join(f"• {escape(t)}" for t in digest.takeaways),
    ]
    messages = _pack([_Block("\n\n".join(p for p in parts if p))], _title_embed(v), _footer(digest))
    buttons = digest_buttons(v.key)
    if buttons:
        messages[-1]["components"] = buttons
    return messages


def full_digest_messages(digest: Digest) -> list[Message]:
    """Every section (stamped heading, summary, quote, digging deeper), then the closing Q&A.

    Each section starts a card of its own, as a divider would; a long one continues in the next.
    """
    v = digest.video
    intro = "\n\n".join([*_full_title(v), " · ".join(["Full digest", *MARKUP.video_facts(v)])])
    blocks = [_Block(intro)]
    for section in digest.sections:
        heading = f"{MARKUP.stamp_in(v, section.start_s)} **{escape(one_line(section.title))}**"
        parts = [f"{heading}\n{escape(section.summary)}"]
        if section.quote is not None:
            parts.append(MARKUP.blockquote(section.quote))
        if section.deeper:
            parts.append("**Digging deeper**\n" + MARKUP.qa_text(section.deeper, v))
        blocks.append(_Block("\n\n".join(parts), fresh=True))
    if digest.qa:
        blocks.append(_Block("**Questions and answers**\n" + MARKUP.qa_text(digest.qa, v), fresh=True))
    return _pack(blocks, _title_embed(v), _footer(digest))


def answer_messages(answer: Answer, *, show_question: bool = False) -> list[Message]:
    """The answer, then its sources; an ungrounded answer says so (in the footer) and cites nothing.

    `show_question` repeats the question above the answer, for questions asked in the modal,
    which leave no message of their own in the channel.
    """
    parts = []
    if show_question and answer.question.strip():
        parts.append(f"**Q:** {escape(one_line(answer.question))}")
    parts.append(escape(answer.answer))
    if answer.grounded and answer.citations:
        lines = [
            f"• {MARKUP.stamp(c.start_s, c.url)} “{escape(shorten(one_line(c.text), CITATION_QUOTE_MAX))}”"
            for c in answer.citations
        ]
        parts.append("**Sources**\n" + "\n".join(lines))
    return _pack([_Block("\n\n".join(parts))], None, None if answer.grounded else NOT_COVERED)


def progress_message(text: str) -> Message:
    """One quiet line, e.g. "Watching… transcribing 35%"; made to be edited in place."""
    return {"content": fit(one_line(text), PROGRESS_MAX, escape) or "…", "embeds": []}


def notice_message(text: str) -> Message:
    """A plain notice: an error, help. Only a notice longer than a message's content allows is shortened."""
    body = escape(text.strip()) or "…"
    if size(body) > CONTENT_MAX:  # help that long is a bug elsewhere; still send something valid
        body = MARKDOWN.split(body, CONTENT_MAX - 2)[0].rstrip() + "\n…"
    return {"content": body, "embeds": []}


def custom_id(prefix: str, video_key: str) -> str:
    """`{prefix}:{video_key}`; ValueError when that is over Discord's 100 characters."""
    value = f"{prefix}:{video_key}"
    if size(value) > CUSTOM_ID_MAX:
        raise ValueError(f"custom_id {value[:40]!r}… is {size(value)} characters; Discord allows {CUSTOM_ID_MAX}")
    return value


def requested_message(url: str, user: str) -> Message:
    """ "Digest of URL for @user", the public message a requested digest is threaded on. The
    asker is the one person it may ping; `to_discord` allows exactly that mention."""
    if not user.isdigit():
        return {"content": f"Digest of {link(url, shorten(url, 300))}", "embeds": []}
    return {"content": f"Digest of {link(url, shorten(url, 300))} for <@{user}>", "embeds": [], "mention_users": [user]}


def parse_custom_id(value: str) -> tuple[str, str] | None:
    """(prefix, video_key) of a custom_id recap made; None for anything else."""
    match = ANY_ID.fullmatch(value)
    return (match["action"], match["key"]) if match else None


def digest_buttons(video_key: str) -> list[dict[str, Any]]:
    """The digest's buttons as Discord action rows; none when the key is too long for a custom_id.

    recap's keys (`youtube:<id>`, `vimeo:<id>`, `url:<16 hex>`) are far shorter than the 83 characters
    left after the longest prefix; a digest without buttons still beats no digest.
    """
    try:
        ids = [custom_id(prefix, video_key) for _, prefix, _ in _BUTTONS]
    except ValueError:
        return []
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": style, "label": label, "custom_id": cid}
                for (label, _, style), cid in zip(_BUTTONS, ids)
            ],
        }
    ]


def to_discord(payload: Message) -> dict[str, Any]:
    """Keyword arguments for discord.py's send/edit: Embed objects, the buttons as a View of dynamic
    items (matched by their custom ids when clicked, so no view is kept per message), no pings."""
    kwargs: dict[str, Any] = {
        "content": payload.get("content"),
        "embeds": [discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if payload.get("mention_users"):
        kwargs["allowed_mentions"] = discord.AllowedMentions(
            everyone=False,
            roles=False,
            replied_user=False,
            users=[discord.Object(int(u)) for u in payload["mention_users"]],
        )
    if payload.get("components"):
        view = discord.ui.View(timeout=None)
        for row, action_row in enumerate(payload["components"]):
            for b in action_row["components"]:
                match = TEMPLATE.fullmatch(b["custom_id"])
                if match is None:
                    raise ValueError(f"not a custom_id of recap's buttons: {b['custom_id'][:40]!r}")
                style = discord.ButtonStyle(b["style"])
                view.add_item(DigestButton(match["action"], match["key"], b["label"], style, row))
        kwargs["view"] = view
    return kwargs


# --- pieces of a reply -----------------------------------------------------------------------


def _title_embed(v: Video) -> Embed:
    """The first card's title, linked to the video; shortened to fit (then `_full_title` repeats it)."""
    embed: Embed = {"title": fit(one_line(v.title) or v.url, EMBED_TITLE_MAX, escape)}
    if v.url.lower().startswith(("http://", "https://")):
        embed["url"] = v.url
    return embed


def _footer(d: Digest) -> str:
    """Plain text: Discord renders no markdown or mentions in footers."""
    return shorten(provenance(d), FOOTER_TEXT_MAX)


def _full_title(v: Video) -> list[str]:
    title = one_line(v.title) or v.url
    return [f"**{escape(title)}**"] if size(escape(title)) > EMBED_TITLE_MAX else []


# --- packing text into embeds and messages -----------------------------------------------------


_SENTENCE_ROOM = 1000  # see _pack


@dataclass(frozen=True)
class _Block:
    text: str
    fresh: bool = False  # start a new card, as a divider would


def _pack(blocks: list[_Block], first: Embed | None, footer: str | None) -> list[Message]:
    """The blocks' text in order across embed descriptions and messages, every limit kept.

    Each message keeps `footer`'s size free, so the footer always fits on the last card. Text that
    starts a message may be cut anywhere it must; text that fills up a message only at blank lines,
    lines, or (with room for at least `_SENTENCE_ROOM` characters) sentence ends; else it moves on.
    """
    budget = EMBEDS_TOTAL_MAX - (size(footer) if footer else 0)
    messages: list[list[Embed]] = [[dict(first)]] if first else [[]]
    used = size(first["title"]) if first else 0
    for block in blocks:
        text, fresh = block.text.strip(), block.fresh
        while text:
            embeds = messages[-1]
            has_text = any(e.get("description") for e in embeds)
            current = embeds[-1] if embeds and not (fresh and embeds[-1].get("description")) else None
            if current is None and len(embeds) >= EMBEDS_PER_MESSAGE_MAX:
                messages.append([])
                used = 0
                continue
            desc = current.get("description", "") if current else ""
            sep = "\n\n" if desc else ""
            room = min(EMBED_DESCRIPTION_MAX - size(desc), budget - used) - size(sep)
            finest = Cut.ANYWHERE if not has_text else Cut.SENTENCE if room >= _SENTENCE_ROOM else Cut.LINE
            taken = MARKDOWN.take(text, room, finest)
            if taken is None:
                if current is not None and desc:
                    fresh = True  # this card is full: try a new one in this message
                else:
                    messages.append([])
                    used = 0
                continue
            head, text = taken
            if current is None:
                current = {}
                embeds.append(current)
            current["description"] = desc + sep + head
            used += size(sep + head)
            fresh = False
    if footer:
        if not messages[-1]:
            messages[-1].append({})
        messages[-1][-1]["footer"] = {"text": footer}
    return [{"content": None, "embeds": [_embed(e) for e in embeds]} for embeds in messages if embeds]


def _embed(fields: Embed) -> Embed:
    """Exactly what `discord.Embed.to_dict()` gives for these fields."""
    embed = discord.Embed(
        title=fields.get("title"), url=fields.get("url"), description=fields.get("description"), colour=COLOUR
    )
    if "footer" in fields:
        embed.set_footer(text=fields["footer"]["text"])
    return dict(embed.to_dict())  # the TypedDict discord.py declares, as the plain dict recap passes around
