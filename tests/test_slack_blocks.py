"""Slack Block Kit for digests, answers, notices and the ask modal: within Slack's limits, nothing lost."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block as SdkBlock
from slack_sdk.models.views import View

from adapters.slack.blocks import (
    ACTION_ASK,
    ACTION_FULL_DIGEST,
    ACTION_TRANSCRIPT,
    CONTEXT_ELEMENTS_MAX,
    FALLBACK_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS_PER_MESSAGE,
    MESSAGE_BLOCKS_BUDGET,
    MODAL_TITLE_MAX,
    NOT_COVERED,
    SECTION_TEXT_MAX,
    TEXT_OBJECT_MAX,
    answer_messages,
    ask_modal,
    digest_messages,
    escape,
    full_digest_messages,
    link,
    notice_message,
    progress_message,
    split_mrkdwn,
)
from bot.chat import TranscriptFile
from summarizer.links import deep_link
from summarizer.models import (
    QA,
    Answer,
    Citation,
    Digest,
    Moment,
    Section,
    Segment,
    Transcript,
    TranscriptInfo,
    Video,
)

MESSAGE_TEXT_MAX = 40_000  # chat.postMessage truncates "text" past this; recap's fallback stays far below
URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
KEY = "youtube:dQw4w9WgXcQ"
EVIL_TITLE = (
    "Why <script>alert('x')</script> & <!channel> still matter: a very long conference talk title "
    "about lighthouses, fog signals & the people who kept them running through the twentieth century"
)


def at(seconds: float) -> str:
    return deep_link(URL, seconds)


def sentences(n: int, topic: str, length: int = 0) -> list[str]:
    """n distinct sentences with characters that need escaping; padded to about `length` in all."""
    made = [f"{topic} point {i} says R&D <costs> more when fog > 3 days, “quoted” too." for i in range(n)]
    while length and len(" ".join(made)) < length:
        i = len(made)
        made.append(f"{topic} extra {i}: keepers logged weather & ships <hourly> in {1900 + i}.")
    return made


def video(title: str = "Lighthouses & fog signals", duration_s: float = 2530) -> Video:
    return Video(key=KEY, url=URL, title=title, channel="Maritime <History>", duration_s=duration_s)


def small_digest(covered_s: float = 2530, **video_fields) -> Digest:
    return Digest(
        video=video(**video_fields),
        transcript=TranscriptInfo(source="captions", segments=300, covered_s=covered_s),
        writer="claude",
        hook="Keepers & their lamps: why <fog> mattered.",
        core_question="How did ships find harbours in fog?",
        highlights=[Moment(text="The first horn", start_s=62, url=at(62)), Moment(text="No link here", start_s=125)],
        sections=[
            Section(
                title="Horns",
                start_s=60,
                end_s=300,
                summary="Horns came first. Then sirens.",
                quote=Moment(text="It was <loud> & clear", start_s=90, url=at(90)),
                deeper=[QA(question="How loud?", answer="Very.", start_s=95)],
            )
        ],
        takeaways=["Fog kills.", "Sound carries."],
        qa=[QA(question="Who paid?", answer="The state.", start_s=400), QA(question="When?", answer="1900s.")],
        reading_minutes=3.4,
        watch_minutes=42,
        saved_minutes=38.6,
    )


def huge_digest() -> Digest:
    return Digest(
        video=video(title=EVIL_TITLE, duration_s=4 * 3600 + 5),
        transcript=TranscriptInfo(source="whisper", segments=4000, covered_s=3600),
        writer="claude-opus",
        hook=" ".join(sentences(6, "hook")),
        core_question="What did <lighthouse> keepers & sailors need from each other?",
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
                title=f"Part {i} <of> 6 & more",
                start_s=600 * i,
                end_s=600 * i + 599,
                summary=" ".join(sentences(4, f"section {i}", 2500)),
                quote=Moment(
                    text=f"Quote {i}: the lamp & the <horn>\nsecond line {i}",
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
        takeaways=[f"Takeaway {i}: light & sound <together> beat fog {i} times." for i in range(20)],
        qa=[
            QA(
                question=f"Closing question {i} <q>?",
                answer=" ".join(sentences(4, f"closing {i}")),
                start_s=100.0 * i if i % 2 else None,
            )
            for i in range(6)
        ],
        reading_minutes=14.2,
        watch_minutes=245,
        saved_minutes=230.8,
    )


# --- checking what Slack would accept ---------------------------------------------------------


def texts(value: Any) -> list[str]:
    """Every `text` string of text objects anywhere under `value`."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            found.append(value["text"])
        for child in value.values():
            found += texts(child)
    elif isinstance(value, list):
        for child in value:
            found += texts(child)
    return found


