"""The text fitting Slack's and Discord's renderers share: cuts where a reader would, never inside a
token, nothing lost, every piece within its limit, and an end to it on hostile input."""

from __future__ import annotations

import random
import re

import pytest

from adapters.discord.markdown import MARKDOWN
from adapters.slack.blocks import MRKDWN
from adapters.textfit import Cut, fit, fitting_prefix, shorten, size

# The two ways of cutting in use: Slack's `<link|label>`s and entities, shown as `&lt;…&gt;` text
# when a link is too long for any room; Discord's masked links and backslash escapes, cut between
# characters when one is too long.
LINKS, ESCAPES = MRKDWN, MARKDOWN

LINK = "<https://example.com/watch?v=dQw4w9WgXcQ&amp;t=62s|[1:02] the first horn>"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def whole_links(pieces: list[str]) -> bool:
    """Every `<` opens a link that closes in the same piece."""
    return all(re.fullmatch(r"(?:[^<>]|<[^<>\n]*>)*", re.sub(r"^> ", "", p, flags=re.M)) for p in pieces)


# --- measuring -----------------------------------------------------------------------------------


def test_size_counts_utf16_units():
    assert size("") == 0 and size("abc") == 3 and size("é") == 1
    assert size("🌫") == 2 and size("𝔘") == 2 and size("a🌫b") == 4


def test_fitting_prefix_never_splits_an_astral_character():
    assert fitting_prefix("🌫🌫🌫", 5) == 2 and fitting_prefix("🌫🌫🌫", 4) == 2 and fitting_prefix("🌫", 1) == 0
    assert fitting_prefix("abc", 10) == 3 and fitting_prefix("abc", 0) == 0 and fitting_prefix("abc", -1) == 0


def test_shorten_keeps_short_text_and_cuts_long_text_at_a_word():
    assert shorten("  fog horns  ", 20) == "fog horns"
    assert shorten("the lamp and the fog horn", 20) == "the lamp and the…"
    assert shorten("x" * 50, 10) == "x" * 9 + "…"
    assert shorten("anything", 1) == "…"


def test_shorten_with_astral_emoji_at_the_limit():
    for n in range(1, 12):
        cut = shorten("🌊" * 20, n)
        assert utf16(cut) <= max(n, 1) and cut.endswith("…") and set(cut[:-1]) <= {"🌊"}


def test_fit_makes_room_for_what_escaping_adds():
    escape = lambda t: t.replace("&", "&amp;")  # noqa: E731
    for text in ("&" * 400, "a&" * 300, "🌊&" * 200):
        line = fit(text, 200, escape)
        assert utf16(line) <= 200 and line.endswith("…")
        assert text.startswith(line[:-1].replace("&amp;", "&"))
    assert fit("short & plain", 200, escape) == "short &amp; plain"


# --- taking a head that fits ---------------------------------------------------------------------


def test_take_prefers_paragraphs_then_lines_then_sentences_then_words():
    text = "One two. Three four.\nFive six.\n\nSeven."
    assert LINKS.take(text, 100) == (text, "")
    assert LINKS.take(text, 35) == ("One two. Three four.\nFive six.", "Seven.")
    assert LINKS.take(text, 25) == ("One two. Three four.", "Five six.\n\nSeven.")
    assert LINKS.take(text, 15) == ("One two.", "Three four.\nFive six.\n\nSeven.")
    assert LINKS.take("One two three four", 10) == ("One two", "three four")
    assert LINKS.take("Onetwothreefour", 10) == ("Onetwothre", "efour")


def test_take_only_as_fine_as_allowed():
    text = "One two. Three four five six seven"
    assert LINKS.take(text, 15, finest=Cut.LINE) is None
    assert LINKS.take(text, 15, finest=Cut.SENTENCE) == ("One two.", "Three four five six seven")
    assert LINKS.take("One two three", 10, finest=Cut.SENTENCE) is None


def test_take_removes_only_the_break_it_cuts_at():
    text = "a line with a trailing space \n  an indented line"
    head, rest = LINKS.take(text, 35)
    assert (head, rest) == ("a line with a trailing space ", "  an indented line")


def test_take_never_cuts_inside_a_token():
    text = f"see {LINK} now"
    head, rest = LINKS.take(text, len("see ") + len(LINK) - 1)
    assert (head, rest) == ("see", f"{LINK} now")
    head, rest = LINKS.take("x" * 10 + "&amp;" * 5, 12)
    assert (head, rest) == ("x" * 10, "&amp;" * 5)
    head, rest = ESCAPES.take("ab\\*cd", 3)
    assert (head, rest) == ("ab", "\\*cd")


