"""The neutral chat vocabulary shared by the Slack and Discord adapters and the test chat.

Adapters translate platform events into `Incoming` messages and render `Reply` values into
Block Kit or embeds; everything that decides what recap does speaks only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from summarizer.models import Answer, Digest, Transcript, Video


@dataclass(frozen=True)
class Place:
    """Where a message lives: a thread in a channel of a workspace (Slack team, Discord guild)."""

    platform: str
    workspace: str
    channel: str
    thread: str | None = None  # Slack thread_ts / Discord thread channel id; None: top level

    @property
    def conversation_id(self) -> str:
        """One conversation per thread: follow-ups in it share their history."""
        return f"{self.platform}:{self.workspace}:{self.channel}:{self.thread or '-'}"


@dataclass(frozen=True)
class Incoming:
    place: Place
    message_id: str  # Slack ts / Discord message id
    user: str
    text: str
    # The http(s) links in the text, found by the adapter that knows the platform's markup.
    links: tuple[str, ...] = ()
    event_id: str | None = None  # the platform's delivery id, for idempotency under retries
    is_dm: bool = False
    mentions_bot: bool = False
    from_bot: bool = False  # bots, including recap itself
    is_edit: bool = False


@dataclass(frozen=True)
class Sent:
    place: Place
    message_id: str


# What recap says, before any platform has formatted it.
@dataclass(frozen=True)
class Notice:
    text: str


@dataclass(frozen=True)
class Requested:
    """The public message a digest on request is threaded on: "Digest of URL for @user"."""

    url: str
    user: str  # the platform's user id; the only mention recap ever makes


@dataclass(frozen=True)
class ProgressNote:
    text: str


@dataclass(frozen=True)
class DigestReply:
    digest: Digest


@dataclass(frozen=True)
class FullDigestReply:
    digest: Digest


@dataclass(frozen=True)
class AnswerReply:
    answer: Answer
    # Questions asked in a modal or a slash command leave no message in the thread: repeat them.
    show_question: bool = False


Reply = Notice | Requested | ProgressNote | DigestReply | FullDigestReply | AnswerReply


@dataclass(frozen=True)
class TranscriptFile:
    video: Video
    transcript: Transcript
    filename: str = field(default="transcript.txt")

    @property
    def text(self) -> str:
        """The file's body, the same on every platform: title, link, then `[mm:ss] text` lines."""
        return f"{self.video.title}\n{self.video.url}\n\n{self.transcript.as_stamped_lines()}\n"


class Renderer(Protocol):
    """A platform's formatting of replies (Slack's Block Kit, Discord's embeds): each reply may
    take several messages, because every platform caps what one message holds."""

    def digest_messages(self, digest: Digest) -> list[dict[str, Any]]: ...

    def full_digest_messages(self, digest: Digest) -> list[dict[str, Any]]: ...

    def answer_messages(self, answer: Answer, *, show_question: bool = False) -> list[dict[str, Any]]: ...

    def progress_message(self, text: str) -> dict[str, Any]: ...

    def notice_message(self, text: str) -> dict[str, Any]: ...

    def requested_message(self, url: str, user: str) -> dict[str, Any]: ...


def render(reply: Reply, renderer: Renderer) -> list[dict[str, Any]]:
    """The messages that say `reply` on the renderer's platform."""
    if isinstance(reply, DigestReply):
        return renderer.digest_messages(reply.digest)
    if isinstance(reply, FullDigestReply):
        return renderer.full_digest_messages(reply.digest)
    if isinstance(reply, AnswerReply):
        return renderer.answer_messages(reply.answer, show_question=reply.show_question)
    if isinstance(reply, ProgressNote):
        return [renderer.progress_message(reply.text)]
    if isinstance(reply, Notice):
        return [renderer.notice_message(reply.text)]
    if isinstance(reply, Requested):
        return [renderer.requested_message(reply.url, reply.user)]
    raise TypeError(f"no rendering for {type(reply).__name__}")


class CannotPost(Exception):
    """The platform refused to let recap post here (not a member, no permission to create
    threads, archived channel). The message says why, in words for the person who asked."""


class Chat(Protocol):
    """What the bot needs from a chat platform. Slack, Discord and the in-memory test chat."""

    async def post(self, place: Place, reply: Reply) -> Sent:
        """Post in `place` (its thread when it has one); return where the message landed."""

    async def update(self, sent: Sent, reply: Reply) -> None:
        """Replace a message recap posted earlier (a progress message's next stage)."""

    async def delete(self, sent: Sent) -> None:
        """Remove a message recap posted earlier (the progress message, once the digest is
        posted); one already gone is no error."""

    async def upload(self, place: Place, file: TranscriptFile) -> None:
        """Attach the transcript as a file in `place`."""

    async def whisper(self, place: Place, user: str, text: str) -> None:
        """Say `text` to `user` alone where the platform allows it (Slack's ephemeral messages),
        else as a notice in `place`."""


class Requester(Protocol):
    """The person behind a command, menu or modal, and the ways to answer them."""

    user: str

    async def tell(self, text: str) -> None:
        """Answer privately (Slack's ephemeral response, Discord's ephemeral interaction reply)."""

    async def open(self, reply: Reply) -> Sent:
        """Post the public answer to the request, where a new thread can start from it."""
