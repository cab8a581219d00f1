"""Storage of videos, transcripts, digests and conversations, on SQLite or PostgreSQL.

Each save is one transaction: a crash mid-way leaves the store as it was, never half a video.
The schema is brought up to date (alembic) when the store opens.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, col, create_engine, select
from sqlmodel.sql.expression import SelectOfScalar

from summarizer.models import Answer, Chapter, Digest, Segment, Transcript, TranscriptSource, Turn, Video

from .tables import ConversationRow, DigestRow, TranscriptRow, TurnRow, VideoRow

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD = "0009"


def open_engine(url: str) -> Engine:
    database = url.removeprefix("sqlite:///").partition("?")[0] if url.startswith("sqlite:///") else ""
    if database and database != ":memory:":
        _private_file(Path(database).expanduser())
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_file(path: Path) -> None:
    """The database holds conversations and sealed tokens: readable by its owner only. SQLite gives its
    -wal and -shm files the database file's mode, so creating this one 0600 covers them too."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # a database from before: what every user could read, they no longer can
        if os.name == "posix":  # Windows has no mode bits to tighten
            for file in [path] + [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]:
                _not_for_others(file)


def _not_for_others(file: Path) -> None:
    try:
        mode = file.stat().st_mode
        if mode & 0o007:
            file.chmod(mode & 0o770)  # owner and group are the operator's choice
            log.warning("%s was open to every user of this machine; it no longer is", file)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("%s is open to every user of this machine: make it readable by its owner only", file)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the chat front end) never wait for a writer
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision, keeping every row.

    Several processes may start at once on one database (replicas, workers): a lock makes one of
    them upgrade while the others wait, then find the schema at HEAD."""
    with _sqlite_migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit; taken before the revision is read, so a waiter reads the new one.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if _revision(connection) == HEAD:
            return  # the common case: alembic costs a fifth of a second to import, so skip it
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# Any fixed number, the same in every process; "recap" in ASCII.
MIGRATION_LOCK = 0x7265636170


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """A file lock beside the database. SQLite's own locks cannot serve: a deferred transaction that
    read the old revision fails, rather than waits, when another process has upgraded meanwhile."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        yield  # in memory a database is one process's own; a file: URI is rare, and has no plain path
        return
    path = Path(database).expanduser()
    fd = os.open(path.with_name(path.name + ".migrate.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock_file(fd)
        yield
    finally:
        os.close(fd)  # closing it releases the lock


def _lock_file(fd: int) -> None:
    if sys.platform == "win32":  # no fcntl there
        import msvcrt

        while True:
            try:
                return msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # gives up after 10 seconds: try again
            except OSError:
                continue
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        engine = open_engine(url)
        migrate(engine)
        return cls(engine)

    def video(self, key: str) -> Video | None:
        with Session(self.engine) as s:
            row = s.get(VideoRow, key)
            return _video(row) if row else None

    def transcript(self, key: str) -> tuple[Video, Transcript] | None:
        with Session(self.engine) as s:
            row = s.get(TranscriptRow, key)
            if row is None:
                return None
            video = _video(s.get_one(VideoRow, key))  # the foreign key keeps it while the transcript is
            segments = [Segment(start=a, end=b, text=t) for a, b, t in json.loads(row.segments_json)]
            # The column is plain text; the model validates that it is one of the sources.
            source = cast(TranscriptSource, row.source)
            return video, Transcript(segments=segments, source=source, language=row.language)

    def save_transcript(self, video: Video, transcript: Transcript) -> None:
        # Segments as [start, end, text] triples: a third of the size of a list of objects.
        segments = json.dumps([[x.start, x.end, x.text] for x in transcript.segments], ensure_ascii=False)
        with Session(self.engine) as s, s.begin():
            s.merge(
                VideoRow(
                    key=video.key,
                    url=video.url,
                    title=video.title,
                    channel=video.channel,
                    duration_s=video.duration_s,
                    language=video.language,
                    chapters_json=_chapters_column(video.chapters),
                )
            )
            s.merge(
                TranscriptRow(
                    video_key=video.key, source=transcript.source, language=transcript.language, segments_json=segments
                )
            )

    def digest(self, key: str, writer: str, language: str | None = None) -> Digest | None:
        """The digest `writer` wrote of `key` in `language` (None: the video's own language)."""
        with Session(self.engine) as s:
            row = s.exec(_digest_row(key, writer, language)).first()
            return Digest.model_validate_json(row.digest_json) if row else None

    def save_digest(self, digest: Digest, language: str | None = None) -> None:
        """Keep `digest`, written in `language` as asked (None: the video's own language)."""
        with Session(self.engine) as s, s.begin():
            row = s.exec(_digest_row(digest.video.key, digest.writer, language)).first()
            row = row or DigestRow(
                video_key=digest.video.key, writer=digest.writer, language=_language_column(language), digest_json=""
            )
            row.digest_json = digest.model_dump_json()
            s.add(row)

    def turns(self, conversation_id: str) -> list[Turn]:
        with Session(self.engine) as s:
            rows = s.exec(select(TurnRow).where(TurnRow.conversation_id == conversation_id).order_by(col(TurnRow.id)))
            return [Turn(question=r.question, answer=Answer.model_validate_json(r.answer_json).answer) for r in rows]

    def add_turn(self, conversation_id: str, video_key: str, answer: Answer) -> None:
        with Session(self.engine) as s, s.begin():
            if s.get(ConversationRow, conversation_id) is None:
                s.add(ConversationRow(id=conversation_id, video_key=video_key))
                s.flush()
            s.add(
                TurnRow(conversation_id=conversation_id, question=answer.question, answer_json=answer.model_dump_json())
            )


def _language_column(language: str | None) -> str:
    # "" rather than NULL: NULLs never collide in a unique constraint. Tags are case-insensitive.
    return (language or "").lower()


def _digest_row(key: str, writer: str, language: str | None) -> SelectOfScalar[DigestRow]:
    return select(DigestRow).where(
        DigestRow.video_key == key, DigestRow.writer == writer, DigestRow.language == _language_column(language)
    )


def _video(row: VideoRow) -> Video:
    return Video(
        key=row.key,
        url=row.url,
        title=row.title,
        channel=row.channel,
        duration_s=row.duration_s,
        language=row.language,
        chapters=[Chapter(title=t, start_s=a, end_s=b) for t, a, b in json.loads(row.chapters_json or "[]")],
    )


def _chapters_column(chapters: list[Chapter]) -> str | None:
    return json.dumps([[c.title, c.start_s, c.end_s] for c in chapters], ensure_ascii=False) if chapters else None
