"""Fitting text into a chat platform's limits: measuring it, and cutting it where a reader would.

Slack and Discord both cap how much text one part of a message holds, and recap's replies are
longer than any cap. Rather than drop content, a renderer cuts text at the gentlest break that
fits: blank lines, then lines, then sentence ends, then spaces, and only when there is none of
those, anywhere between tokens. A token is what a platform's markup must keep whole: a link, an
escape sequence, an entity. A `> ` quote line cut in its middle keeps its `> ` on the rest.

Both platforms are measured the same way, in UTF-16 code units: Discord's clients count them, and
Slack may; either way an emoji counts as two, and the count is never less than code points.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import IntEnum


class Cut(IntEnum):
    """Where text may be cut, gentlest first."""

    PARAGRAPH = 0  # at a blank line
    LINE = 1
    SENTENCE = 2
    WORD = 3
    ANYWHERE = 4  # between two tokens, or inside a token that alone is longer than the room


_BREAKS = {
    Cut.PARAGRAPH: r"\n[ \t]*\n\s*",
    Cut.LINE: r"\n",
    Cut.SENTENCE: r"(?:(?<=[.!?…])|(?<=[.!?…][\"”’)\]]))[ \t]+",
    Cut.WORD: r"[ \t]+",
}
# Characters a break of each level cannot do without: where a text has none of one group within
# reach, it is not scanned for that break (a long text would be scanned to its end for nothing).
_NEEDS = {Cut.PARAGRAPH: ("\n",), Cut.LINE: ("\n",), Cut.SENTENCE: (" \t", ".!?…"), Cut.WORD: (" \t",)}
# The `> ` that opens a quote line is whole: a cut after it would leave a head of nothing but `>`
# and a rest that starts with the same `> ` again.
_QUOTE_MARK = r"(?:^|(?<=\n))> "


class TextFit:
    """One platform's way of cutting its markup, given what must never be cut inside.

    `tokens` is a regular expression for what a cut may not fall in: links, escapes, entities.
    `defuse` turns a token too long for any room into plain text that may be cut (Slack shows an
    over-long link as text); without it, such a token is cut between its characters.
    """

    def __init__(self, tokens: str, defuse: Callable[[str], str] | None = None) -> None:
        self._cuts = {
            level: re.compile(f"{_QUOTE_MARK}|{tokens}|(?P<cut>{pattern})") for level, pattern in _BREAKS.items()
        }
        self._atoms = re.compile(f"{_QUOTE_MARK}|{tokens}|.", re.DOTALL)
        self._defuse = defuse

    def take(self, text: str, room: int, finest: Cut = Cut.ANYWHERE) -> tuple[str, str] | None:
        """(head, rest): the longest head of `text` within `room`, cut at the gentlest level that fits.

        Only cuts down to `finest` are allowed; None when none of them leaves a head with more in it
        than blanks and a quote mark. Nothing is lost but the break cut at: whitespace around it stays.
        """
        if size(text) <= room:
            return text, ""
        limit = fitting_prefix(text, room)
        floor = _lead(text)  # a cut at or before it would leave a head of nothing
        reach = text[floor : limit + 1]
        for level in Cut:
            if level > finest:
                break
            if level == Cut.ANYWHERE:
                return self._hard_cut(text, room)
            if not all(any(c in reach for c in group) for group in _NEEDS[level]):
                continue
            best = None
            for match in self._cuts[level].finditer(text):
                if match.start() > limit:
                    break
                if match.group("cut") is not None and match.start() > floor:
                    best = match
            if best is not None:
                return _quoted(text, best.start(), best.end(), inside_line=level >= Cut.SENTENCE)
        return None

    def split(self, text: str, limit: int) -> list[str]:
        """All of `text` (stripped) in pieces within `limit`, in order, none of them blank."""
        pieces, rest = [], text.strip()
        while rest:
            taken = self.take(rest, limit)
            if taken is None:
                raise ValueError(f"{limit} is too small a limit to hold any of {rest[:20]!r}")
            head, rest = taken
            pieces.append(head)
        return pieces

    def _hard_cut(self, text: str, room: int) -> tuple[str, str] | None:
        limit, floor = fitting_prefix(text, room), _lead(text)
        end = 0
        for atom in self._atoms.finditer(text):
            if atom.end() > limit:
                break
            end = atom.end()
        if end <= floor:  # the first token alone is longer than the room: keep its characters, not the token
            first = self._atoms.match(text, floor)
            token = first.group() if first else ""
            if self._defuse is not None and (defused := self._defuse(token)) != token:
                return self._hard_cut(text[:floor] + defused + text[floor + len(token) :], room)
            end = limit
        if end <= floor:  # not one character past the lead fits
            return None
        return _quoted(text, end, end, inside_line=True)


def _quoted(text: str, start: int, end: int, *, inside_line: bool) -> tuple[str, str]:
    """`text` cut at start:end into (head, rest); a quote line cut inside keeps its `> ` on the rest."""
    head, rest = text[:start], text[end:]
    line_start = text.rfind("\n", 0, start) + 1
    if inside_line and rest and text.startswith("> ", line_start):
        rest = "> " + rest
    return head, rest


_LEAD = re.compile(r"\s*(?:> \s*)?")


def _lead(text: str) -> int:
    """How many characters open `text` that are blank or a quote mark."""
    return _LEAD.match(text).end()  # type: ignore[union-attr]  # it matches the empty string too


def size(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def fitting_prefix(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            return i
    return len(text)


def shorten(text: str, limit: int) -> str:
    """`text` within `limit`, cut at a word where one is near, ending in "…"."""
    text = text.strip()
    if size(text) <= limit:
        return text
    cut = text[: fitting_prefix(text, limit - 1)]
    space = cut.rfind(" ")
    if space >= len(cut) * 0.7:
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + "…"


def fit(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """`text` escaped, shortened before escaping until the escaped text is within `limit`.

    Escaping only lengthens text, and by how much depends on which characters survive the cut,
    so the room left for the unescaped text shrinks until it fits.
    """
    room = limit
    while size(line := escape(shorten(text, room))) > limit:
        room = max(1, min(room - 1, room * limit // size(line)))
    return line
