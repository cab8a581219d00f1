"""An in-memory `Chat`: the whole bot runs against it with no chat server (errbot's test backend)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from bot.chat import Place, Reply, Sent, TranscriptFile


@dataclass
class Posted:
    place: Place
    message_id: str
    history: list[Reply] = field(default_factory=list)  # every version, the last is what shows

    @property
    def reply(self) -> Reply:
        return self.history[-1]


class MemoryChat:
    def __init__(self):
        self.messages: list[Posted] = []
        self.files: list[tuple[Place, TranscriptFile]] = []
        self._ids = itertools.count(1)
        self.changed = asyncio.Event()

    async def post(self, place: Place, reply: Reply) -> Sent:
        posted = Posted(place, f"m{next(self._ids)}", [reply])
        self.messages.append(posted)
        self.changed.set()
        return Sent(place, posted.message_id)

    async def update(self, sent: Sent, reply: Reply) -> None:
        next(m for m in self.messages if m.message_id == sent.message_id).history.append(reply)
        self.changed.set()

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        self.files.append((place, file))

    def in_thread(self, place: Place) -> list[Posted]:
        return [m for m in self.messages if m.place == place]
