"""An in-memory `Chat`: the whole bot runs against it with no chat server (errbot's test backend)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from bot.chat import CannotPost, Place, Reply, Sent, TranscriptFile


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
        self.whispers: list[tuple[Place, str, str]] = []  # (place, user, text) seen by that user alone
        self.deleted: list[Posted] = []  # messages recap deleted (progress messages), as they were
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

    async def delete(self, sent: Sent) -> None:
        self.deleted += [m for m in self.messages if m.message_id == sent.message_id]
        self.messages = [m for m in self.messages if m.message_id != sent.message_id]
        self.changed.set()

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        self.files.append((place, file))

    async def whisper(self, place: Place, user: str, text: str) -> None:
        self.whispers.append((place, user, text))

    def in_thread(self, place: Place) -> list[Posted]:
        return [m for m in self.messages if m.place == place]


class MemoryRequester:
    """The person behind a command: what they were told privately, and the public message opened."""

    def __init__(self, chat: MemoryChat, place: Place, user: str = "U1", cannot_post: str | None = None):
        self.chat, self.place, self.user = chat, place, user
        self.cannot_post = cannot_post  # what the platform says when recap may not post here
        self.told: list[str] = []

    async def tell(self, text: str) -> None:
        self.told.append(text)

    async def open(self, reply: Reply) -> Sent:
        if self.cannot_post:
            raise CannotPost(self.cannot_post)
        return await self.chat.post(self.place, reply)
