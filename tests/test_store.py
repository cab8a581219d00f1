"""The store on real SQLite and real PostgreSQL: round trips, one transaction per save, migrations."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.store import HEAD, MIGRATIONS, Store, migrate, open_engine
from summarizer.models import Answer, Chapter, Citation, Segment, Transcript, Video
from tests.support.values import sample_digest


def video(key: str = "youtube:dQw4w9WgXcQ") -> Video:
    return Video(
        key=key,
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        title="Talk",
        duration_s=90,
        language="en",
        channel="Chan",
    )


def transcript() -> Transcript:
    return Transcript(
        source="captions",
        language="en",
        segments=[
            Segment(start=0.0, end=2.5, text="Héllo “world”, 日本語 too."),
            Segment(start=2.5, end=5.0, text="Second line."),
        ],
    )


def save_old_transcript(engine, v: Video, t: Transcript) -> None:
    """What a recap of revision 0001-0008 wrote: its columns only, as today's models have more."""
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO videos (key, url, title, channel, duration_s, language, created_at) "
                "VALUES (:key, :url, :title, :channel, :duration_s, :language, CURRENT_TIMESTAMP)"
            ),
            v.model_dump(include={"key", "url", "title", "channel", "duration_s", "language"}),
        )
        c.execute(
            text(
                "INSERT INTO transcripts (video_key, source, language, segments_json, created_at) "
                "VALUES (:k, :source, :language, :segments, CURRENT_TIMESTAMP)"
            ),
            {
                "k": v.key,
                "source": t.source,
                "language": t.language,
                "segments": json.dumps([[x.start, x.end, x.text] for x in t.segments], ensure_ascii=False),
            },
        )


def test_transcript_round_trip_keeps_every_character(store: Store):
    store.save_transcript(video(), transcript())
    got_video, got = store.transcript("youtube:dQw4w9WgXcQ")
    assert got == transcript()
    assert got_video.title == "Talk" and got_video.channel == "Chan" and got_video.duration_s == 90
    assert store.transcript("youtube:other") is None


def test_a_videos_chapters_come_back_with_its_transcript(store: Store):
    """A second writer's digest of a stored transcript follows the same chapters as the first."""
    chapters = [Chapter(title="Début « ici »", start_s=0.0, end_s=2.5), Chapter(title="日本語", start_s=2.5, end_s=5.0)]
    store.save_transcript(video().model_copy(update={"chapters": chapters}), transcript())
    assert store.transcript("youtube:dQw4w9WgXcQ")[0].chapters == chapters
    assert store.video("youtube:dQw4w9WgXcQ").chapters == chapters
    store.save_transcript(video("youtube:aaaaaaaaaaa"), transcript())
    assert store.video("youtube:aaaaaaaaaaa").chapters == []


def test_saving_a_transcript_again_replaces_it(store: Store):
    store.save_transcript(video(), transcript())
    newer = Transcript(source="whisper", language="en", segments=[Segment(start=0, end=1, text="Only this.")])
    store.save_transcript(video(), newer)
    assert store.transcript("youtube:dQw4w9WgXcQ")[1] == newer


def test_digests_are_kept_per_writer(store: Store):
    store.save_transcript(video(), transcript())
    d = sample_digest(video())
    store.save_digest(d)
    store.save_digest(d.model_copy(update={"writer": "claude-haiku-4-5", "hook": "Another hook."}))
    assert store.digest(d.video.key, "extractive") == d
    assert store.digest(d.video.key, "claude-haiku-4-5").hook == "Another hook."
    assert store.digest(d.video.key, "nobody") is None
    store.save_digest(d.model_copy(update={"hook": "Rewritten."}))
    assert store.digest(d.video.key, "extractive").hook == "Rewritten."


def test_a_digest_is_served_only_in_the_language_it_was_written_in(store: Store):
    """A French digest is no answer to a channel set to English, nor to one reading each video's own."""
    store.save_transcript(video(), transcript())
    french = sample_digest(video(), writer="claude-x").model_copy(update={"hook": "Une accroche."})
    store.save_digest(french, "fr")
    assert store.digest(video().key, "claude-x", "fr") == french
    assert store.digest(video().key, "claude-x", "FR") == french  # language tags ignore case
    assert store.digest(video().key, "claude-x") is None
    assert store.digest(video().key, "claude-x", "en") is None

    own = sample_digest(video(), writer="claude-x")
    store.save_digest(own)
    store.save_digest(own.model_copy(update={"hook": "Again."}))  # the same key: replaced, not doubled
    assert store.digest(video().key, "claude-x").hook == "Again."
    assert store.digest(video().key, "claude-x", "fr") == french


def test_the_service_writes_anew_for_another_language(store: Store):
    from bot.service import RecapService
    from summarizer.extractive import ExtractiveWriter
    from summarizer.pipeline import Summarizer
    from tests.support.talk_fixtures import vtt_transcript

    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    store.save_transcript(video(), vtt_transcript())
    built: list[str | None] = []

    def service(language: str | None) -> RecapService:
        def build() -> Summarizer:
            built.append(language)
            return Summarizer(fetcher=None, transcriber=None, writer=ExtractiveWriter())

        return RecapService(store, "extractive", build, language=language)

    french = service("fr").digest(url)
    assert store.digest(video().key, "extractive", "fr") == french
    assert store.digest(video().key, "extractive") is None
    service(None).digest(url)
    service("en").digest(url)
    assert built == ["fr", None, "en"]  # neither was served the French digest
    assert service("fr").digest(url) == french and built == ["fr", None, "en"]
    assert service("fr").stored_digest(video().key) == french


