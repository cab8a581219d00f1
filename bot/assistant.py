"""What recap does in a chat, whatever the chat: which messages matter, threads, follow-ups, jobs.

Adapters call `on_message` and the command/button entry points with neutral values; replies go
out through the `Chat` of the message's platform. The slow work runs as jobs (see runner.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, replace
from typing import Callable

from summarizer.errors import NotAVideoLink, RecapError, UnsupportedSite, VideoUnavailable
from summarizer.links import find_links, video_key

from .chat import (AnswerReply, Chat, DigestReply, FullDigestReply, Incoming, Notice, Place, ProgressNote, Sent,
                   TranscriptFile)
from .chatstore import ChatStore, Job
from .limits import Limits
from .runner import InProcessRunner
from .service import RecapService

log = logging.getLogger(__name__)

# (writer, language) -> the service that writes that way; the composition root builds them.
ServiceVariant = Callable[[str | None, str | None], RecapService]

HELP = (
    "Paste a video link and I reply in its thread with a digest: highlights with timestamps, sections, "
    "takeaways and the minutes it saves you. Reply in that thread to ask about the video.\n"
    "/recap URL: summarise a video · /recap ask QUESTION: ask about the latest video here · "
    "/recap settings: channel settings (admins) · /recap help"
)
STAGES = {
    "probing": "looking at the link",
    "captions": "looking for captions",
    "downloading": "downloading the audio",
    "transcribing": "transcribing",
    "writing": "writing the digest",
}
# At most one progress edit this often: chat APIs rate-limit message updates.
PROGRESS_EVERY_S = 2.0
# Sites that are always about videos: progress shows at once. Other links are probed quietly
# first, so an article link pasted in a channel does not get a "no video here" reply.
VIDEO_HOSTS = ("youtube:", "vimeo:")


class Assistant:
    def __init__(self, service: RecapService, store: ChatStore, runner: InProcessRunner, limits: Limits,
                 chats: dict[str, Chat] | None = None, variant: ServiceVariant | None = None):
        self.service = service
        # A channel may ask for another writer or language than the default service's.
        self._variant = variant
        self.store = store
        self.runner = runner
        self.limits = limits
        self.chats: dict[str, Chat] = dict(chats or {})
        runner.bind(self.run_job)

    def add_chat(self, platform: str, chat: Chat) -> None:
        self.chats[platform] = chat

    # -- entry points --------------------------------------------------------------------------

    async def on_message(self, msg: Incoming) -> None:
        if msg.from_bot or msg.is_edit:
            return
        if msg.event_id and not self.store.claim(f"event:{msg.place.platform}:{msg.event_id}"):
            return  # a retried delivery of an event already handled
        if not self.store.claim(f"seen:{msg.place.platform}:{msg.place.channel}:{msg.message_id}"):
            return  # one message, two events (Slack's "message" and "app_mention"): answer once
        thread = msg.place if msg.place.thread else replace(msg.place, thread=msg.message_id)
        links = find_links(msg.text)
        asked = msg.is_dm or msg.mentions_bot
        if links and (asked or self.store.settings(msg.place).auto_summarize):
            for url in links:
                await self.summarize(thread, url, msg.user, origin=msg.message_id, quiet=not asked)
            return
        if msg.place.thread and (url := self.store.thread_video(msg.place)):
            await self.ask(msg.place, msg.text, msg.user, url)
        elif asked:
            await self._chat(thread).post(thread, Notice(HELP))

    async def summarize(self, thread: Place, url: str, user: str, origin: str, quiet: bool = False) -> None:
        """Owe a digest of `url` in `thread` (once per thread and per originating message)."""
        try:
            key = video_key(url)
        except NotAVideoLink as exc:
            if not quiet:
                await self._chat(thread).post(thread, Notice(str(exc)))
            return
        once_per_message = f"msg:{thread.platform}:{thread.channel}:{origin}:{key}"
        once_per_thread = f"video:{thread.conversation_id}:{key}"
        if not (self.store.claim(once_per_message) and self.store.claim(once_per_thread)):
            return
        if refusal := self.limits.refusal(thread, user, digest=True):
            await self._chat(thread).post(thread, Notice(refusal))
            return
        quiet = quiet and not key.startswith(VIDEO_HOSTS)
        await self.runner.submit("digest", thread.workspace,
                                 {"place": asdict(thread), "url": url, "user": user, "quiet": quiet})

    async def ask(self, thread: Place, question: str, user: str, url: str | None = None,
                  show_question: bool = False) -> None:
        url = url or self.store.thread_video(thread)
        if not url:
            await self._chat(thread).post(thread, Notice("Ask in the thread of a video digest, or paste a video "
                                                        "link first."))
            return
        if not question.strip():
            await self._chat(thread).post(thread, Notice("What would you like to know about the video?"))
            return
        if refusal := self.limits.refusal(thread, user, digest=False):
            await self._chat(thread).post(thread, Notice(refusal))
            return
        await self.runner.submit("answer", thread.workspace,
                                 {"place": asdict(thread), "url": url, "question": question, "user": user,
                                  "show_question": show_question})

    async def full_digest(self, thread: Place, key: str) -> None:
        service = self.service_for(thread)
        digest = service.store.digest(key, service.writer)
        reply = FullDigestReply(digest) if digest else Notice("That digest is no longer stored; paste the link again.")
        await self._chat(thread).post(thread, reply)

    async def transcript(self, thread: Place, key: str) -> None:
        stored = self.service.store.transcript(key)
        chat = self._chat(thread)
        if stored is None:
            await chat.post(thread, Notice("That transcript is no longer stored; paste the link again."))
        else:
            await chat.upload(thread, TranscriptFile(*stored))

    # -- jobs ----------------------------------------------------------------------------------

    async def run_job(self, job: Job) -> None:
        place = Place(**job.payload["place"])
        if job.kind == "digest":
            await self._digest_job(job, place)
        elif job.kind == "answer":
            await self._answer_job(job, place)
        else:
            raise ValueError(f"unknown job kind {job.kind!r}")

    async def _digest_job(self, job: Job, place: Place) -> None:
        p, chat = job.payload, self._chat(place)
        progress = ChatProgress(chat, place, asyncio.get_running_loop(), quiet=p["quiet"],
                                sent_id=p.get("progress_id"), remember=lambda mid: self._remember(job, mid))
        await progress.start()
        try:
            service = self.service_for(place)
            digest = await asyncio.to_thread(service.digest, p["url"], progress)
        except (UnsupportedSite, VideoUnavailable, NotAVideoLink) as exc:
            if progress.sent or not p["quiet"]:
                await progress.finish(Notice(f"I couldn't summarise that link: {exc}"))
            return
        except RecapError as exc:
            await progress.finish(Notice(f"I couldn't summarise that video: {exc}"))
            return
        self.store.remember_thread(place, digest.video.key, p["url"])
        await progress.finish(DigestReply(digest))

    async def _answer_job(self, job: Job, place: Place) -> None:
        p, chat = job.payload, self._chat(place)
        try:
            service = self.service_for(place)
            answer = await asyncio.to_thread(service.ask, p["url"], p["question"], place.conversation_id)
        except RecapError as exc:
            await chat.post(place, Notice(f"I couldn't answer that: {exc}"))
            return
        await chat.post(place, AnswerReply(answer, p.get("show_question", False)))

    def _remember(self, job: Job, message_id: str) -> None:
        job.payload["progress_id"] = message_id
        self.store.save_job_payload(job.id, job.payload)

    def service_for(self, place: Place) -> RecapService:
        chosen = self.store.settings(place)
        if self._variant is None or not (chosen.writer or chosen.language):
            return self.service
        return self._variant(chosen.writer, chosen.language)

    def _chat(self, place: Place) -> Chat:
        return self.chats[place.platform]


class ChatProgress:
    """The pipeline's progress callback, turned into edits of one thread message.

    Called from the worker thread; the edits are scheduled on the event loop, at most one every
    PROGRESS_EVERY_S, and never after the final reply replaced the message.
    """

    def __init__(self, chat: Chat, place: Place, loop: asyncio.AbstractEventLoop, quiet: bool,
                 sent_id: str | None, remember: Callable[[str], None]):
        self.chat, self.place, self.loop, self.quiet = chat, place, loop, quiet
        self.sent: Sent | None = Sent(place, sent_id) if sent_id else None
        self.remember = remember
        self._last = 0.0
        self._pending: asyncio.Future | None = None
        self._done = False

    async def start(self) -> None:
        if not self.quiet and self.sent is None:
            await self._post("Watching… looking at the link")

    async def _post(self, text: str) -> None:
        self.sent = await self.chat.post(self.place, ProgressNote(text))
        self.remember(self.sent.message_id)

    def __call__(self, stage: str, fraction: float | None) -> None:
        now = time.monotonic()
        if self._done or (now - self._last < PROGRESS_EVERY_S and stage != "writing"):
            return
        if self.quiet and stage in ("probing",):
            return  # not yet known to be a video: say nothing
        self._last = now
        text = "Watching… " + STAGES.get(stage, stage) + (f" {fraction:.0%}" if fraction else "")
        self._pending = asyncio.run_coroutine_threadsafe(self._show(text), self.loop)

    async def _show(self, text: str) -> None:
        if self._done:
            return
        if self.sent is None:
            await self._post(text)
        else:
            await self.chat.update(self.sent, ProgressNote(text))

    async def finish(self, reply) -> None:
        if self._pending is not None:  # let the last progress edit land before the final one
            try:
                await asyncio.wrap_future(self._pending)
            except Exception:  # a failed progress edit must not cost the user the digest
                log.warning("a progress update failed", exc_info=True)
        self._done = True
        if self.sent is None:
            self.sent = await self.chat.post(self.place, reply)
        else:
            await self.chat.update(self.sent, reply)