def mrkdwn_texts(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            found.append(value["text"])
        for child in value.values():
            found += mrkdwn_texts(child)
    elif isinstance(value, list):
        for child in value:
            found += mrkdwn_texts(child)
    return found


def all_text(messages: list[dict]) -> str:
    return "\n".join(t for m in messages for t in texts(m["blocks"]))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_block(block: dict) -> None:
    """Block Kit's structural rules, by hand and by slack_sdk's own validators."""
    kind = block["type"]
    assert kind in {"header", "section", "context", "actions", "divider", "input"}, block
    if kind == "header":
        assert block["text"]["type"] == "plain_text"
        assert 1 <= utf16(block["text"]["text"]) <= HEADER_TEXT_MAX
    elif kind == "section":
        assert block["text"]["type"] == "mrkdwn"
        assert block["text"]["text"].strip(), "Slack refuses an empty section"
        assert utf16(block["text"]["text"]) <= SECTION_TEXT_MAX
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= CONTEXT_ELEMENTS_MAX
        for element in block["elements"]:
            assert element["type"] in ("mrkdwn", "plain_text")
            assert element["text"].strip() and utf16(element["text"]) <= TEXT_OBJECT_MAX
    elif kind == "actions":
        for button in block["elements"]:
            assert button["type"] == "button" and button["text"]["type"] == "plain_text"
            assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000
    for text in mrkdwn_texts(block):
        assert_well_formed_mrkdwn(text)
    parsed = SdkBlock.parse(block)
    assert parsed is not None and type(parsed) is not SdkBlock, f"slack_sdk does not know {kind}"
    parsed.validate_json()  # raises SlackObjectFormationError past a limit
    assert parsed.to_dict() == block, "a field slack_sdk does not know"


def assert_well_formed_mrkdwn(text: str) -> None:
    """Angle brackets only as whole links; ampersands only as the three entities."""
    outside = re.sub(r"<https?://[^<>|\s]+\|[^<>]+>", "", text)
    assert "<" not in outside and ">" not in re.sub(r"^> ", "", outside, flags=re.M), text
    assert not re.search(r"&(?!amp;|lt;|gt;)", text), text


def check_messages(messages: list[dict]) -> None:
    assert messages
    for message in messages:
        assert set(message) == {"text", "blocks"}
        assert message["text"].strip() and utf16(message["text"]) <= FALLBACK_MAX < MESSAGE_TEXT_MAX
        assert "\n" not in message["text"]
        assert_well_formed_mrkdwn(message["text"])
        assert 1 <= len(message["blocks"]) <= MAX_BLOCKS_PER_MESSAGE
        assert sum(utf16(json.dumps(b, ensure_ascii=False)) for b in message["blocks"]) <= MESSAGE_BLOCKS_BUDGET
        for block in message["blocks"]:
            check_block(block)


def buttons(messages: list[dict]) -> list[tuple[int, int, dict]]:
    return [(i, j, b) for i, m in enumerate(messages) for j, b in enumerate(m["blocks"]) if b["type"] == "actions"]


# --- the digest reply --------------------------------------------------------------------------


def test_small_digest_is_one_message_with_everything():
    d = small_digest()
    messages = digest_messages(d)
    check_messages(messages)
    assert len(messages) == 1
    blocks = messages[0]["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": d.video.title, "emoji": True}}
    assert blocks[1]["type"] == "context"
    facts = blocks[1]["elements"][0]["text"]
    assert "`42:10`" in facts and "Maritime &lt;History&gt;" in facts
    assert "3 min read · saves you about 39 min" in facts
    assert f"<{escape(URL)}|open the video>" in facts
    text = all_text(messages)
    assert escape(d.hook) in text and escape(d.core_question) in text
    assert f"• <{escape(at(62))}|[1:02]> The first horn" in text
    assert "• [2:05] No link here" in text  # no URL: a plain stamp
    assert "• Fog kills.\n• Sound carries." in text
    assert "transcript: captions · writer: claude" in text
    assert "covers the first" not in text
    assert "Recap of Lighthouses &amp; fog signals" in messages[0]["text"]


