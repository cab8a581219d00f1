"""The work recap owes a chat, by kind: a digest of a link, an answer to a question.

Each kind is a handler in `JobHandlers.kinds`; the runner stores a job before it starts and calls
`run` for it, here or after a restart. Whatever happens inside, the thread gets one final reply:
the digest or answer, or a short message saying why not. Only a link that was never known to be
a video (a quiet, auto-summarised link) may end in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from summarizer.errors import NeedsTranscription, NotAVideoLink, RecapError, UnsupportedSite, VideoUnavailable
from summarizer.links import video_key
from summarizer.pipeline import quiet

from . import metrics
from .chat import AnswerReply, CannotPost, Chat, DigestReply, Notice, Place
from .chatstore import ChatStore
from .core import Core
from .jobstore import Job, JobStore
from .logs import job_fields
from .progress import ChatProgress

log = logging.getLogger(__name__)

# Never the exception's text: it may name hosts, paths or tokens. The log has the details.
UNEXPECTED = "something went wrong on recap's side; try again later, and tell the operator if it keeps happening."


class TranscriptionFailed(RecapError):
    """What a transcription worker met, told in the thread by the worker that goes on with the job."""


# A handler's word that the job is not over: it waits for a transcription worker to continue it.
HANDED_OFF = "handed-off"
HandOff = Callable[[Job], Awaitable[None]]


class Flights:
    """One digest of a video at a time in this process: the threads that ask for the same video at
    once wait for the first, then find its transcript (and digest) stored."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


class JobHandlers:
    def __init__(
        self, chats: dict[str, Chat], store: ChatStore, jobs: JobStore, core: Core, hand_off: HandOff | None = None
    ) -> None:
        self.chats, self.store, self.jobs, self.core = chats, store, jobs, core
        self.hand_off = hand_off  # workers mode: how a job without captions reaches a transcription worker
        self.flights = Flights()
        self.kinds: dict[str, Callable[[Job], Awaitable[str | None]]] = {"digest": self.digest, "answer": self.answer}

    @metrics.watched()
    async def run(self, job: Job) -> bool:
        """Do the job; False when it was handed on and is not finished yet."""
        handler = self.kinds.get(job.kind)
        if handler is None:
            raise ValueError(f"unknown job kind {job.kind!r}")
        try:
            return await handler(job) != HANDED_OFF
        except CannotPost as exc:
            # Removed from the channel, or its permissions changed, while the job ran: nobody to
            # tell, and retrying cannot help. A request that could be answered was told at once.
            await asyncio.to_thread(self._release, job)
            metrics.undeliverable()
            fields = job_fields(job.id, job.kind, job.payload)
            log.warning("%s job %d: cannot post in its channel: %s", job.kind, job.id, exc, extra=fields)
            return True

    async def digest(self, job: Job) -> str | None:
        p = job.payload
        place = Place(**p["place"])
        progress = self._progress(job, self.chats[place.platform], place)
        try:
            await progress.start()
            if p.get("transcription_failed"):  # a transcription worker could not make the transcript
                raise TranscriptionFailed(p["transcription_failed"])
            key = video_key(p["url"])  # a chat job is always about a web link, never a path on this machine
            async with self.flights.hold(key):
                digest = await self.core.digest(place, p["url"], metrics.followed(progress))
        except asyncio.CancelledError:
            progress.stop()
            raise
        except NeedsTranscription:
            if self.hand_off is None:
                raise
            await progress.note("waiting for a transcription worker")
            await self.hand_off(job)
            return HANDED_OFF
        except (UnsupportedSite, VideoUnavailable, NotAVideoLink) as exc:
            await asyncio.to_thread(self._release, job)
            metrics.declined()
            if progress.sent or not p["quiet"]:
                await progress.finish(Notice(f"I couldn't summarise that link: {exc}"))
            return None
        except RecapError as exc:
            await asyncio.to_thread(self._release, job)
            metrics.declined()
            await progress.finish(Notice(f"I couldn't summarise that video: {exc}"))
            return None
        except CannotPost:
            raise
        except Exception:
            if job.final_attempt:  # otherwise it is tried again, and edits the same progress message
                await asyncio.to_thread(self._release, job)
                if progress.sent or not p["quiet"]:
                    await progress.finish(Notice(f"I couldn't summarise that video: {UNEXPECTED}"))
            raise  # the runner logs it and marks the job failed or retries it
        metrics.digest_made(digest)
        await asyncio.to_thread(self.store.remember_thread, place, digest.video.key, p["url"])
        await progress.finish(DigestReply(digest))
        return None

    @metrics.watched("transcribe")
    async def transcribe(self, job: Job) -> None:
        """A transcription worker's part of a digest: the transcript, stored for the job to go on.
        What went wrong is kept in the job, for the digest handler to say in the thread."""
        p = job.payload
        place = Place(**p["place"])
        chat = self.chats.get(place.platform)  # a GPU machine may serve no chat: then no progress
        progress = self._progress(job, chat, place) if chat else quiet
        try:
            async with self.flights.hold(video_key(p["url"])):
                await self.core.transcript(place, p["url"], metrics.followed(progress))
            metrics.transcript_made()
        except RecapError as exc:
            metrics.declined()
            job.payload["transcription_failed"] = str(exc)
            await asyncio.to_thread(self.jobs.save_payload, job.id, job.payload)
        finally:
            if isinstance(progress, ChatProgress):
                await progress.close()

    async def answer(self, job: Job) -> str | None:
        p = job.payload
        place = Place(**p["place"])
        chat = self.chats[place.platform]
        metrics.reached("answering")
        try:
            answer = await self.core.ask(place, p["url"], p["question"], place.conversation_id)
        except RecapError as exc:
            metrics.declined()
            await chat.post(place, Notice(f"I couldn't answer that: {exc}"))
            return None
        except CannotPost:
            raise
        except Exception:
            if job.final_attempt:
                await chat.post(place, Notice(f"I couldn't answer that: {UNEXPECTED}"))
            raise
        metrics.answered(answer)
        await chat.post(place, AnswerReply(answer, p.get("show_question", False)))
        return None

    def _progress(self, job: Job, chat: Chat, place: Place) -> ChatProgress:
        """The job's progress message: the one it posted before, if any, wherever the job ran then."""
        return ChatProgress(
            chat,
            place,
            asyncio.get_running_loop(),
            quiet=job.payload["quiet"],
            sent_id=job.payload.get("progress_id"),
            remember=lambda mid: self._remember(job, mid),
            final_id=job.payload.get("final_id"),
            remember_final=lambda mid: self._remember(job, mid, "final_id"),
        )

    async def _remember(self, job: Job, message_id: str, name: str = "progress_id") -> None:
        job.payload[name] = message_id
        await asyncio.to_thread(self.jobs.save_payload, job.id, job.payload)

    def _release(self, job: Job) -> None:
        """A link that failed may be posted again in the same thread and be tried afresh."""
        for claim in job.payload.get("claims", ()):
            self.store.release(claim)
