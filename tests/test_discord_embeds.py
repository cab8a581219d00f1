"""Discord embeds for digests, answers and notices: within Discord's limits, nothing lost, nothing pings."""

from __future__ import annotations

import re

import discord
import pytest

from adapters.discord.embeds import (
    ASK,
    ASK_MODAL,
    CONTENT_MAX,
    CUSTOM_ID_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_TITLE_MAX,
    EMBEDS_PER_MESSAGE_MAX,
    EMBEDS_TOTAL_MAX,
    FOOTER_TEXT_MAX,
    FULL_DIGEST,
    NOT_COVERED,
    TRANSCRIPT,
    answer_messages,
    custom_id,
    digest_buttons,
    digest_messages,
    full_digest_messages,
    notice_message,
    parse_custom_id,
    progress_message,
    to_discord,
)
from adapters.discord.markdown import escape, link
from summarizer.links import deep_link
from summarizer.models import (
    QA,
    Answer,
    Citation,
    Digest,
    Moment,
    Section,
    TranscriptInfo,
    Video,
    clock,
)

# Discord's limits on embed fields and authors: recap sends neither, and check_message makes sure.
FIELD_NAME_MAX, FIELD_VALUE_MAX, FIELDS_MAX, AUTHOR_NAME_MAX = 256, 1024, 25, 256
URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
KEY = "youtube:dQw4w9WgXcQ"
EVIL_TITLE = (
    "@everyone **bold** <@123> _under_ ~~gone~~ ||spoiler|| `code` [click](https://evil.example) # not a header"
)
LONG_EVIL_TITLE = EVIL_TITLE + " — " + " ".join(["a very long conference talk about lighthouses & fog signals"] * 5)


def at(seconds: float) -> str:
    return deep_link(URL, seconds)


def sentences(n: int, topic: str, length: int = 0) -> list[str]:
    """n distinct sentences with characters Discord would format; padded to about `length` in all."""
    made = [f"{topic} point {i} says *R&D* costs more when fog > 3 days, “quoted” @here too." for i in range(n)]
    while length and len(" ".join(made)) < length:
        i = len(made)
        made.append(f"{topic} extra {i}: keepers logged __weather__ & <@{10**17 + i}> ships hourly in {1900 + i}.")
    return made


def video(title: str = "Lighthouses & fog signals", duration_s: float = 2530, url: str = URL) -> Video:
    return Video(key=KEY, url=url, title=title, channel="Maritime *History*", duration_s=duration_s)


def small_digest(covered_s: float = 2530, **video_fields) -> Digest:
    return Digest(
        video=video(**video_fields),
        transcript=TranscriptInfo(source="captions", segments=300, covered_s=covered_s),
        writer="claude",
        hook="Keepers & their lamps: why *fog* mattered.",
        core_question="How did ships find harbours in fog?",
        highlights=[Moment(text="The first horn", start_s=62, url=at(62)), Moment(text="No link here", start_s=125)],
        sections=[
            Section(
                title="Horns",
                start_s=60,
                end_s=300,
                summary="Horns came first. Then sirens.",
                quote=Moment(text="It was _loud_ & clear", start_s=90, url=at(90)),
                deeper=[QA(question="How loud?", answer="Very.", start_s=95)],
            )
        ],
        takeaways=["Fog kills.", "Sound carries."],
        qa=[QA(question="Who paid?", answer="The state.", start_s=400), QA(question="When?", answer="1900s.")],
        reading_minutes=3.4,
        watch_minutes=42,
        saved_minutes=38.6,
    )