def test_digest_buttons_carry_the_video_key():
    messages = digest_messages(small_digest())
    [(i, j, actions)] = buttons(messages)
    assert (i, j) == (len(messages) - 1, len(messages[-1]["blocks"]) - 1)
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in actions["elements"]] == [
        ("Full digest", ACTION_FULL_DIGEST, KEY),
        ("Transcript", ACTION_TRANSCRIPT, KEY),
        ("Ask a question", ACTION_ASK, KEY),
    ]


def test_partial_transcript_is_said():
    text = all_text(digest_messages(small_digest(covered_s=1200)))
    assert "transcript: captions · covers the first 20:00 of 42:10 · writer: claude" in text
    assert "covers the first" not in all_text(digest_messages(small_digest(covered_s=2500)))  # 98.8%


def test_unknown_duration_and_channel_leave_no_empty_facts():
    d = small_digest(duration_s=0).model_copy(
        update={"video": video(duration_s=0).model_copy(update={"channel": None})}
    )
    facts = digest_messages(d)[0]["blocks"][1]["elements"][0]["text"]
    assert facts.startswith("3 min read") and " ·  · " not in facts
    assert "covers the first" not in all_text(digest_messages(d))


def test_huge_digest_fits_slack_and_loses_nothing():
    d = huge_digest()
    messages = digest_messages(d)
    check_messages(messages)
    text = all_text(messages)
    header = messages[0]["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"].endswith("…")
    assert len(header["text"]["text"]) <= HEADER_TEXT_MAX
    assert EVIL_TITLE.startswith(header["text"]["text"][:-1].rstrip())
    assert f"*{escape(EVIL_TITLE)}*" in text  # the whole title, right below the shortened header
    for sentence in sentences(6, "hook"):
        assert escape(sentence) in text
    assert escape(d.core_question) in text
    for h in d.highlights:
        stamp = (
            f"<{escape(h.url)}|[{h.start_s // 60:.0f}:{h.start_s % 60:02.0f}]>"
            if h.url
            else f"[{h.start_s // 60:.0f}:{h.start_s % 60:02.0f}]"
        )
        assert f"• {stamp} {escape(h.text)}" in text  # each highlight whole, in one block
    for t in d.takeaways:
        assert f"• {escape(t)}" in text
    assert "covers the first 1:00:00 of 4:00:05" in text
    [(i, _, _)] = buttons(messages)
    assert i == len(messages) - 1 and messages[-1]["blocks"][-1]["type"] == "actions"


def test_long_hook_is_split_at_sentences_in_order():
    hook = " ".join(sentences(120, "long hook"))  # ~9,000 characters
    d = small_digest().model_copy(update={"hook": hook})
    messages = digest_messages(d)
    check_messages(messages)
    hook_blocks = [
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "section" and "long hook" in b["text"]["text"]
    ]
    assert len(hook_blocks) >= 3
    assert " ".join(hook_blocks) == escape(hook)  # cut only between sentences, nothing lost, in order
    assert all(block.endswith(".") for block in hook_blocks)


def test_many_takeaways_continue_in_further_messages_with_buttons_last():
    takeaways = [f"Takeaway {i} & friends: {'fog ' * 30}end." for i in range(200)]
    d = small_digest().model_copy(update={"takeaways": takeaways})
    messages = digest_messages(d)
    check_messages(messages)
    assert len(messages) > 1
    text = all_text(messages)
    assert all(f"• {escape(t)}" in text for t in takeaways)
    positions = [text.index(f"Takeaway {i} &amp;") for i in range(200)]
    assert positions == sorted(positions)
    [(i, _, _)] = buttons(messages)
    assert i == len(messages) - 1
    assert messages[0]["blocks"][0]["type"] == "header"
    assert all(b["type"] != "header" for m in messages[1:] for b in m["blocks"])
    assert [m["text"][-5:] for m in messages] == [f"({n}/{len(messages)})" for n in range(1, len(messages) + 1)]


