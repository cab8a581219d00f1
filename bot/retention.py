"""Keeping the database bounded: what is older than the retention goes, and `recap forget` removes one
video everywhere.

Retention (`RECAP_RETENTION_DAYS`, 90 by default; 0 keeps content for ever) deletes transcripts,
digests, threads, conversations and their turns older than that, then the videos nothing refers to
any more. Bookkeeping goes sooner whatever the setting: delivery claims after `CLAIM_DAYS` (a platform
retries an event within minutes or hours), finished jobs after `JOB_DAYS`, in both recap's jobs table
and procrastinate's. The long-running processes run `keep_tidy`, which sweeps once an hour.

Deletes go in batches of a few hundred rows, each its own short transaction, and a run stops after
`MAX_BATCHES` of them per table (the rest goes next time): a first sweep of a large old database
never holds a lock for long. On PostgreSQL one process sweeps at a time; the others skip their turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, delete, exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from summarizer.errors import RecapError
from summarizer.links import video_key

from .store import Store
from .tables import ConversationRow, DeliveryRow, DigestRow, JobRow, ThreadRow, TranscriptRow, TurnRow, VideoRow, now

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

CLAIM_DAYS = 3.0
JOB_DAYS = 7.0
BATCH = 500
MAX_BATCHES = 100  # per table and run: 50,000 rows
TIDY_EVERY_S = 3600.0
FINISHED = ("done", "failed")
QUEUE_FINISHED = ("succeeded", "failed", "cancelled", "aborted")  # procrastinate's final states
TIDY_LOCK = 0x72657461  # "reta": PostgreSQL advisory lock, one sweeping process at a time

Counts = dict[str, int]


def tidy(store: Store, retention_days: float, at: datetime | None = None, batch: int = BATCH) -> Counts:
    """Delete what retention says is too old at `at` (now); how many rows went, by table."""
    at = at or now()
    cutoff = at - timedelta(days=retention_days) if retention_days > 0 else None

    def older(days: float) -> datetime:
        return at - timedelta(days=min(days, retention_days) if retention_days > 0 else days)

    jobs_cutoff = older(JOB_DAYS)
    old_job = col(JobRow.status).in_(FINISHED) & (col(JobRow.updated_at) < jobs_cutoff)
    if cutoff is not None:  # a job unfinished for that long will never be: nobody waits for its reply
        old_job = old_job | (col(JobRow.updated_at) < cutoff)
    steps: list[tuple[str, Any, Any, Callable[[], ColumnElement[bool]]]] = [
        ("deliveries", DeliveryRow, DeliveryRow.key, lambda: col(DeliveryRow.created_at) < older(CLAIM_DAYS)),
        ("jobs", JobRow, JobRow.id, lambda: old_job),
    ]
    if cutoff is not None:
        steps += [
            ("turns", TurnRow, TurnRow.id, lambda: col(TurnRow.created_at) < cutoff),
            (
                "conversations",
                ConversationRow,
                ConversationRow.id,
                lambda: (
                    (col(ConversationRow.created_at) < cutoff)
                    & ~exists().where(col(TurnRow.conversation_id) == col(ConversationRow.id))
                ),
            ),
            ("threads", ThreadRow, ThreadRow.conversation_id, lambda: col(ThreadRow.created_at) < cutoff),
            ("digests", DigestRow, DigestRow.id, lambda: col(DigestRow.created_at) < cutoff),
            ("transcripts", TranscriptRow, TranscriptRow.video_key, lambda: col(TranscriptRow.created_at) < cutoff),
            ("videos", VideoRow, VideoRow.key, lambda: (col(VideoRow.created_at) < cutoff) & _unreferenced()),
        ]
    counts: Counts = {}
    for table, row, key, condition in steps:
        counts[table] = _delete_in_batches(store, row, key, condition(), batch)
        if counts[table] < 0:  # another process is sweeping: leave the rest to it
            counts[table] = 0
            return counts
    counts["queued jobs"] = _tidy_queue(store, jobs_cutoff, batch)
    return counts


def _unreferenced() -> ColumnElement[bool]:
    """A video no transcript, digest, conversation or thread refers to (their foreign keys would refuse)."""
    return (
        ~exists().where(col(TranscriptRow.video_key) == col(VideoRow.key))
        & ~exists().where(col(DigestRow.video_key) == col(VideoRow.key))
        & ~exists().where(col(ConversationRow.video_key) == col(VideoRow.key))
        & ~exists().where(col(ThreadRow.video_key) == col(VideoRow.key))
    )


def _delete_in_batches(store: Store, row: Any, key: Any, condition: ColumnElement[bool], batch: int) -> int:
    """Delete the rows of `row`'s table matching `condition`, `batch` at a time; -1 if another
    process holds the sweep."""
    total = 0
    for _ in range(MAX_BATCHES):
        try:
            with store.engine.begin() as c:
                if not _may_sweep(c):
                    return -1 if total == 0 else total
                chosen = select(col(key)).where(condition).limit(batch).scalar_subquery()
                # The condition again in the DELETE: a row changed since it was chosen is judged afresh.
                deleted = c.execute(delete(row).where(col(key).in_(chosen), condition)).rowcount
        except IntegrityError as exc:  # a row gained a reference meanwhile (a video posted again): next run
            log.info("retention left some %s for the next run: %s", row.__tablename__, type(exc).__name__)
            return total
        total += deleted
        if deleted < batch:
            break
    return total


def _may_sweep(c: Connection) -> bool:
    if c.dialect.name != "postgresql":
        return True  # SQLite's writers take turns
    return bool(c.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": TIDY_LOCK}).scalar())


def _tidy_queue(store: Store, cutoff: datetime, batch: int) -> int:
    """procrastinate's finished jobs (workers mode), which it keeps for ever unless told otherwise."""
    if not _has_queue(store):
        return 0
    total = 0
    for _ in range(MAX_BATCHES):
        with store.engine.begin() as c:
            if not _may_sweep(c):
                return total
            deleted = c.execute(
                text(
                    "DELETE FROM procrastinate_jobs WHERE id IN ("
                    " SELECT j.id FROM procrastinate_jobs j"
                    " WHERE j.status::text = ANY(:finished)"
                    " AND EXISTS (SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id)"  # its age is known
                    " AND NOT EXISTS (SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.at >= :cutoff)"
                    " LIMIT :batch)"
                ),
                {"finished": list(QUEUE_FINISHED), "cutoff": cutoff, "batch": batch},
            ).rowcount
        total += deleted
        if deleted < batch:
            break
    return total


