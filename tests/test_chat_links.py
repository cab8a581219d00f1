"""Links in chat text, as Slack and Discord each write them, become plain URLs for the bot."""

from __future__ import annotations

import pytest

from adapters.links import discord_links, slack_links
from summarizer.links import video_key

# --- both platforms ---------------------------------------------------------------


def test_slack_message_links_labels_and_tokens() -> None:
    # As Slack delivers `text` in an event: links wrapped, "&" escaped, mentions as tokens.
    text = (
        "<@U024BE7LH> have a look <https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=42s|this talk> "
        "and <https://vimeo.com/76979871> in <#C024BE7LR|general> <!here> "
        "<!subteam^SAZ94GDB8|@ops> ping <mailto:ana@example.com|ana@example.com>"
    )
    assert slack_links(text) == [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://vimeo.com/76979871",
    ]


def test_slack_link_whose_label_is_the_url() -> None:
    text = "<https://youtu.be/dQw4w9WgXcQ|https://youtu.be/dQw4w9WgXcQ>"
    assert slack_links(text) == ["https://youtu.be/dQw4w9WgXcQ"]


def test_discord_message_plain_suppressed_and_masked_links() -> None:
    text = (
        "lol watch this https://youtu.be/dQw4w9WgXcQ?si=abc. also <https://example.com/talk.mp4> "
        "and [the keynote](https://example.com/keynote?x=1) or [quiet](<https://vimeo.com/1234567>) "
        "||https://example.com/spoiler|| **https://example.com/bold**"
    )
    assert discord_links(text) == [
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://example.com/talk.mp4",
        "https://example.com/keynote?x=1",
        "https://vimeo.com/1234567",
        "https://example.com/spoiler",
        "https://example.com/bold",
    ]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://example.com/a.", ["https://example.com/a"]),
        ("https://example.com/a, https://example.com/b; ok", ["https://example.com/a", "https://example.com/b"]),
        ("wow https://example.com/a!!", ["https://example.com/a"]),
        ("is it https://example.com/a?", ["https://example.com/a"]),
        ("(https://youtu.be/dQw4w9WgXcQ)", ["https://youtu.be/dQw4w9WgXcQ"]),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar)).", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("[wiki](https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("\"https://example.com/a\" and 'https://example.com/b'", ["https://example.com/a", "https://example.com/b"]),
        ("\u201chttps://example.com/a\u201d", ["https://example.com/a"]),
        ("https://example.com/a...", ["https://example.com/a"]),
        ("https://example.com/a>", ["https://example.com/a"]),
        ("wait: https://example.com/a:", ["https://example.com/a"]),
        ("HTTPS://YOUTU.BE/dQw4w9WgXcQ", ["HTTPS://YOUTU.BE/dQw4w9WgXcQ"]),
        ("https://youtu.be/a-B_c1D2e3F_", ["https://youtu.be/a-B_c1D2e3F_"]),
        ("one\nhttps://example.com/a\ttwo\nhttps://example.com/b", ["https://example.com/a", "https://example.com/b"]),
        ("`https://example.com/code`", ["https://example.com/code"]),
    ],
)
def test_trailing_punctuation_is_the_sentence_not_the_url(text: str, links: list[str]) -> None:
    assert slack_links(text) == links
    assert discord_links(text) == links


def test_links_are_deduplicated_in_first_seen_order() -> None:
    text = (
        "https://example.com/b then <https://youtu.be/dQw4w9WgXcQ|again> "
        "https://youtu.be/dQw4w9WgXcQ and https://example.com/b."
    )
    assert slack_links(text) == ["https://example.com/b", "https://youtu.be/dQw4w9WgXcQ"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no links here, just words",
        "mail me: mailto:ana@example.com or ana@example.com",
        "ftp://example.com/file and www.example.com",
        "<@U024BE7LH> <#C024BE7LR|general> <!channel>",
        "https:// is not a link",
    ],
)
def test_messages_without_web_links(text: str) -> None:
    assert slack_links(text) == []
    assert discord_links(text) == []


def test_discord_text_is_not_unescaped_as_slack_text() -> None:
    # "&amp;" typed on Discord is what the person typed; only Slack escapes "&" in transit.
    assert discord_links("https://example.com/a?x=1&amp;y=2") == ["https://example.com/a?x=1&amp;y=2"]
    assert slack_links("<https://example.com/a?x=1&amp;y=2>") == ["https://example.com/a?x=1&y=2"]


def test_slack_label_syntax_is_not_a_link_on_discord() -> None:
    # Discord has no <url|label>: the pipe and label are not part of any URL there.
    assert discord_links("<https://youtu.be/dQw4w9WgXcQ|label>") == ["https://youtu.be/dQw4w9WgXcQ"]


def test_found_links_feed_video_key() -> None:
    text = "<https://m.youtube.com/watch?v=dQw4w9WgXcQ&amp;feature=share|yt> vs https://youtu.be/dQw4w9WgXcQ!"
    assert {video_key(link) for link in slack_links(text)} == {"youtube:dQw4w9WgXcQ"}