def test_untrusted_text_is_escaped_everywhere():
    d = small_digest(title="<!channel> & <https://evil.example|click me>")
    d = d.model_copy(update={"hook": "Say <!here> & <@U123> now", "writer": "w<r>&"})
    messages = digest_messages(d)
    check_messages(messages)
    assert messages[0]["blocks"][0]["text"]["text"] == d.video.title  # plain_text: shown as written
    every = "\n".join(m["text"] + "\n" + "\n".join(mrkdwn_texts(m["blocks"])) for m in messages)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil"):
        assert raw not in every
    text = all_text(messages)
    assert "Say &lt;!here&gt; &amp; &lt;@U123&gt; now" in text
    assert "writer: w&lt;r&gt;&amp;" in text
    assert messages[0]["text"].startswith("Recap of &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt;")
    assert all(t["verbatim"] is True for m in messages for t in _mrkdwn_objects(m["blocks"]))


def test_fallback_stays_short_after_escaping_and_with_emoji():
    for title in ("&" * 400, "🌊" * 400, "<b>" * 200):
        messages = digest_messages(small_digest(title=title))
        check_messages(messages)  # the fallback line: escaped, one line, within FALLBACK_MAX
        header = messages[0]["blocks"][0]["text"]["text"]
        assert utf16(header) <= HEADER_TEXT_MAX and header.endswith("…")


def _mrkdwn_objects(value: Any) -> list[dict]:
    if isinstance(value, dict):
        own = [value] if value.get("type") == "mrkdwn" else []
        return own + [o for v in value.values() for o in _mrkdwn_objects(v)]
    if isinstance(value, list):
        return [o for v in value for o in _mrkdwn_objects(v)]
    return []


# --- the full digest -----------------------------------------------------------------------------


def test_full_digest_small():
    d = small_digest()
    messages = full_digest_messages(d)
    check_messages(messages)
    assert len(messages) == 1 and not buttons(messages)
    text = all_text(messages)
    assert f"<{escape(at(60))}|[1:00]> *Horns*\nHorns came first. Then sirens." in text
    assert f"> “It was &lt;loud&gt; &amp; clear” <{escape(at(90))}|[1:30]>" in text
    assert f"*Digging deeper*\n*Q: How loud?* <{escape(at(95))}|[1:35]>\nVery." in text
    assert (
        f"*Questions and answers*\n*Q: Who paid?* <{escape(at(400))}|[6:40]>\nThe state.\n\n*Q: When?*\n1900s." in text
    )
    assert messages[0]["text"] == "Full digest of Lighthouses &amp; fog signals"


def test_full_digest_huge_splits_across_messages_in_order():
    d = huge_digest()
    messages = full_digest_messages(d)
    check_messages(messages)
    assert len(messages) >= 2
    text = all_text(messages)
    order = []
    for i, s in enumerate(d.sections):
        assert f"<{escape(at(600 * i))}|[{clock_of(600 * i)}]> *{escape(s.title)}*" in text
        for sentence in re.split(r"(?<=\.) ", s.summary):
            assert escape(sentence) in text
        first, second = s.quote.text.splitlines()
        assert f"> “{escape(first)}\n> {escape(second)}” <{escape(s.quote.url)}|" in text
        for qa in s.deeper:
            assert f"*Q: {escape(qa.question)}*" in text and escape(qa.answer) in text
        order.append(text.index(escape(s.summary[:60])))
    assert order == sorted(order)
    for qa in d.qa:
        assert f"*Q: {escape(qa.question)}*" in text and escape(qa.answer) in text
    assert f"*{escape(EVIL_TITLE)}*" in text


def test_full_digest_with_many_sections_respects_the_block_count():
    base = small_digest()
    many = [base.sections[0].model_copy(update={"title": f"Part {i}", "start_s": 10.0 * i}) for i in range(60)]
    messages = full_digest_messages(base.model_copy(update={"sections": many}))
    check_messages(messages)
    assert sum(len(m["blocks"]) for m in messages) > MAX_BLOCKS_PER_MESSAGE
    text = all_text(messages)
    assert all(f"*Part {i}*" in text for i in range(60))