def _has_queue(store: Store) -> bool:
    if store.engine.dialect.name != "postgresql":
        return False
    with store.engine.connect() as c:
        return c.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


async def keep_tidy(store: Store, settings: Settings, every_s: float = TIDY_EVERY_S) -> None:
    """Sweep now, then about every `every_s` seconds, until cancelled. A failed sweep (the database away
    for a moment) is logged and tried again next time."""
    while True:
        try:
            counts = await asyncio.to_thread(tidy, store, settings.retention_days)
            if gone := {table: n for table, n in counts.items() if n}:
                log.info("retention deleted %s", ", ".join(f"{n} {table}" for table, n in gone.items()))
        except Exception:
            log.warning("retention sweep failed; trying again later", exc_info=True)
        await asyncio.sleep(every_s * random.uniform(0.9, 1.1))  # replicas started together drift apart


# -- forgetting one video ------------------------------------------------------------------------


def forget(store: Store, key: str) -> tuple[Counts, int]:
    """Delete every row about video `key`: the video, its transcript and digests, the conversations
    and threads about it, the delivery claims and finished jobs naming it. Returns what went, by
    table, and how many unfinished jobs name it (they are left to finish, and will store it again)."""
    counts: Counts = {}
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.begin() as c:
        if sqlite:  # deleted content is overwritten in the file, not left in its free pages
            c.exec_driver_sql("PRAGMA secure_delete=ON")
        conversations = select(col(ConversationRow.id)).where(col(ConversationRow.video_key) == key)
        counts["turns"] = c.execute(delete(TurnRow).where(col(TurnRow.conversation_id).in_(conversations))).rowcount
        for table, row, column in [
            ("conversations", ConversationRow, ConversationRow.video_key),
            ("threads", ThreadRow, ThreadRow.video_key),
            ("digests", DigestRow, DigestRow.video_key),
            ("transcripts", TranscriptRow, TranscriptRow.video_key),
            ("videos", VideoRow, VideoRow.key),
        ]:
            counts[table] = c.execute(delete(row).where(col(column) == key)).rowcount
        # Claims end in the video's key: "video:<thread>:<key>", "msg:<platform>:<channel>:<message>:<key>".
        counts["deliveries"] = c.execute(
            delete(DeliveryRow).where(col(DeliveryRow.key).endswith(f":{key}", autoescape=True))
        ).rowcount
        naming = [
            (i, status)
            for i, payload, status in c.execute(select(col(JobRow.id), col(JobRow.payload_json), col(JobRow.status)))
            if _job_video(payload) == key
        ]
        done = [i for i, status in naming if status in FINISHED]
        counts["jobs"] = c.execute(delete(JobRow).where(col(JobRow.id).in_(done))).rowcount if done else 0
        if c.dialect.name == "postgresql" and c.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar():
            counts["queued jobs"] = c.execute(
                text("DELETE FROM procrastinate_jobs WHERE lock = :lock AND status::text = ANY(:finished)"),
                {"lock": f"video:{key}", "finished": list(QUEUE_FINISHED)},
            ).rowcount
        if sqlite:
            c.exec_driver_sql("PRAGMA secure_delete=OFF")
    if sqlite:  # and the write-ahead log that still holds the old pages is emptied
        with store.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts, len(naming) - len(done)


def _job_video(payload: str) -> str | None:
    try:
        url = json.loads(payload).get("url")
        return video_key(url) if isinstance(url, str) else None
    except (RecapError, ValueError, AttributeError):
        return None