def huge_digest(title: str = EVIL_TITLE) -> Digest:
    return Digest(
        video=video(title=title, duration_s=4 * 3600 + 5),
        transcript=TranscriptInfo(source="whisper", segments=4000, covered_s=3600),
        writer="claude-opus",
        hook=" ".join(sentences(6, "hook")),
        core_question="What did **lighthouse** keepers & sailors need from <@&456> each other?",
        highlights=[
            Moment(
                text=" ".join(sentences(8, f"highlight {i}", 400))[:400].strip(),
                start_s=60 * i + 5,
                url=at(60 * i + 5) if i % 2 else None,
            )
            for i in range(8)
        ],
        sections=[
            Section(
                title=f"Part {i} *of* 6 & more",
                start_s=600 * i,
                end_s=600 * i + 599,
                summary=" ".join(sentences(4, f"section {i}", 2500)),
                quote=Moment(
                    text=f"Quote {i}: the lamp & the _horn_\nsecond line {i}",
                    start_s=600 * i + 30,
                    url=at(600 * i + 30),
                ),
                deeper=[
                    QA(
                        question=f"Deeper {i}.{j} & why?",
                        answer=" ".join(sentences(3, f"deeper {i}.{j}")),
                        start_s=600 * i + 60 * j,
                    )
                    for j in range(3)
                ],
            )
            for i in range(6)
        ],
        takeaways=[f"Takeaway {i}: light & sound **together** beat fog {i} times." for i in range(20)],
        qa=[
            QA(
                question=f"Closing question {i} `q`?",
                answer=" ".join(sentences(4, f"closing {i}")),
                start_s=100.0 * i if i % 2 else None,
            )
            for i in range(6)
        ],
        reading_minutes=14.2,
        watch_minutes=245,
        saved_minutes=230.8,
    )


# --- checking what Discord would accept --------------------------------------------------------

# recap's own links: `[[mm:ss]](https://...)`; nothing else may be a masked link.
OUR_LINK = re.compile(r"\[\[\d+(?::\d\d){1,2}\]\]\((https://[^()\s]+)\)")
PLAIN_STAMP = re.compile(r"\[\d+(?::\d\d){1,2}\](?!\()")  # a stamp with nowhere to jump to


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def embed_total(embed: dict) -> int:
    """What Discord counts towards 6,000: title, description, field names and values, footer, author."""
    total = utf16(embed.get("title", "")) + utf16(embed.get("description", ""))
    total += sum(utf16(f["name"]) + utf16(f["value"]) for f in embed.get("fields", []))
    total += utf16(embed.get("footer", {}).get("text", "")) + utf16(embed.get("author", {}).get("name", ""))
    return total


def markdown_texts(message: dict) -> list[str]:
    """Every text Discord renders as markdown: content, titles, descriptions, field names and values."""
    found = [message["content"]] if message.get("content") else []
    for e in message["embeds"]:
        found += [e[k] for k in ("title", "description") if e.get(k)]
        found += [t for f in e.get("fields", []) for t in (f["name"], f["value"])]
    return found


def all_text(messages: list[dict]) -> str:
    return "\n".join(t for m in messages for t in markdown_texts(m))


def descriptions(messages: list[dict]) -> list[str]:
    return [e["description"] for m in messages for e in m["embeds"] if e.get("description")]


def footers(messages: list[dict]) -> list[str]:
    return [e["footer"]["text"] for m in messages for e in m["embeds"] if "footer" in e]


def assert_safe_markdown(text: str) -> None:
    """No live mention, no masked link but recap's own, no link cut in two."""
    assert not re.search(r"@(everyone|here)", text), text
    outside = PLAIN_STAMP.sub("", OUR_LINK.sub("", text))
    outside = re.sub(r"\\.", "", outside, flags=re.DOTALL)  # escaped characters are shown as written
    assert not re.search(r"<[@#/:]|<a:|<t:", outside), text
    assert "[" not in outside and "]" not in outside, text  # a stray bracket: a forged or a broken link
    assert not re.search(r"<@[!&]?\d{17,20}>", text.replace("\\<", "")), text


