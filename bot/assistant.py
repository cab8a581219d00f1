"""What recap does in a chat, whatever the chat: which messages matter, which links it takes,
threads, follow-ups, settings, refusals. Every decision about a request is made here.

Adapters call the entry points below with neutral values (plain URLs, user and message ids, a
`Requester` for commands) and render the neutral replies that go out through their `Chat`. The
slow work runs as jobs (jobs.py) on the runner.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Concatenate, ParamSpec, TypeVar

from summarizer.errors import NotAVideoLink, NotConfigured
from summarizer.links import video_key

from . import metrics
from .addressing import reads_as_question
from .chat import (
    CannotPost,
    Chat,
    FullDigestReply,
    Incoming,
    Notice,
    Place,
    ProgressNote,
    Requested,
    Requester,
    TranscriptFile,
)
from .chatstore import ChatStore
from .core import Core
from .jobs import JobHandlers
from .limits import Limits
from .logs import job_fields
from .preferences import Invalid, changed, describe
from .progress import FIRST_NOTE
from .runner import Runner
from .service import RecapService
from .services import Services

log = logging.getLogger(__name__)

_ABOUT = (
    "Paste a video link and I reply in its thread with a digest: highlights with timestamps, sections, "
    "takeaways and the minutes it saves you. Mention me or ask a question in that thread to ask about the video."
)
# Each platform names its commands its own way (Discord's settings are a top-level command so that
# only admins see them).
_COMMANDS = {
    "slack": "/recap URL: summarise a video · /recap ask QUESTION: ask about the latest video here · "
    "/recap settings: channel settings (admins) · /recap help · on any message: ⋯ → Recap this video",
    "discord": "/recap video: summarise a video · /recap ask: ask about the latest video here · "
    "/recap-settings: channel settings (admins) · /recap help · on any message: Apps → Recap this video",
}


def help_text(platform: str) -> str:
    commands = _COMMANDS.get(platform)
    return f"{_ABOUT}\n{commands}" if commands else _ABOUT


# Sites that are always about videos: progress shows at once. Other links are probed quietly
# first, so an article link pasted in a channel does not get a "no video here" reply.
VIDEO_HOSTS = ("youtube:", "vimeo:")
NO_VIDEO_YET = "No video has been summarised here yet: paste a link first."

P = ParamSpec("P")
R = TypeVar("R")
# Every database call made while handling an event runs off the event loop: a slow disk or a busy
# PostgreSQL must not delay the acknowledgements of the events behind it.
db = asyncio.to_thread


class Tally:
    """How many requests the bot has finished handling. Tests wait on it instead of sleeping."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        self._changed.set()

    async def reach(self, n: int) -> None:
        while self.count < n:
            self._changed.clear()
            await self._changed.wait()


