"""The buttons under a digest, as discord.py dynamic items.

A button's custom id says what it does and to which video (`recap:full:youtube:dQw4w9WgXcQ`), so a
click works after any restart, in any process, with no view kept per message: discord.py matches
the id against `TEMPLATE` and builds the button from the match. An id that does not match (an older
recap's, a damaged or oversized one) never reaches the template's callback.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

CUSTOM_ID_MAX = 100  # a button's or a modal's custom_id (Discord's message-components limit)
FULL_DIGEST = "recap:full"
TRANSCRIPT = "recap:transcript"
ASK = "recap:ask"
ASK_MODAL = "recap:ask-modal"
# The shapes of recap's video keys (summarizer.links.video_key): youtube:<id>, vimeo:<id>[:<hash>], url:<hex>.
VIDEO_KEY = r"(?:youtube|vimeo|url):[A-Za-z0-9_:-]+"
ACTIONS = (FULL_DIGEST, TRANSCRIPT, ASK)


def _custom_ids(actions: tuple[str, ...]) -> re.Pattern[str]:
    """`<action>:<video key>`, at most Discord's 100 characters (a longer one is no id of recap's)."""
    either = "|".join(map(re.escape, actions))
    return re.compile(rf"(?=.{{1,{CUSTOM_ID_MAX}}}\Z)(?P<action>{either}):(?P<key>{VIDEO_KEY})")


TEMPLATE = _custom_ids(ACTIONS)
ANY_ID = _custom_ids((*ACTIONS, ASK_MODAL))  # buttons and the ask modal: what `embeds.parse_custom_id` reads


@runtime_checkable
class Presses(Protocol):
    """The client that acts on a press (RecapClient); a REST-only client in a worker is not one."""

    async def pressed(self, interaction: discord.Interaction, action: str, key: str) -> None: ...


class DigestButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    def __init__(
        self,
        action: str,
        key: str,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        custom_id = f"{action}:{key}"
        button: discord.ui.Button[Any] = discord.ui.Button(label=label or None, style=style, custom_id=custom_id)
        super().__init__(button, row=row)
        self.action, self.key = action, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DigestButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if isinstance(interaction.client, Presses):
            await interaction.client.pressed(interaction, self.action, self.key)