def check_message(message: dict) -> None:
    assert set(message) <= {"content", "embeds", "components"}
    content, embeds = message["content"], message["embeds"]
    assert content or embeds, "Discord refuses an empty message"
    if content is not None:
        assert content.strip() and utf16(content) <= CONTENT_MAX
    assert len(embeds) <= EMBEDS_PER_MESSAGE_MAX
    for e in embeds:
        assert utf16(e.get("title", "")) <= EMBED_TITLE_MAX
        assert utf16(e.get("description", "")) <= EMBED_DESCRIPTION_MAX
        assert e.get("description") is None or e["description"].strip()
        assert len(e.get("fields", [])) <= FIELDS_MAX
        for f in e.get("fields", []):
            assert utf16(f["name"]) <= FIELD_NAME_MAX and utf16(f["value"]) <= FIELD_VALUE_MAX
        assert utf16(e.get("footer", {}).get("text", "")) <= FOOTER_TEXT_MAX
        assert utf16(e.get("author", {}).get("name", "")) <= AUTHOR_NAME_MAX
        assert embed_total(e) > 0, "an empty embed"
        assert e.get("url") is None or e["url"].startswith(("http://", "https://"))
        assert discord.Embed.from_dict(e).to_dict() == e  # to_dict()-shaped: round-trips
    assert sum(embed_total(e) for e in embeds) <= EMBEDS_TOTAL_MAX
    assert sum(len(discord.Embed.from_dict(e)) for e in embeds) <= EMBEDS_TOTAL_MAX  # as discord.py counts
    for text in markdown_texts(message):
        assert_safe_markdown(text)
    for row in message.get("components", []):
        assert row["type"] == 1 and 1 <= len(row["components"]) <= 5
        for button in row["components"]:
            assert button["type"] == 2 and len(button["custom_id"]) <= CUSTOM_ID_MAX and len(button["label"]) <= 80


def check_messages(messages: list[dict]) -> None:
    assert messages
    for message in messages:
        check_message(message)
    assert not any(m.get("components") for m in messages[:-1]), "buttons only on the last message"


def in_order(text: str, pieces: list[str]) -> bool:
    positions = [text.index(p) for p in pieces]
    return positions == sorted(positions)


# --- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("@everyone and @here", "@\u200beveryone and @\u200bhere"),
        ("**bold** _it_ ~~s~~ ||sp|| `c`", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|sp\\|\\| \\`c\\`"),
        (
            "<@123> <@!123> <@&9> <#42> <t:1700000000:R> </recap:1> <:fog:1> <a:fog:2>",
            "\\<@123> \\<@!123> \\<@&9> \\<#42> \\<t:1700000000:R> \\</recap:1> \\<:fog:1> \\<a:fog:2>",
        ),
        ("<@123456789012345678>", "\\<@\u200b123456789012345678>"),
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        (
            "# title\n> quote\n- item\n* star\n+ plus\n1. one\n-# small",
            "\\# title\n\\> quote\n\\- item\n\\* star\n\\+ plus\n1\\. one\n\\-# small",
        ),
        ("a\n\n- b", "a\n\n\\- b"),  # escape_markdown alone leaves this a list
        ("  - indented", "  \\- indented"),
        ("back\\slash", "back\\\\slash"),
        ("see https://example.com/a_b_c?x=*1* now", "see https://example.com/a_b_c?x=*1* now"),  # links stay links
        ("2024 was foggy. 3 > 2", "2024 was foggy. 3 > 2"),
    ],
)
def test_escape(raw, escaped):
    assert escape(raw) == escaped


def test_links_and_stamps():
    assert link(at(62), "[1:02]") == f"[[1:02]]({at(62)})"
    assert link(None, "[1:02]") == "[1:02]"
    assert link("file:///tmp/x.mp4", "[1:02]") == "[1:02]"
    assert link("https://x.example/a (b)", "[0:01]") == "[[0:01]](https://x.example/a%20%28b%29)"
    assert link("https://x.example", "see *this* [x]") == "[see \\*this\\* \\[x\\]](https://x.example)"


# --- the digest reply ----------------------------------------------------------------------------


def test_small_digest_is_one_embed_with_everything():
    d = small_digest()
    messages = digest_messages(d)
    check_messages(messages)
    [message] = messages
    assert message["content"] is None
    [embed] = message["embeds"]
    assert embed["title"] == "Lighthouses & fog signals" and embed["url"] == URL
    assert embed["description"] == (
        "`42:10` · Maritime \\*History\\* · 3 min read · saves you about 39 min\n\n"
        "Keepers & their lamps: why \\*fog\\* mattered.\n\n"
        "**The question:** How did ships find harbours in fog?\n\n"
        f"**Highlights**\n• [[1:02]]({at(62)}) The first horn\n• [2:05] No link here\n\n"
        "**Key takeaways**\n• Fog kills.\n• Sound carries."
    )
    assert embed["footer"] == {"text": "transcript: captions · writer: claude"}