def test_section_longer_than_a_block_keeps_its_quote_lines_quoted():
    long_quote = Moment(text=" ".join(sentences(80, "quoted")), start_s=5, url=at(5))
    s = Section(title="Long", start_s=0, end_s=10, summary=" ".join(sentences(90, "summary")), quote=long_quote)
    d = small_digest().model_copy(update={"sections": [s]})
    messages = full_digest_messages(d)
    check_messages(messages)
    quote_blocks = [
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith(">")
    ]
    assert len(quote_blocks) >= 2 and all(q.startswith("> ") for q in quote_blocks)
    joined = " ".join(q[2:] for q in quote_blocks)
    assert joined == f"“{escape(long_quote.text)}” <{escape(at(5))}|[0:05]>"


def test_quote_of_one_word_longer_than_a_block_is_cut_and_stays_quoted():
    word = "fog" * 3000  # 9,000 characters with nowhere to cut
    s = Section(title="Long", start_s=0, end_s=10, summary="Short.", quote=Moment(text=word, start_s=5, url=at(5)))
    messages = full_digest_messages(small_digest().model_copy(update={"sections": [s]}))
    check_messages(messages)
    quote_blocks = [
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith(">")
    ]
    assert len(quote_blocks) >= 3 and all(q.startswith("> ") for q in quote_blocks)
    assert "".join(q[2:] for q in quote_blocks) == f"“{word}” <{escape(at(5))}|[0:05]>"


# --- answers -------------------------------------------------------------------------------------


def test_grounded_answer_cites_its_sources():
    long_words = "word & <thing> " * 40
    answer = Answer(
        question="Who paid?",
        answer="The state paid & <kept> the lights.",
        grounded=True,
        citations=[
            Citation(start_s=400, end_s=410, text="the state paid for every lamp", url=at(400)),
            Citation(start_s=3725, end_s=3730, text=long_words),
        ],
    )
    messages = answer_messages(answer)
    check_messages(messages)
    [message] = messages
    text = all_text(messages)
    assert message["blocks"][0]["text"]["text"] == "The state paid &amp; &lt;kept&gt; the lights."
    assert f"*Sources:*\n• <{escape(at(400))}|[6:40]> “the state paid for every lamp”" in text
    second = text.split("\n")[-1]
    assert second.startswith("• [1:02:05] “word &amp; &lt;thing&gt;") and second.endswith("…”")
    quoted = second[len("• [1:02:05] “") : -1].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    assert len(quoted) <= 200 and long_words.startswith(quoted[:-1].rstrip())
    assert NOT_COVERED not in text and "Who paid?" not in text
    assert message["text"] == "The state paid &amp; &lt;kept&gt; the lights."


def test_ungrounded_answer_says_so_and_cites_nothing():
    answer = Answer(
        question="What about cats?",
        answer="I could not find cats in this talk.",
        grounded=False,
        citations=[Citation(start_s=1, end_s=2, text="nearest words")],
    )
    messages = answer_messages(answer)
    check_messages(messages)
    text = all_text(messages)
    assert "I could not find cats in this talk." in text
    assert NOT_COVERED in text and "Sources" not in text and "nearest words" not in text
    assert [b["type"] for b in messages[0]["blocks"]] == ["section", "context"]
    assert messages[0]["text"].startswith(NOT_COVERED)


def test_answer_can_repeat_its_question_for_modal_questions():
    answer = Answer(question="Why <fog> & horns?", answer="Because.", grounded=True)
    messages = answer_messages(answer, show_question=True)
    check_messages(messages)
    assert messages[0]["blocks"][0]["elements"][0]["text"] == "*Q:* Why &lt;fog&gt; &amp; horns?"
    assert "Sources" not in all_text(messages)  # grounded, but nothing to cite


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
    text = all_text(messages)
    for paragraph in body.split("\n\n"):
        assert escape(paragraph) in text
    assert all(f"“cite {i}”" in text for i in range(30))


# --- small messages ------------------------------------------------------------------------------


def test_progress_is_one_context_line():
    message = progress_message("Watching… 0:00 of 42:10 · transcribing 35% <b>&")
    check_messages([message])
    assert message["blocks"] == [
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Watching… 0:00 of 42:10 · transcribing 35% &lt;b&gt;&amp;",
                    "verbatim": True,
                }
            ],
        }
    ]
    assert message["text"] == "Watching… 0:00 of 42:10 · transcribing 35% &lt;b&gt;&amp;"


