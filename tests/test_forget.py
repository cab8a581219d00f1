"""`recap forget URL`: one video's data deleted everywhere, on SQLite and PostgreSQL, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from adapters.cli.commands import main
from bot.chat import Place
from bot.chatstore import ChatStore
from bot.jobstore import JobStore
from bot.store import Store
from summarizer.links import video_key
from tests.support.recap import TALKS

THREAD = Place("slack", "T1", "C1", "1.0")
OTHER_THREAD = Place("slack", "T1", "C1", "2.0")


@pytest.fixture
def env(monkeypatch, database_url):
    monkeypatch.setenv("RECAP_DATABASE_URL", database_url)
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    return database_url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows_naming(store: Store, *needles: str) -> list[str]:
    """Every row of every table (recap's, alembic's, procrastinate's) with one of `needles` in it."""
    found = []
    with store.engine.connect() as c:
        for table in inspect(c).get_table_names():
            for row in c.execute(text(f'SELECT * FROM "{table}"')):
                line = " ".join(str(v) for v in row)
                if any(n in line for n in needles):
                    found.append(f"{table}: {line[:120]}")
    return found


def chat_about(store: Store, place: Place, url: str, status: str = "done", thread: bool = True) -> None:
    """What a chat leaves behind for a video: the thread, its delivery claims, the job that replied."""
    key = video_key(url)
    chats, jobs = ChatStore(store), JobStore(store)
    if thread:  # once the digest is posted
        chats.remember_thread(place, key, url)
    chats.claim(f"video:{place.conversation_id}:{key}")
    chats.claim(f"msg:slack:C1:{place.thread}:{key}")
    job = jobs.add("digest", "slack", "T1", {"place": {"platform": "slack"}, "url": url, "claims": []}, None, 0)
    jobs.update(job.id, status)


def test_forget_leaves_no_row_that_names_the_video(env, capsys, media_server):
    bees, lighthouses = media_server.url("site/bees.html"), media_server.url("site/lighthouses.html")
    for url in (bees, lighthouses):
        assert run(capsys, "summarize", url, "--json")[0] == 0
        assert run(capsys, "ask", url, "What is this talk about?", "--conversation", f"c-{url[-10:]}")[0] == 0
    store = Store.open(env)
    chat_about(store, THREAD, bees)
    chat_about(store, OTHER_THREAD, lighthouses)
    if store.engine.dialect.name == "postgresql":  # workers mode: procrastinate's record of the finished job
        from bot.workers import ensure_schema

        ensure_schema(store.engine)
        with store.engine.begin() as c:
            for url in (bees, lighthouses):
                c.execute(
                    text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, lock) VALUES ('slack', 'recap.run', :l)"
                    ),
                    {"l": f"video:{video_key(url)}"},
                )
            c.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
            c.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded'"))
    key, kept = video_key(bees), video_key(lighthouses)
    sentence = TALKS["bees"]["sentences"][5]["text"]
    assert rows_naming(store, key, sentence) and rows_naming(store, kept)

    code, out, err = run(capsys, "forget", bees.replace("bees.html", "bees.html?utm_source=chat"))  # another spelling

    assert code == 0, err
    assert out.startswith(f"Forgot {key} (The Secret Life of Honey Bees): deleted 1 video, 1 transcript, 1 digest, ")
    assert "1 conversation" in out and "1 question and answer" in out and "1 chat thread" in out
    assert "2 delivery records" in out and "1 finished job" in out
    assert rows_naming(store, key, bees, sentence) == []
    assert rows_naming(store, kept)  # the other video is all there
    assert store.transcript(kept) is not None and ChatStore(store).thread_video(OTHER_THREAD) == lighthouses
    assert len(store.turns(f"c-{lighthouses[-10:]}")) == 1

    code, out, _ = run(capsys, "forget", bees)
    assert code == 0 and out.strip() == f"recap keeps nothing about {key}."
    store.engine.dispose()


def test_forgotten_words_are_gone_from_the_sqlite_file(tmp_path, monkeypatch, capsys, media_server):
    """Not just unreachable: the file and its write-ahead log no longer hold the transcript's text."""
    db = tmp_path / "forget.sqlite3"
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    url = media_server.url("site/bees.html")
    assert run(capsys, "summarize", url)[0] == 0
    sentence = TALKS["bees"]["sentences"][5]["text"].encode()

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in [db, Path(f"{db}-wal")] if p.exists())

    assert sentence in on_disk()
    assert run(capsys, "forget", url)[0] == 0
    assert sentence not in on_disk()


def test_an_unfinished_job_is_left_to_finish_and_said(env, capsys):
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    store = Store.open(env)
    chat_about(store, THREAD, url, status="running", thread=False)
    code, out, err = run(capsys, "forget", "https://youtu.be/dQw4w9WgXcQ")
    assert code == 0
    assert out.startswith("Forgot youtube:dQw4w9WgXcQ: deleted 2 delivery records.")
    assert "1 unfinished job(s) about this video will store it again" in err
    with store.engine.connect() as c:
        assert c.execute(text("SELECT status FROM jobs")).scalars().all() == ["running"]
    store.engine.dispose()


@pytest.mark.parametrize(
    "target, words",
    [
        ("https://www.youtube.com/playlist?list=PL123", "playlist"),
        ("https://www.youtube.com/@somechannel", "channel"),
        ("hello there", "neither an http(s) link nor a media file"),
    ],
)
def test_not_a_video_link_is_exit_status_2(env, capsys, target, words):
    code, out, err = run(capsys, "forget", target)
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("recap: ") and words in err


def test_nothing_is_deleted_but_the_video(env, capsys, media_server):
    """Settings, installations' tables, usage and other videos' rows: all there after a forget."""
    url = media_server.url("site/bees.html")
    assert run(capsys, "summarize", url, "--json")[0] == 0
    store = Store.open(env)
    ChatStore(store).claim("event:slack:Ev1")  # a claim that names no video
    before = {t: _count(store, t) for t in inspect(store.engine).get_table_names()}
    assert run(capsys, "forget", "https://youtu.be/dQw4w9WgXcQ")[0] == 0  # a video never stored
    assert {t: _count(store, t) for t in before} == before
    store.engine.dispose()


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as c:
        return c.execute(select(text("count(*)")).select_from(text(f'"{table}"'))).scalar_one()