def test_digest_buttons_carry_the_video_key():
    messages = digest_messages(small_digest())
    [row] = messages[-1]["components"]
    assert [(b["label"], b["custom_id"]) for b in row["components"]] == [
        ("Full digest", f"{FULL_DIGEST}:{KEY}"),
        ("Transcript", f"{TRANSCRIPT}:{KEY}"),
        ("Ask a question", f"{ASK}:{KEY}"),
    ]
    assert [parse_custom_id(b["custom_id"]) for b in row["components"]] == [
        (FULL_DIGEST, KEY),
        (TRANSCRIPT, KEY),
        (ASK, KEY),
    ]


def test_custom_ids_and_long_keys():
    assert custom_id(ASK_MODAL, KEY) == f"recap:ask-modal:{KEY}"
    assert parse_custom_id(f"recap:ask-modal:{KEY}") == (ASK_MODAL, KEY)  # not ASK with key "-modal:…"
    assert parse_custom_id("recap:ask:") is None and parse_custom_id("other:thing") is None
    key = "url:" + "x" * (CUSTOM_ID_MAX - len(TRANSCRIPT) - 1 - 4)  # the longest key every button takes
    assert len(custom_id(TRANSCRIPT, key)) == CUSTOM_ID_MAX and digest_buttons(key)
    with pytest.raises(ValueError, match="custom_id"):
        custom_id(TRANSCRIPT, key + "x")
    assert digest_buttons(key + "x") == []
    d = small_digest().model_copy(update={"video": video().model_copy(update={"key": "url:" + "k" * 200})})
    messages = digest_messages(d)
    check_messages(messages)
    assert "components" not in messages[-1]  # the digest still goes out, without buttons


def test_partial_transcript_is_said_in_the_footer():
    assert footers(digest_messages(small_digest(covered_s=1200))) == [
        "transcript: captions · covers the first 20:00 of 42:10 · writer: claude"
    ]
    assert footers(digest_messages(small_digest(covered_s=2500))) == [  # 98.8%: covered
        "transcript: captions · writer: claude"
    ]


def test_unknown_duration_channel_and_url():
    d = small_digest().model_copy(update={"video": Video(key="url:abc", url="/tmp/talk.mp4", title="Local talk")})
    d = d.model_copy(update={"highlights": [Moment(text="here", start_s=3)]})
    messages = digest_messages(d)
    check_messages(messages)
    [embed] = messages[0]["embeds"]
    assert "url" not in embed and embed["title"] == "Local talk"
    assert embed["description"].startswith("3 min read · saves you about 39 min\n\n")
    assert "• [0:03] here" in embed["description"]
    assert "covers the first" not in footers(messages)[0]


def test_huge_digest_fits_discord_and_loses_nothing():
    d = huge_digest()
    messages = digest_messages(d)
    check_messages(messages)
    text = all_text(messages)
    first = messages[0]["embeds"][0]
    assert first["title"] == escape(EVIL_TITLE) and first["url"] == URL
    assert "@everyone" not in first["title"] and "\\<@123>" in first["title"] and "\\*\\*bold\\*\\*" in first["title"]
    pieces = [*(escape(s) for s in sentences(6, "hook")), f"**The question:** {escape(d.core_question)}"]
    for h in d.highlights:
        stamp = f"[[{clock(h.start_s)}]]({h.url})" if h.url else f"[{clock(h.start_s)}]"
        pieces.append(f"• {stamp} {escape(h.text)}")  # each highlight whole, on its line
    pieces += [f"• {escape(t)}" for t in d.takeaways]
    for piece in pieces:
        assert piece in text
    assert in_order(text, pieces)
    assert len(OUR_LINK.findall(text)) == 4  # the four highlights with a URL: every link whole
    assert footers(messages) == ["transcript: whisper · covers the first 1:00:00 of 4:00:05 · writer: claude-opus"]
    assert messages[-1]["embeds"][-1].get("footer") and messages[-1]["components"]