def test_notice_is_a_section_and_escaped():
    message = notice_message("That link is not a video: <https://x.example> & more.\nPaste a YouTube link.")
    check_messages([message])
    assert message["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "verbatim": True,
                "text": "That link is not a video: &lt;https://x.example&gt; &amp; more.\nPaste a YouTube link.",
            },
        }
    ]
    assert "\n" not in message["text"]


def test_oversized_notice_is_still_one_valid_message():
    message = notice_message("\n".join(sentences(400, "help")))
    check_messages([message])
    assert message["blocks"][-1]["text"]["text"] == "…"


def test_ask_modal_shape():
    modal = ask_modal(EVIL_TITLE, {"channel": "C123", "thread_ts": "1700000000.000100"})
    view = View(**modal)
    view.validate_json()
    assert view.to_dict() == modal
    assert modal["type"] == "modal" and modal["callback_id"] == "recap_ask_modal"
    assert json.loads(modal["private_metadata"]) == {"channel": "C123", "thread_ts": "1700000000.000100"}
    assert modal["submit"]["text"] == "Ask" and modal["submit"]["type"] == "plain_text"
    assert 1 <= len(modal["title"]["text"]) <= MODAL_TITLE_MAX
    [question] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert question["block_id"] == "question"
    assert question["element"]["type"] == "plain_text_input"
    assert question["element"]["action_id"] == "question_input"
    for block in modal["blocks"]:
        assert "type" in block
        for text in mrkdwn_texts(block):
            assert_well_formed_mrkdwn(text)
    assert "&lt;script&gt;" in json.dumps(modal)


def test_ask_modal_without_extra_and_with_too_much():
    assert json.loads(ask_modal("t")["private_metadata"]) == {}
    with pytest.raises(ValueError, match="private_metadata"):
        ask_modal("t", {"blob": "x" * 3000})


def test_transcript_file_text():
    t = Transcript(
        source="captions",
        segments=[Segment(start=0, end=4, text="Hello & <welcome>."), Segment(start=3725, end=3730, text="Goodbye.")],
    )
    assert TranscriptFile(video(), t).text == (
        f"Lighthouses & fog signals\n{URL}\n\n[0:00] Hello & <welcome>.\n[1:02:05] Goodbye.\n"
    )


# --- the text helpers ----------------------------------------------------------------------------


def test_link_escapes_label_and_url():
    assert link(at(62), "[1:02]") == f"<{URL}&amp;t=62s|[1:02]>"
    assert link("https://x.example/a|b>c", "a <b> & c") == "<https://x.example/a%7Cb%3Ec|a &lt;b&gt; &amp; c>"
    assert link(None, "[0:05]") == "[0:05]"
    assert link("javascript:alert(1)", "x<") == "x&lt;"


@pytest.mark.parametrize(
    "piece",
    [
        f"<{escape(URL)}&amp;t=5s|[0:05]>&amp;&lt;&gt;",  # no space anywhere: only hard cuts
        f"<{escape(URL)}&amp;t=5s|[0:05] a long label> &amp;&lt;&gt; ",  # spaces, one inside the label
    ],
)
def test_split_never_cuts_a_link_or_entity_and_keeps_everything(piece):
    text = "x" * 2990 + piece * 60
    chunks = split_mrkdwn(text, 3000)
    assert len(chunks) >= 2 and all(utf16(c) <= 3000 for c in chunks)
    assert "".join(chunks).replace(" ", "") == text.replace(" ", "")  # only the spaces cut at are gone
    for chunk in chunks:
        assert_well_formed_mrkdwn(chunk)


def test_split_counts_emoji_as_slack_does():
    text = "🌊" * 2000  # 4,000 UTF-16 units
    chunks = split_mrkdwn(text, 3000)
    assert "".join(chunks) == text and all(utf16(c) <= 3000 for c in chunks)


def test_split_prefers_lines_then_sentences():
    lines = [f"Line {i}. " + "word " * 100 for i in range(20)]
    chunks = split_mrkdwn("\n".join(lines), 3000)
    assert all(utf16(c) <= 3000 for c in chunks)
    assert "\n".join(chunks) == "\n".join(lines).strip()
    assert all(c.startswith("Line ") for c in chunks)


def clock_of(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