def test_take_with_no_room_takes_nothing():
    assert LINKS.take("fog", 0) is None and LINKS.take("fog", -5) is None
    assert LINKS.take("🌫", 1) is None  # an astral character is never halved


def test_a_quote_line_cut_inside_keeps_its_mark():
    text = "> First said. Then more said.\n> Second line."
    assert LINKS.take(text, 20) == ("> First said.", "> Then more said.\n> Second line.")
    assert LINKS.take(text, 35) == ("> First said. Then more said.", "> Second line.")


def test_a_quote_of_one_long_word_is_cut_and_stays_quoted():
    text = "> “" + "w" * 10_000 + "”"
    pieces = LINKS.split(text, 3000)
    assert all(p.startswith("> ") and utf16(p) <= 3000 for p in pieces)
    assert "".join(p[2:] for p in pieces) == text[2:]


def test_a_bare_quote_mark_is_no_head():
    assert ESCAPES.take("> " + "w" * 100, 2) is None
    assert ESCAPES.take("> " + "w" * 100, 3) == ("> w", "> " + "w" * 99)


# --- splitting a whole text ----------------------------------------------------------------------


def test_split_a_100k_character_word():
    word = "w" * 100_000
    pieces = LINKS.split(word, 3000)
    assert "".join(pieces) == word and all(utf16(p) <= 3000 for p in pieces)
    assert len(pieces) == 34


def test_split_astral_emoji_near_the_limit():
    text = "a" * 2999 + "🌊" + "b"
    pieces = LINKS.split(text, 3000)
    assert pieces == ["a" * 2999, "🌊b"]
    emoji = "🌫" * 50_000  # 100,000 units, an odd limit: no piece may end half an emoji
    pieces = ESCAPES.split(emoji, 4095)
    assert "".join(pieces) == emoji and all(utf16(p) <= 4095 for p in pieces)


def test_split_text_made_only_of_links():
    text = LINK * 500
    pieces = LINKS.split(text, 3000)
    assert "".join(pieces) == text and all(utf16(p) <= 3000 for p in pieces) and whole_links(pieces)
    masked = "[[1:02]](https://example.com/watch?v=dQw4w9WgXcQ&t=62s)" * 2000
    pieces = ESCAPES.split(masked, 4096)
    assert "".join(pieces) == masked and all(utf16(p) <= 4096 for p in pieces)
    assert all(re.fullmatch(r"(?:\[\[1:02\]\]\([^()]*\))+", p) for p in pieces)


def test_a_link_longer_than_the_limit_is_kept_as_text_or_as_characters():
    huge = "<https://example.com/" + "a" * 5000 + "|label>"
    pieces = LINKS.split(f"see {huge} now", 3000)
    assert "".join(pieces) == f"see&lt;{huge[1:-1]}&gt; now"  # cut at the first space only
    assert all(utf16(p) <= 3000 for p in pieces) and whole_links(pieces)
    masked = "[label](https://example.com/" + "a" * 5000 + ")"
    pieces = ESCAPES.split(masked, 4096)
    assert "".join(pieces) == masked and all(utf16(p) <= 4096 for p in pieces)


def test_split_never_returns_blank_pieces_and_strips_the_ends():
    assert LINKS.split("  \n\n  ", 10) == []
    assert LINKS.split("\n\n a\n\n\n\n b \n\n", 3) == ["a", "b"]


def test_split_refuses_a_limit_too_small_to_make_progress():
    with pytest.raises(ValueError):
        LINKS.split("🌫🌫", 1)


@pytest.mark.parametrize("seed", range(20))
def test_split_random_text_loses_only_breaks(seed):
    rng = random.Random(seed)
    atoms = ["fog", "lamp.", "why?", "&amp;", LINK, "🌫", "w" * rng.randint(1, 400), "“said.”"]
    seps = [" ", " ", " ", "\n", "\n\n", "\n> "]
    text = "> " + "".join(rng.choice(seps) + rng.choice(atoms) for _ in range(rng.randint(1, 1500)))
    limit = rng.choice([100, 300, 3000])
    pieces = LINKS.split(text, limit)
    assert all(p.strip() and utf16(p) <= limit for p in pieces)
    assert whole_links(pieces)
    squeeze = lambda t: re.sub(r"\s|^> ", "", t, flags=re.M)  # noqa: E731
    assert "".join(squeeze(p) for p in pieces) == squeeze(text.strip())