def test_title_too_long_for_the_embed_title_is_repeated_in_full():
    messages = digest_messages(huge_digest(title=LONG_EVIL_TITLE))
    check_messages(messages)
    title = messages[0]["embeds"][0]["title"]
    assert title.endswith("…") and utf16(title) <= EMBED_TITLE_MAX
    assert escape(LONG_EVIL_TITLE).startswith(title[:-1].rstrip())
    assert messages[0]["embeds"][0]["description"].startswith(f"**{escape(LONG_EVIL_TITLE)}**\n\n")


def test_long_hook_is_split_at_sentences_in_order():
    hook = " ".join(sentences(160, "long hook"))  # ~13,000 characters
    d = small_digest().model_copy(update={"hook": hook})
    messages = digest_messages(d)
    check_messages(messages)
    assert len(messages) >= 3
    pieces = [part for p in descriptions(messages) for part in p.split("\n\n") if "long hook" in part]
    assert len(pieces) >= 3
    assert " ".join(pieces) == escape(hook)  # cut only between sentences, nothing lost, in order
    assert all(piece.endswith(".") for piece in pieces)


def test_text_without_spaces_is_cut_hard_but_kept():
    blob = "x" * 9000 + "🌫" * 3000  # no place to cut; emoji count twice
    d = small_digest().model_copy(update={"hook": blob})
    messages = digest_messages(d)
    check_messages(messages)
    assert "".join(descriptions(messages)).count("x") == 9000
    assert "".join(descriptions(messages)).count("🌫") == 3000


def test_many_takeaways_continue_in_further_messages_with_buttons_last():
    takeaways = [f"Takeaway {i} & friends: {'fog ' * 30}end." for i in range(200)]
    d = small_digest().model_copy(update={"takeaways": takeaways})
    messages = digest_messages(d)
    check_messages(messages)
    assert len(messages) > 1 and messages[-1]["components"]
    text = all_text(messages)
    pieces = [f"• {escape(t)}" for t in takeaways]
    assert all(p in text for p in pieces) and in_order(text, pieces)
    assert "title" in messages[0]["embeds"][0]
    assert all("title" not in e for m in messages[1:] for e in m["embeds"])
    assert len(footers(messages)) == 1


def test_untrusted_text_pings_nobody():
    d = small_digest(title="@everyone <@123456789012345678> **bold**")
    d = d.model_copy(
        update={"hook": "Say @here & <@&123456789012345678> [now](https://evil.example)", "writer": "w @everyone"}
    )
    messages = digest_messages(d)
    check_messages(messages)
    text = all_text(messages)
    assert "Say @\u200bhere & \\<@\u200b&123456789012345678> \\[now\\](https://evil.example)" in text
    assert footers(messages) == ["transcript: captions · writer: w @everyone"]  # footers render no mentions
    kwargs = to_discord(messages[0])
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}  # and nothing would ping anyway


# --- the full digest -----------------------------------------------------------------------------


def test_full_digest_small():
    d = small_digest()
    messages = full_digest_messages(d)
    check_messages(messages)
    [message] = messages
    assert "components" not in message
    assert [e.get("description") for e in message["embeds"]] == [
        "Full digest · `42:10` · Maritime \\*History\\*",
        f"[[1:00]]({at(60)}) **Horns**\nHorns came first. Then sirens.\n\n"
        f"> “It was \\_loud\\_ & clear” [[1:30]]({at(90)})\n\n"
        f"**Digging deeper**\n**Q: How loud?** [[1:35]]({at(95)})\nVery.",
        f"**Questions and answers**\n**Q: Who paid?** [[6:40]]({at(400)})\nThe state.\n\n**Q: When?**\n1900s.",
    ]
    assert message["embeds"][0]["title"] == "Lighthouses & fog signals"
    assert footers(messages) == ["transcript: captions · writer: claude"]


