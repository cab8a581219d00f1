"""Retention on real SQLite and PostgreSQL: rows dated in the past go, recent ones and everything else stay."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import col

from bot.chat import Place
from bot.chatstore import ChannelSettings, ChatStore
from bot.jobstore import JobStore
from bot.retention import keep_tidy, tidy
from bot.settings import Settings
from bot.store import Store
from bot.tables import (
    ConversationRow,
    DeliveryRow,
    DigestRow,
    JobRow,
    ThreadRow,
    TranscriptRow,
    TurnRow,
    VideoRow,
    now,
)
from summarizer.models import Answer, Segment, Transcript, Video
from tests.support.values import sample_digest

DAY = timedelta(days=1)
OLD = 100 * DAY  # past the default retention of 90 days


def video(key: str) -> Video:
    return Video(key=key, url=f"https://www.youtube.com/watch?v={key.split(':')[1]}", title=key, duration_s=60)


def a_video(store: Store, key: str) -> None:
    transcript = Transcript(source="captions", language="en", segments=[Segment(start=0, end=2, text="Words.")])
    store.save_transcript(video(key), transcript)
    store.save_digest(sample_digest(video(key)))


def backdate(store: Store, row, age: timedelta, *where) -> None:
    with store.engine.begin() as c:
        c.execute(update(row).where(*where).values(created_at=now() - age))


def keys(store: Store, column) -> set:
    with store.engine.connect() as c:
        return set(c.execute(select(column)).scalars())


def count(store: Store, row) -> int:
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(row)).scalar_one()


def place(thread: str) -> Place:
    return Place("slack", "T1", "C1", thread)


def test_content_older_than_the_retention_goes_and_the_rest_stays(store: Store):
    chats = ChatStore(store)
    # A video nobody has touched for 100 days: everything about it goes.
    a_video(store, "youtube:OLDOLDOLD01")
    chats.remember_thread(place("1.0"), "youtube:OLDOLDOLD01", "https://youtu.be/OLDOLDOLD01")
    store.add_turn(
        place("1.0").conversation_id, "youtube:OLDOLDOLD01", Answer(question="q", answer="a", grounded=False)
    )
    # A video fetched 100 days ago and posted again in a new thread today: its old transcript and
    # digest go, the video stays while the new thread refers to it.
    a_video(store, "youtube:AGAINAGAIN1")
    # A video of this week, with a conversation one of whose turns is old.
    a_video(store, "youtube:RECENTRECEN")
    store.add_turn("cli:c", "youtube:RECENTRECEN", Answer(question="old q", answer="a", grounded=False))
    for table in (VideoRow, TranscriptRow, DigestRow, ThreadRow, ConversationRow, TurnRow):
        backdate(store, table, OLD)
    backdate(store, VideoRow, 5 * DAY, col(VideoRow.key) == "youtube:RECENTRECEN")
    backdate(store, TranscriptRow, 5 * DAY, col(TranscriptRow.video_key) == "youtube:RECENTRECEN")
    backdate(store, DigestRow, 5 * DAY, col(DigestRow.video_key) == "youtube:RECENTRECEN")
    chats.remember_thread(place("2.0"), "youtube:AGAINAGAIN1", "https://youtu.be/AGAINAGAIN1")
    store.add_turn("cli:c", "youtube:RECENTRECEN", Answer(question="new q", answer="a", grounded=False))
    chats.save_settings(place("1.0"), ChannelSettings(auto_summarize=False))

    counts = tidy(store, 90)

    assert keys(store, VideoRow.key) == {"youtube:AGAINAGAIN1", "youtube:RECENTRECEN"}
    assert keys(store, TranscriptRow.video_key) == keys(store, DigestRow.video_key) == {"youtube:RECENTRECEN"}
    assert keys(store, ThreadRow.conversation_id) == {place("2.0").conversation_id}
    assert keys(store, ConversationRow.id) == {"cli:c"}
    assert [t.question for t in store.turns("cli:c")] == ["new q"]
    assert chats.settings(place("1.0")) == ChannelSettings(auto_summarize=False)  # not retention's to delete
    assert counts == {
        "deliveries": 0,
        "jobs": 0,
        "turns": 2,
        "conversations": 1,
        "threads": 1,
        "digests": 2,
        "transcripts": 2,
        "videos": 1,
        "queued jobs": 0,
    }
    assert tidy(store, 90) == dict.fromkeys(counts, 0)  # nothing more to do


def test_claims_and_finished_jobs_go_after_days_whatever_the_retention(store: Store):
    chats = ChatStore(store)
    for key, age in [
        ("event:slack:Ev1", 4 * DAY),
        ("video:slack:T1:C1:1.0:youtube:X", 10 * DAY),
        ("event:slack:Ev2", DAY),
    ]:
        chats.claim(key)
        backdate(store, DeliveryRow, age, col(DeliveryRow.key) == key)
    ages = {"done": [8, 2], "failed": [10], "pending": [8, 100], "running": [120]}
    for status, days in ages.items():
        for d in days:
            jobs = JobStore(store, clock=lambda d=d: now() - d * DAY)
            job = jobs.add("digest", "slack", "T1", {"url": "https://youtu.be/dQw4w9WgXcQ"}, None, 0)
            jobs.update(job.id, status)
    a_video(store, "youtube:OLDOLDOLD01")
    backdate(store, VideoRow, OLD)
    backdate(store, TranscriptRow, OLD)
    backdate(store, DigestRow, OLD)

    tidy(store, 0)  # content is kept for ever; bookkeeping is not

    assert keys(store, DeliveryRow.key) == {"event:slack:Ev2"}
    with store.engine.connect() as c:
        left = c.execute(select(JobRow.status, JobRow.updated_at).order_by(JobRow.updated_at.desc())).all()
    assert [status for status, _ in left] == ["done", "pending", "pending", "running"]  # unfinished jobs stay
    assert count(store, TranscriptRow) == count(store, DigestRow) == count(store, VideoRow) == 1

    tidy(store, 90)  # and with content retention, unfinished jobs older than it go too
    with store.engine.connect() as c:
        assert sorted(c.execute(select(JobRow.status)).scalars()) == ["done", "pending"]
    assert count(store, VideoRow) == 0


def test_a_short_retention_shortens_the_bookkeeping_too(store: Store):
    ChatStore(store).claim("event:slack:Ev1")
    backdate(store, DeliveryRow, 2 * DAY)
    tidy(store, 5)
    assert count(store, DeliveryRow) == 1
    tidy(store, 1)
    assert count(store, DeliveryRow) == 0


def test_deletes_go_in_batches_and_all_of_them_go(store: Store):
    chats = ChatStore(store)
    for i in range(7):
        chats.claim(f"event:slack:Ev{i}")
    a_video(store, "youtube:AAAAAAAAAAA")
    for i in range(5):
        store.add_turn("cli:c", "youtube:AAAAAAAAAAA", Answer(question=f"q{i}", answer="a", grounded=False))
    for table in (DeliveryRow, VideoRow, TranscriptRow, DigestRow, ConversationRow, TurnRow):
        backdate(store, table, OLD)
    counts = tidy(store, 90, batch=2)
    assert counts["deliveries"] == 7 and counts["turns"] == 5 and counts["videos"] == 1
    assert (
        sum(count(store, t) for t in (DeliveryRow, VideoRow, TranscriptRow, DigestRow, ConversationRow, TurnRow)) == 0
    )


def test_sweeps_running_at_once_do_not_fail(store: Store):
    """Several processes (here threads) sweep the same database: none fails, and what one leaves goes next time."""
    chats = ChatStore(store)
    for i in range(40):
        chats.claim(f"event:slack:Ev{i}")
    backdate(store, DeliveryRow, OLD)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            tidy(store, 90, batch=3)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a sweep raised
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tidy(store, 90)
    assert count(store, DeliveryRow) == 0


def test_procrastinates_finished_jobs_go_too(store: Store):
    from bot.workers import ensure_schema

    if store.engine.dialect.name != "postgresql":
        pytest.skip("workers mode, and procrastinate, are PostgreSQL only")
    ensure_schema(store.engine)
    jobs = {"old-done": "succeeded", "old-failed": "failed", "new-done": "succeeded", "old-todo": "todo"}
    with store.engine.begin() as c:  # as procrastinate does: deferred, then finished (its triggers log events)
        for lock in jobs:
            c.execute(
                text("INSERT INTO procrastinate_jobs (queue_name, task_name, lock) VALUES ('slack', 'recap.run', :l)"),
                {"l": lock},
            )
    with store.engine.begin() as c:
        for lock, status in jobs.items():
            c.execute(
                text("UPDATE procrastinate_jobs SET status = 'doing' WHERE lock = :l AND :s != 'todo'"),
                {"l": lock, "s": status},
            )
            c.execute(
                text("UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) WHERE lock = :l"),
                {"l": lock, "s": status},
            )
        c.execute(
            text(
                "UPDATE procrastinate_events SET at = now() - interval '8 days' WHERE job_id IN "
                "(SELECT id FROM procrastinate_jobs WHERE lock LIKE 'old-%')"
            )
        )
    assert tidy(store, 90)["queued jobs"] == 2
    with store.engine.connect() as c:
        assert sorted(c.execute(text("SELECT lock FROM procrastinate_jobs")).scalars()) == ["new-done", "old-todo"]


async def test_keep_tidy_sweeps_as_soon_as_it_starts_and_again_later(store: Store):
    import asyncio

    ChatStore(store).claim("event:slack:Ev1")
    backdate(store, DeliveryRow, OLD)
    task = asyncio.create_task(keep_tidy(store, Settings(_env_file=None, retention_days=90), every_s=0.05))
    try:
        for _ in range(200):
            if count(store, DeliveryRow) == 0:
                break
            await asyncio.sleep(0.02)
        assert count(store, DeliveryRow) == 0
        ChatStore(store).claim("event:slack:Ev2")
        backdate(store, DeliveryRow, OLD)
        for _ in range(200):
            if count(store, DeliveryRow) == 0:
                break
            await asyncio.sleep(0.02)
        assert count(store, DeliveryRow) == 0
    finally:
        task.cancel()


def test_a_worker_process_sweeps_on_its_own(store: Store, database_url):
    """`recap worker` runs the retention sweep as soon as it starts (workers mode is PostgreSQL only)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    if store.engine.dialect.name != "postgresql":
        pytest.skip("workers mode is PostgreSQL only")
    ChatStore(store).claim("event:slack:Ev1")
    backdate(store, DeliveryRow, OLD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "SLACK_", "DISCORD_", "ANTHROPIC_"))}
    env |= {"RECAP_DATABASE_URL": database_url, "RECAP_JOBS": "workers", "PYTHONPATH": str(Path(__file__).parents[1])}
    worker = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli.commands", "worker", "--queue", "transcribe"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while count(store, DeliveryRow) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert count(store, DeliveryRow) == 0, worker.stderr.read() if worker.poll() is not None else "still there"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, worker.stderr.read()