def tallied(
    method: Callable[Concatenate[Assistant, P], Awaitable[R]],
) -> Callable[Concatenate[Assistant, P], Awaitable[R]]:
    @functools.wraps(method)
    async def wrapper(self: Assistant, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with metrics.acknowledging(method.__name__):  # what an adapter waits for before its ack
                return await method(self, *args, **kwargs)
        finally:
            self.handled.add()

    return wrapper


@dataclass(frozen=True)
class RecentDigest:
    """A digest as a workspace's overview lists it: the video's title and the thread it is in."""

    title: str
    thread: Place


@dataclass
class Intake:
    """What came of a request's links: the ones to summarise, and the one message about the rest."""

    accepted: list[tuple[str, list[str]]] = field(default_factory=list)  # (url, delivery claims)
    reasons: list[str] = field(default_factory=list)
    repeated: int = 0  # already summarised in this thread

    @property
    def refusal(self) -> str | None:
        return " ".join(self.reasons) or None


class Assistant:
    def __init__(
        self,
        services: Services,
        store: ChatStore,
        runner: Runner,
        limits: Limits,
        core: Core,
        max_links: int = 3,
        housekeeping: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self.services = services
        self.store = store
        self.runner = runner
        self.limits = limits
        self.max_links = max_links
        self.chats: dict[str, Chat] = {}
        self.core = core
        self.jobs = JobHandlers(self.chats, store, runner.jobs, core)
        self.handled = Tally()
        runner.bind(self.jobs.run)
        # What a long-running process does besides answering (retention), from resume to shutdown.
        self._housekeeping = housekeeping
        self._chores: asyncio.Task[None] | None = None

    @property
    def service(self) -> RecapService:
        return self.services.default

    def add_chat(self, platform: str, chat: Chat) -> None:
        self.chats[platform] = chat

    async def shutdown(self, grace_s: float) -> None:
        """Finish or hand back the jobs in hand, then stop the core's child processes, if any."""
        if self._chores is not None:
            self._chores.cancel()
        await self.runner.shutdown(grace_s)
        close = getattr(self.core, "close", None)
        if close is not None:
            close()

    async def resume(self) -> int:
        """Finish the replies an earlier process owed, once connected to the chats they go to."""
        resumed = await self.runner.resume(self.chats)
        if self._housekeeping is not None and self._chores is None:
            self._chores = asyncio.create_task(self._housekeeping(), name="recap-housekeeping")
        if resumed:
            log.warning("resumed %d unfinished job(s) from before the restart", resumed)
        return resumed

    # -- messages ------------------------------------------------------------------------------

    @tallied
    async def on_message(self, msg: Incoming) -> None:
        if msg.from_bot or msg.is_edit:
            return
        if msg.event_id and not await db(self.store.claim, f"event:{msg.place.platform}:{msg.event_id}"):
            return  # a retried delivery of an event already handled
        if not await db(self.store.claim, f"seen:{msg.place.platform}:{msg.place.channel}:{msg.message_id}"):
            return  # one message, two events (Slack's "message" and "app_mention"): answer once
        thread = msg.place if msg.place.thread else replace(msg.place, thread=msg.message_id)
        asked = msg.is_dm or msg.mentions_bot
        event = {"event": msg.event_id or msg.message_id, "workspace": msg.place.workspace, "platform": thread.platform}
        log.debug("message with %d link(s), addressed to recap: %s", len(msg.links), asked, extra=event)
        if msg.links and (asked or (await db(self.store.settings, msg.place)).auto_summarize):
            intake = await db(self._intake, thread, thread, list(msg.links), msg.user, msg.message_id)
            for url, claims in intake.accepted:
                await self._submit(thread, url, msg.user, claims, quiet=not asked)
            if intake.refusal and asked:  # a message that did not address recap gets no refusal
                await self._chat(thread).whisper(thread, msg.user, intake.refusal)
            return
        if msg.place.thread and (thread_url := await db(self.store.thread_video, msg.place)):
            if await db(self._addressed, msg, asked):
                await self._ask(msg.place, msg.text, msg.user, thread_url, show_question=False, requester=None)
        elif asked:
            await self._chat(thread).post(thread, Notice(help_text(thread.platform)))

    # -- commands, menus, buttons and modals ---------------------------------------------------

    @tallied
    async def request_digests(
        self, here: Place, urls: list[str], requester: Requester, root: str | None = None
    ) -> None:
        """Summarise `urls` on request: in the thread of message `root` when given, in `here` when it
        is a thread, else each in a new thread on a public "Digest of … for @user" message."""
        if not urls:
            await requester.tell("I found no video link there.")
            return
        thread = replace(here, thread=root) if root else here if here.thread else None
        intake = await db(self._intake, here, thread, urls, requester.user, root)
        if not intake.accepted:
            await requester.tell(intake.refusal or "That video is summarised in this thread already.")
            return
        place = "this thread" if thread else "a thread in this channel"
        await requester.tell(" ".join([f"On it: the digest will appear in {place}.", *intake.reasons]))
        for url, claims in intake.accepted:
            # Whether recap may post here is found out now, while the person can still be told: in
            # a thread (a message shortcut) the job's first progress message is posted at once, or
            # a channel recap was never invited to would swallow an "On it" without a word.
            try:
                if thread:
                    target = thread
                    progress_id = (await self._chat(thread).post(thread, ProgressNote(FIRST_NOTE))).message_id
                else:
                    opened = await requester.open(Requested(url, requester.user))
                    target, progress_id = replace(here, thread=opened.message_id), None
            except CannotPost as exc:
                await db(self._release, claims)
                await requester.tell(str(exc))
                return
            await self._submit(target, url, requester.user, claims, quiet=False, progress_id=progress_id)

    @tallied
    async def ask(self, thread: Place, question: str, requester: Requester) -> None:
        """A question about the video of `thread` (the ask button's modal)."""
        url = await db(self.store.thread_video, thread)
        if not url:
            await requester.tell(NO_VIDEO_YET)
            return
        await self._ask(thread, question, requester.user, url, show_question=True, requester=requester)

    @tallied
    async def ask_latest(self, here: Place, question: str, requester: Requester) -> None:
        """A question about the video of this thread, or else the channel's latest digest."""
        if here.thread and (url := await db(self.store.thread_video, here)):
            thread = here
        elif found := await db(self.store.last_thread, here):
            thread, url = found
        else:
            await requester.tell(NO_VIDEO_YET)
            return
        await self._ask(thread, question, requester.user, url, show_question=True, requester=requester)

    async def change_settings(self, place: Place, changes: dict[str, str], is_admin: bool) -> str:
        """What to tell the person: the channel's settings, or what their change did."""
        current = await db(self.store.settings, place)
        if not changes:
            return describe(current)
        if not is_admin:
            return "Only workspace or server admins can change recap's settings."
        try:
            updated = changed(current, changes)
        except Invalid as exc:
            return str(exc)
        if updated.writer and updated.writer != current.writer:
            try:  # a writer this recap has no credentials for would fail every job in the channel
                # Off the loop: building a writer imports its SDK, which takes a while the first time.
                await db(self.services.for_choice, updated.writer, updated.language)
            except NotConfigured as exc:
                return f"The {updated.writer} writer is not set up on this recap: {exc} Ask its operator."
        await db(self.store.save_settings, place, updated)
        return "Saved. " + describe(updated)

    async def recent_digests(self, platform: str, workspace: str, limit: int = 10) -> list[RecentDigest]:
        """The workspace's latest digests, newest first (an App Home, an overview)."""

        def find() -> list[RecentDigest]:
            found = []
            for thread, key in self.store.recent_threads(platform, workspace, limit):
                video = self.service.store.video(key)
                found.append(RecentDigest(video.title if video else "a video", thread))
            return found

        return await db(find)

    async def video_title(self, key: str) -> str:
        video = await db(self.service.store.video, key)
        return video.title if video else "this video"

    @tallied
    async def full_digest(self, thread: Place, key: str) -> None:
        digest = await db(
            lambda: self.services.for_place(thread).stored_digest(key)
        )  # this channel's writer and language
        reply = FullDigestReply(digest) if digest else Notice("That digest is no longer stored; paste the link again.")
        await self._chat(thread).post(thread, reply)

    @tallied
    async def transcript(self, thread: Place, key: str) -> None:
        stored = await db(self.service.store.transcript, key)
        chat = self._chat(thread)
        if stored is None:
            await chat.post(thread, Notice("That transcript is no longer stored; paste the link again."))
        else:
            await chat.upload(thread, TranscriptFile(*stored))

    # -- deciding ------------------------------------------------------------------------------

    def _addressed(self, msg: Incoming, asked: bool) -> bool:
        """Whether a reply in a digest thread is for recap: a mention or a DM, a question right after
        recap's own message, or any reply where the channel asks for every one to be answered.
        People talking to each other in the thread cost nobody's limits."""
        answer = (
            asked
            or (self.store.recap_spoke_last(msg.place) and reads_as_question(msg.text))
            or self.store.settings(msg.place).every_reply
        )
        self.store.recap_spoke_last(msg.place, spoke=answer)  # recap's answer comes next, or it was theirs
        return answer

    def _intake(self, here: Place, thread: Place | None, urls: list[str], user: str, origin: str | None) -> Intake:
        """Validate, deduplicate and count `urls` asked for in `here` before anything is posted.
        `thread` None: each link gets a new thread of its own, so nothing there can repeat."""
        intake, seen = Intake(), set()
        taken = urls[: self.max_links]
        for url in taken:
            try:
                key = video_key(url)
            except NotAVideoLink as exc:
                intake.reasons.append(f"That is not a video link ({exc}).")
                continue
            if key in seen:
                continue
            seen.add(key)
            claims = [] if thread is None else [f"video:{thread.conversation_id}:{key}"]
            if origin and thread is not None:
                claims.append(f"msg:{thread.platform}:{thread.channel}:{origin}:{key}")
            if not self._claim(claims):
                intake.repeated += 1
                continue
            if refusal := self.limits.refusal(here, user, digest=True):
                self._release(claims)
                intake.reasons.append(refusal)
                break  # the same limit refuses every link after this one
            intake.accepted.append((url, claims))
        if len(urls) > len(taken):
            intake.reasons.append(
                f"I take at most {self.max_links} links a message; the other {len(urls) - len(taken)} were skipped."
            )
        return intake

    async def _submit(
        self, thread: Place, url: str, user: str, claims: list[str], quiet: bool, progress_id: str | None = None
    ) -> None:
        quiet = quiet and not video_key(url).startswith(VIDEO_HOSTS)
        payload: dict[str, Any] = {"url": url, "user": user, "quiet": quiet, "claims": claims}
        if progress_id:  # posted already: the job edits it rather than post another
            payload["progress_id"] = progress_id
        await self._enqueue("digest", thread, payload)

    async def _ask(
        self, thread: Place, question: str, user: str, url: str, show_question: bool, requester: Requester | None
    ) -> None:
        refusal = None
        if not question.strip():
            refusal = "What would you like to know about the video?"
        else:
            refusal = await db(self.limits.refusal, thread, user, False)
        if refusal:
            if requester is not None:
                await requester.tell(refusal)
            else:
                await self._chat(thread).whisper(thread, user, refusal)
            return
        if requester is not None:
            await requester.tell("Looking into it…")
        await self._enqueue(
            "answer", thread, {"url": url, "question": question, "user": user, "show_question": show_question}
        )

    async def _enqueue(self, kind: str, thread: Place, payload: dict[str, Any]) -> None:
        job = await self.runner.submit(kind, thread.platform, thread.workspace, {"place": asdict(thread), **payload})
        log.info("%s job %d accepted", kind, job.id, extra=job_fields(job.id, job.kind, job.payload))

    def _claim(self, claims: list[str]) -> bool:
        for i, claim in enumerate(claims):
            if not self.store.claim(claim):
                self._release(claims[:i])
                return False
        return True

    def _release(self, claims: list[str]) -> None:
        for claim in claims:
            self.store.release(claim)

    def _chat(self, place: Place) -> Chat:
        return self.chats[place.platform]