def test_full_digest_huge_splits_across_messages_in_order():
    d = huge_digest()
    messages = full_digest_messages(d)
    check_messages(messages)
    assert len(messages) >= 3
    text = all_text(messages)
    pieces = []
    for i, s in enumerate(d.sections):
        pieces.append(f"[[{clock(600 * i)}]]({at(600 * i)}) **{escape(s.title)}**")
        pieces += [escape(sentence) for sentence in re.split(r"(?<=\.) ", s.summary)]
        first, second = s.quote.text.splitlines()
        pieces.append(f"> “{escape(first)}\n> {escape(second)}” [[{clock(s.quote.start_s)}]]({s.quote.url})")
        for qa in s.deeper:
            pieces += [f"**Q: {escape(qa.question)}** [[{clock(qa.start_s)}]]({at(qa.start_s)})", escape(qa.answer)]
    for qa in d.qa:
        pieces += [f"**Q: {escape(qa.question)}**", escape(qa.answer)]
    for piece in pieces:
        assert piece in text
    assert in_order(text, pieces)
    # every stamp a whole link: 6 headings, 6 quotes, 18 digging-deeper questions, 3 closing questions
    assert len(OUR_LINK.findall(text)) == 6 + 6 + 18 + 3
    # each section starts a card of its own
    for i in range(6):
        assert any(e.startswith(f"[[{clock(600 * i)}]]") for e in descriptions(messages))


def test_full_digest_with_many_sections_respects_the_embed_count():
    base = small_digest()
    many = [base.sections[0].model_copy(update={"title": f"Part {i}", "start_s": 10.0 * i}) for i in range(60)]
    messages = full_digest_messages(base.model_copy(update={"sections": many}))
    check_messages(messages)
    assert sum(len(m["embeds"]) for m in messages) > EMBEDS_PER_MESSAGE_MAX
    text = all_text(messages)
    assert all(f"**Part {i}**" in text for i in range(60))


def test_long_quote_keeps_its_lines_quoted():
    long_quote = Moment(text=" ".join(sentences(80, "quoted")), start_s=5, url=at(5))
    s = Section(title="Long", start_s=0, end_s=10, summary=" ".join(sentences(90, "summary")), quote=long_quote)
    messages = full_digest_messages(small_digest().model_copy(update={"sections": [s]}))
    check_messages(messages)
    quoted = [p for d in descriptions(messages) for p in d.split("\n\n") if p.startswith(">")]
    assert len(quoted) >= 2 and all(q.startswith("> ") for q in quoted)
    assert " ".join(q[2:] for q in quoted) == f"“{escape(long_quote.text)}” [[0:05]]({at(5)})"


def test_quote_of_one_word_longer_than_a_card_is_cut_and_stays_quoted():
    word = "fog" * 3000  # 9,000 characters with nowhere to cut
    s = Section(title="Long", start_s=0, end_s=10, summary="Short.", quote=Moment(text=word, start_s=5, url=at(5)))
    messages = full_digest_messages(small_digest().model_copy(update={"sections": [s]}))
    check_messages(messages)
    quoted = [p for d in descriptions(messages) for p in d.split("\n\n") if p.startswith(">")]
    assert len(quoted) >= 3 and all(q.startswith("> ") for q in quoted)
    assert "".join(q[2:] for q in quoted) == f"“{word}” [[0:05]]({at(5)})"


# --- answers -------------------------------------------------------------------------------------


def test_grounded_answer_cites_its_sources():
    long_words = "word & *thing* " * 40
    answer = Answer(
        question="Who paid?",
        answer="The state paid & **kept** the lights.",
        grounded=True,
        citations=[
            Citation(start_s=400, end_s=410, text="the state paid for every lamp", url=at(400)),
            Citation(start_s=3725, end_s=3730, text=long_words),
        ],
    )
    messages = answer_messages(answer)
    check_messages(messages)
    [[embed]] = [m["embeds"] for m in messages]
    first, sources = embed["description"].split("\n\n")
    assert first == "The state paid & \\*\\*kept\\*\\* the lights."
    lines = sources.split("\n")
    assert lines[:2] == ["**Sources**", f"• [[6:40]]({at(400)}) “the state paid for every lamp”"]
    assert lines[2].startswith("• [1:02:05] “word & \\*thing\\*") and lines[2].endswith("…”")
    quoted = lines[2][len("• [1:02:05] “") : -1].replace("\\*", "*")
    assert len(quoted) <= 200 and long_words.startswith(quoted[:-1].rstrip())
    assert "footer" not in embed and "Who paid?" not in embed["description"]