def test_conversation_turns_in_order(store: Store):
    store.save_transcript(video(), transcript())
    for i in range(3):
        store.add_turn(
            "slack:T1:C1:123.456",
            video().key,
            Answer(
                question=f"q{i}",
                answer=f"a{i}",
                grounded=True,
                citations=[Citation(start_s=0, end_s=2.5, text="Héllo")],
            ),
        )
    assert [(t.question, t.answer) for t in store.turns("slack:T1:C1:123.456")] == [
        ("q0", "a0"),
        ("q1", "a1"),
        ("q2", "a2"),
    ]
    assert store.turns("other") == []


def test_a_failed_save_leaves_nothing_behind(store: Store):
    """A digest for a video that was never stored violates the foreign key: nothing is written."""
    with pytest.raises(IntegrityError):
        store.save_digest(sample_digest(video("youtube:AAAAAAAAAAA")))
    assert store.digest("youtube:AAAAAAAAAAA", "extractive") is None
    with pytest.raises(IntegrityError):
        store.add_turn("conv", "youtube:AAAAAAAAAAA", Answer(question="q", answer="a", grounded=False))
    assert store.turns("conv") == []


def test_migrate_twice_keeps_data(database_url: str):
    store = Store.open(database_url)
    store.save_transcript(video(), transcript())
    migrate(store.engine)
    again = Store.open(database_url)
    assert again.transcript(video().key)[1] == transcript()
    with again.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_head_constant_matches_the_migrations_and_models(database_url: str):
    """HEAD is what the fast start-up path compares with; the migrations must build the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlmodel import SQLModel

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
    engine = open_engine(database_url)
    migrate(engine)
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"videos", "transcripts", "digests", "conversations", "turns"} <= set(inspect(c).get_table_names())


def upgrade_to(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_digests_stored_before_languages_are_kept_as_the_videos_own(database_url: str):
    """Revision 0003 adds the language to the digests' key; the digests already stored were written in
    each video's own language and are served as such, and only as such."""
    engine = open_engine(database_url)
    upgrade_to(engine, "0002")
    save_old_transcript(engine, video(), transcript())
    old = sample_digest(video(), writer="claude-x")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO digests (video_key, writer, digest_json, created_at) "
                "VALUES (:key, 'claude-x', :json, CURRENT_TIMESTAMP)"
            ),
            {"key": video().key, "json": old.model_dump_json()},
        )

    store = Store.open(database_url)
    assert store.digest(video().key, "claude-x") == old
    assert store.digest(video().key, "claude-x", "fr") is None
    store.save_digest(old.model_copy(update={"hook": "Une accroche."}), "fr")
    assert store.digest(video().key, "claude-x").hook == old.hook
    with store.engine.begin() as c, pytest.raises(IntegrityError):  # the new key is unique, "" included
        c.execute(
            text(
                "INSERT INTO digests (video_key, writer, language, digest_json, created_at) "
                "VALUES (:key, 'claude-x', '', '{}', CURRENT_TIMESTAMP)"
            ),
            {"key": video().key},
        )


def test_an_older_database_is_upgraded_with_its_data(database_url: str):
    """A store created by the first release (revision 0001) gains the chat tables and keeps its rows."""
    from alembic import command
    from alembic.config import Config

    engine = open_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    save_old_transcript(engine, video(), transcript())
    with engine.connect() as c:
        assert "jobs" not in inspect(c).get_table_names()

    store = Store.open(database_url)
    assert store.transcript(video().key)[1] == transcript()
    with store.engine.connect() as c:
        assert {"jobs", "threads", "deliveries", "channel_settings"} <= set(inspect(c).get_table_names())
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    previous = os.umask(0o022)  # the usual umask, which leaves new files readable by everyone
    try:
        path = tmp_path / "new" / "recap.sqlite3"
        store = Store.open(f"sqlite:///{path}")
        store.save_transcript(video(), transcript())
        with store.engine.connect() as c:  # a reader keeps the -wal and -shm files in place
            c.execute(text("SELECT 1"))
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        store.engine.dispose()
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_existing_sqlite_database_is_no_longer_open_to_everyone(tmp_path):
    path = tmp_path / "old.sqlite3"
    Store.open(f"sqlite:///{path}").engine.dispose()
    path.chmod(0o644)
    Store.open(f"sqlite:///{path}").engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the group is the operator's choice


def test_unlisted_vimeo_videos_stored_under_their_public_key_are_forgotten(database_url: str):
    """Before 0005 vimeo.com/ID/HASH was stored as `vimeo:ID`: a plain link then served it to anyone."""
    from alembic import command
    from alembic.config import Config

    engine = open_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    unlisted = video().model_copy(update={"key": "vimeo:76979871", "url": "https://vimeo.com/76979871/8272103f6e"})
    public = video().model_copy(update={"key": "vimeo:1084537", "url": "https://vimeo.com/1084537"})
    for v in (unlisted, public):
        save_old_transcript(engine, v, transcript())

    store = Store.open(database_url)
    assert store.transcript("vimeo:76979871") is None
    assert store.transcript("vimeo:1084537") is not None  # a public video keeps its key and data


def test_the_migration_lock_beside_a_sqlite_database_is_its_owners_only(tmp_path):
    """Processes opening one SQLite file at once take turns to migrate through a lock file beside it."""
    Store.open(f"sqlite:///{tmp_path / 'recap.sqlite3'}").engine.dispose()
    lock = tmp_path / "recap.sqlite3.migrate.lock"
    assert lock.exists()
    if os.name == "posix":
        assert stat.S_IMODE(lock.stat().st_mode) & 0o077 == 0
