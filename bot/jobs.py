"""The work recap owes a chat, by kind: a digest of a link, an answer to a question.

Each kind is a handler in `JobHandlers.kinds`; the runner stores a job before it starts and calls
`run` for it, here or after a restart. Whatever happens inside, the thread gets one final reply:
the digest or answer, or a short message saying why not. Only a link that was never known to be
a video (a quiet, auto-summarised link) may end in silence.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from summarizer.errors import NotAVideoLink, RecapError, UnsupportedSite, VideoUnavailable
from summarizer.links import video_key

from .chat import AnswerReply, CannotPost, Chat, DigestReply, Notice, Place
from .chatstore import ChatStore, Job
from .progress import ChatProgress
from .services import Services

log = logging.getLogger(__name__)

# Never the exception's text: it may name hosts, paths or tokens. The log has the details.
UNEXPECTED = "something went wrong on recap's side; try again later, and tell the operator if it keeps happening."


class JobHandlers:
    def __init__(self, chats: dict[str, Chat], store: ChatStore, services: Services):
        self.chats, self.store, self.services = chats, store, services
        self.kinds: dict[str, Callable[[Job], Awaitable[None]]] = {"digest": self.digest, "answer": self.answer}

    async def run(self, job: Job) -> None:
        handler = self.kinds.get(job.kind)
        if handler is None:
            raise ValueError(f"unknown job kind {job.kind!r}")
        try:
            await handler(job)
        except CannotPost as exc:
            # Removed from the channel, or its permissions changed, while the job ran: nobody to
            # tell, and retrying cannot help. A request that could be answered was told at once.
            self._release(job)
            log.warning("%s job %d: cannot post in its channel: %s", job.kind, job.id, exc)

    async def digest(self, job: Job) -> None:
        p = job.payload
        place = Place(**p["place"])
        progress = ChatProgress(self.chats[place.platform], place, asyncio.get_running_loop(), quiet=p["quiet"],
                                sent_id=p.get("progress_id"), remember=lambda mid: self._remember(job, mid))
        try:
            await progress.start()
            video_key(p["url"])  # a chat job is always about a web link, never a path on this machine
            digest = await asyncio.to_thread(self.services.for_place(place).digest, p["url"], progress)
        except (UnsupportedSite, VideoUnavailable, NotAVideoLink) as exc:
            self._release(job)
            if progress.sent or not p["quiet"]:
                await progress.finish(Notice(f"I couldn't summarise that link: {exc}"))
            return
        except RecapError as exc:
            self._release(job)
            await progress.finish(Notice(f"I couldn't summarise that video: {exc}"))
            return
        except CannotPost:
            raise
        except Exception:
            self._release(job)
            if progress.sent or not p["quiet"]:
                await progress.finish(Notice(f"I couldn't summarise that video: {UNEXPECTED}"))
            raise  # the runner logs it and marks the job failed
        self.store.remember_thread(place, digest.video.key, p["url"])
        await progress.finish(DigestReply(digest))

    async def answer(self, job: Job) -> None:
        p = job.payload
        place = Place(**p["place"])
        chat = self.chats[place.platform]
        try:
            service = self.services.for_place(place)
            answer = await asyncio.to_thread(service.ask, p["url"], p["question"], place.conversation_id)
        except RecapError as exc:
            await chat.post(place, Notice(f"I couldn't answer that: {exc}"))
            return
        except CannotPost:
            raise
        except Exception:
            await chat.post(place, Notice(f"I couldn't answer that: {UNEXPECTED}"))
            raise
        await chat.post(place, AnswerReply(answer, p.get("show_question", False)))

    def _remember(self, job: Job, message_id: str) -> None:
        job.payload["progress_id"] = message_id
        self.store.save_job_payload(job.id, job.payload)

    def _release(self, job: Job) -> None:
        """A link that failed may be posted again in the same thread and be tried afresh."""
        for claim in job.payload.get("claims", ()):
            self.store.release(claim)