def test_ungrounded_answer_says_so_and_cites_nothing():
    answer = Answer(
        question="What about cats?",
        answer="I could not find cats in this talk.",
        grounded=False,
        citations=[Citation(start_s=1, end_s=2, text="nearest words")],
    )
    messages = answer_messages(answer)
    check_messages(messages)
    [[embed]] = [m["embeds"] for m in messages]
    assert embed["description"] == "I could not find cats in this talk."
    assert embed["footer"] == {"text": NOT_COVERED}
    assert "Sources" not in all_text(messages) and "nearest words" not in all_text(messages)


def test_answer_can_repeat_its_question():
    answer = Answer(question="Why *fog* & @everyone?", answer="Because.", grounded=True)
    messages = answer_messages(answer, show_question=True)
    check_messages(messages)
    assert messages[0]["embeds"][0]["description"] == "**Q:** Why \\*fog\\* & @\u200beveryone?\n\nBecause."


def test_long_answer_splits():
    body = "\n\n".join(" ".join(sentences(12, f"para {i}")) for i in range(20))
    answer = Answer(
        question="q",
        answer=body,
        grounded=True,
        citations=[Citation(start_s=i, end_s=i + 1, text=f"cite {i}", url=at(i)) for i in range(30)],
    )
    messages = answer_messages(answer)
    check_messages(messages)
    assert len(messages) >= 2
    text = all_text(messages)
    pieces = [escape(p) for p in body.split("\n\n")] + [f"[[{clock(i)}]]({at(i)}) “cite {i}”" for i in range(30)]
    assert all(p in text for p in pieces) and in_order(text, pieces)


# --- small messages ------------------------------------------------------------------------------


def test_progress_is_one_content_line():
    message = progress_message("Watching… transcribing 35%\n**now** @here")
    check_messages([message])
    assert message == {"content": "Watching… transcribing 35% \\*\\*now\\*\\* @\u200bhere", "embeds": []}
    assert utf16(progress_message("x " * 2000)["content"]) <= 500


def test_notice_is_content_and_escaped():
    message = notice_message("I couldn't summarise https://x.example/a_b: *private* video <@123>.\nPaste another.")
    check_messages([message])
    assert message == {
        "content": "I couldn't summarise https://x.example/a_b: \\*private\\* video \\<@123>.\nPaste another.",
        "embeds": [],
    }


def test_oversized_notice_is_still_one_valid_message():
    message = notice_message("\n".join(sentences(400, "help")))
    check_messages([message])
    assert message["content"].endswith("\n…") and message["content"].startswith(escape(sentences(1, "help")[0]))


# --- into discord.py -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: digest_messages(huge_digest()),
        lambda: full_digest_messages(huge_digest(title=LONG_EVIL_TITLE)),
        lambda: answer_messages(
            Answer(
                question="q",
                answer="a *b*",
                grounded=True,
                citations=[Citation(start_s=1, end_s=2, text="c", url=at(1))],
            )
        ),
        lambda: [progress_message("Watching…"), notice_message("Nope.")],
    ],
)
def test_to_discord_gives_embeds_that_round_trip(make):
    for payload in make():
        kwargs = to_discord(payload)
        assert kwargs["content"] == payload["content"]
        assert all(isinstance(e, discord.Embed) for e in kwargs["embeds"])
        assert [e.to_dict() for e in kwargs["embeds"]] == payload["embeds"]
        assert sum(len(e) for e in kwargs["embeds"]) <= EMBEDS_TOTAL_MAX
        assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
        if payload.get("components"):
            assert kwargs["view"].to_components() == [
                {**row, "components": [{**b, "disabled": False} for b in row["components"]]}
                for row in payload["components"]
            ]
        else:
            assert "view" not in kwargs
