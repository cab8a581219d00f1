"""A job's progress, shown as one thread message that recap edits as the pipeline advances, and
its final reply, posted as a new message so that the people following the thread are notified
(an edit notifies nobody), after which the progress message is deleted."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Awaitable, Callable

from .chat import Chat, Place, ProgressNote, Reply, Sent

log = logging.getLogger(__name__)

STAGES = {
    "probing": "looking at the link",
    "captions": "looking for captions",
    "downloading": "downloading the audio",
    "transcribing": "transcribing",
    "writing": "writing the digest",
}
# At most one progress edit this often: chat APIs rate-limit message updates.
PROGRESS_EVERY_S = 2.0


class JobStopped(Exception):
    """Raised in the pipeline's thread at its next progress report after the job was cancelled."""


# What a digest's progress message says first (posted by the job, or on request before it starts).
FIRST_NOTE = "Watching… looking at the link"


class ChatProgress:
    """The pipeline's progress callback, turned into edits of one thread message.

    Called from the worker thread; the edits are scheduled on the event loop, at most one every
    PROGRESS_EVERY_S, and never after the final reply replaced the message.
    """

    def __init__(
        self,
        chat: Chat,
        place: Place,
        loop: asyncio.AbstractEventLoop,
        quiet: bool,
        sent_id: str | None,
        remember: Callable[[str], Awaitable[None]],
        final_id: str | None = None,
        remember_final: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.chat, self.place, self.loop, self.quiet = chat, place, loop, quiet
        self.sent: Sent | None = Sent(place, sent_id) if sent_id else None
        self.remember = remember
        # The final reply an earlier run of this job already posted: a resumed job edits it.
        self.final: Sent | None = Sent(place, final_id) if final_id else None
        self.remember_final = remember_final
        self._last = 0.0
        self._pending: concurrent.futures.Future[None] | None = None
        self._stage: str | None = None  # the stage shown last
        self._done = False
        self._stopped = False

    async def start(self) -> None:
        if not self.quiet and self.sent is None:
            await self._post(FIRST_NOTE)

    async def _post(self, text: str) -> None:
        # Cancelled at shutdown while the post is on the wire, the message may already be in the
        # thread: finish posting and writing its id down first, or whoever resumes the job posts a
        # second one and this "Watching…" is left behind for ever.
        posting = asyncio.ensure_future(self._post_and_remember(text))
        try:
            await asyncio.shield(posting)
        except asyncio.CancelledError:
            await asyncio.wait([posting])
            if not posting.cancelled() and posting.exception() is not None:
                log.warning("posting the progress message failed while shutting down")
            raise

    async def _post_and_remember(self, text: str) -> None:
        self.sent = await self.chat.post(self.place, ProgressNote(text))
        await self.remember(self.sent.message_id)  # for whoever resumes the job: edit, never post again

    async def note(self, text: str) -> None:
        """Say where the job stands now, outside the pipeline's stages."""
        await self._show(f"Watching… {text}")

    def stop(self) -> None:
        """The job was cancelled (shutdown): no more edits, and the pipeline stops at its next step,
        so a handed-back job's old thread cannot race the next process's edits."""
        self._done = self._stopped = True

    def __call__(self, stage: str, fraction: float | None) -> None:
        if self._stopped:
            raise JobStopped("the job was handed back")
        now = time.monotonic()
        # A new stage shows at once (there are five), unless an edit is still on its way: two in
        # flight could land out of order. Within a stage, an edit every PROGRESS_EVERY_S at most.
        # Otherwise a stage that reports only at its end (one window of batched transcription)
        # would leave "downloading 100%" up while it runs.
        idle = self._pending is None or self._pending.done()
        fresh = stage != self._stage and idle
        if self._done or (now - self._last < PROGRESS_EVERY_S and stage != "writing" and not fresh):
            return
        if self.quiet and stage in ("probing",):
            return  # not yet known to be a video: say nothing
        self._last, self._stage = now, stage
        text = "Watching… " + STAGES.get(stage, stage) + (f" {fraction:.0%}" if fraction else "")
        self._pending = asyncio.run_coroutine_threadsafe(self._show(text), self.loop)

    async def _show(self, text: str) -> None:
        if self._done:
            return
        if self.sent is None:
            await self._post(text)
        else:
            await self.chat.update(self.sent, ProgressNote(text))

    async def close(self) -> None:
        """Let the last progress edit land, and make none after it: the final reply may come from
        another process (a transcription worker hands the job back) and must not be overwritten."""
        await self.landed()
        self._done = True

    async def landed(self) -> None:
        """Wait for the last progress edit to land (or fail: that must not cost the user the digest)."""
        if self._pending is not None:
            try:
                await asyncio.wrap_future(self._pending)
            except Exception:
                log.warning("a progress update failed", exc_info=True)

    async def finish(self, reply: Reply) -> None:
        """Post `reply` as a new message, then delete the progress message. Written down between
        the two, so a job resumed after a crash edits its final reply instead of posting a second."""
        await self.close()
        if self.final is not None:
            await self.chat.update(self.final, reply)
        else:
            posting = asyncio.ensure_future(self._post_final(reply))
            try:
                await asyncio.shield(posting)
            except asyncio.CancelledError:  # as in _post: the reply may be in the thread already
                await asyncio.wait([posting])
                raise
        if self.sent is not None:
            await self.chat.delete(self.sent)
            self.sent = None

    async def _post_final(self, reply: Reply) -> None:
        self.final = await self.chat.post(self.place, reply)
        if self.remember_final is not None:
            await self.remember_final(self.final.message_id)
