"""`recap` as a person runs it: exit codes, stdout/stderr, JSON against the schema."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli.commands import main
from tests.support.recap import FIXTURES, schema_validator


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("RECAP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("RECAP_ALLOW_PRIVATE_NETWORKS", "true")
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_summarize_json_is_a_valid_digest(env, capsys, media_server):
    code, out, err = run(capsys, "summarize", media_server.url("site/bees.html"), "--json")
    assert code == 0, err
    digest = json.loads(out)
    schema_validator("digest").validate(digest)
    assert digest["transcript"]["source"] == "captions" and digest["writer"] == "extractive"
    assert "Probing the link" in err and "Looking for captions" in err  # progress goes to stderr


def test_summarize_prints_a_readable_digest(env, capsys, media_server):
    code, out, err = run(capsys, "summarize", media_server.url("site/bees.html"))
    assert code == 0, err
    assert out.startswith("The Secret Life of Honey Bees")
    assert "Highlights" in out and "Key takeaways" in out and "min read" in out
    assert "saves you" not in out, "a 1:09 clip whose digest takes longer to read saves nothing"
    assert "[0:26]" in out or "[0:27]" in out  # the hive section, as [mm:ss]
    assert "transcript: captions" in out and "writer: extractive" in out


def test_ask_json_cites_the_moment(env, capsys, media_server):
    code, out, err = run(
        capsys, "ask", media_server.url("site/bees.html"), "How many eggs can the queen lay?", "--json"
    )
    assert code == 0, err
    answer = json.loads(out)
    schema_validator("answer").validate(answer)
    assert answer["grounded"] and "two thousand eggs" in answer["answer"]
    assert [round(c["start_s"], 1) for c in answer["citations"]] == [32.5]


def test_ask_about_something_the_video_does_not_cover(env, capsys, media_server):
    code, out, _ = run(capsys, "ask", media_server.url("site/bees.html"), "What is the capital of France?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["grounded"] is False and answer["citations"] == []
    assert "does not" in answer["answer"]


def test_a_conversation_keeps_earlier_turns(env, capsys, media_server):
    url = media_server.url("site/lighthouses.html")
    run(capsys, "ask", url, "What did the keeper do every night?", "--conversation", "c1", "--json")
    code, out, _ = run(capsys, "ask", url, "And what replaced them?", "--conversation", "c1", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["grounded"] and "timers" in answer["answer"]


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (["summarize", "hello there"], 2, "neither an http(s) link nor a media file"),
        (["summarize", "https://www.youtube.com/playlist?list=PL123"], 2, "playlist"),
        (["summarize", "{server}site/nomedia.html"], 2, "no video at that link"),
        (["summarize", "{server}site/missing.html"], 2, "404"),
        (["summarize", str(FIXTURES / "media" / "corrupt.opus")], 1, "could not be read"),
        (["summarize", str(FIXTURES / "media" / "silence.opus")], 1, "speech"),
        (["ask", "{server}site/bees.html", "  "], 2, "question is empty"),
    ],
)
def test_bad_input_gets_one_line_and_an_exit_status(env, capsys, media_server, argv, code, words):
    argv = [a.replace("{server}", media_server.url("")) for a in argv]
    got, out, err = run(capsys, *argv)
    assert got == code
    assert out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("recap: ") and words in last
    assert "Traceback" not in err


def test_private_address_refused_without_the_setting(env, capsys, media_server, monkeypatch):
    monkeypatch.delenv("RECAP_ALLOW_PRIVATE_NETWORKS")
    code, _, err = run(capsys, "summarize", media_server.url("site/bees.html"))
    assert code == 2 and "RECAP_ALLOW_PRIVATE_NETWORKS=true" in err
    assert media_server.paths() == []


def test_chat_answers_until_an_empty_line(env, capsys, media_server, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Who invented the modern hive?\n\nnever read\n"))
    code, out, err = run(capsys, "chat", media_server.url("site/bees.html"))
    assert code == 0, err
    assert "Key takeaways" in out and "Langstroth" in out.split("Ask about the video")[1]


def test_console_script_summarises_a_local_file_offline(tmp_path):
    """The installed `recap` command, in its own process, on the bundled sample with captions beside it."""
    media = FIXTURES / "media" / "bees.opus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECAP_")}
    env["RECAP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    recap = Path(sys.executable).with_name("recap")
    done = subprocess.run(
        [str(recap), "summarize", str(media), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    digest = json.loads(done.stdout)
    assert digest["transcript"]["source"] == "captions"  # bees.en.vtt lies beside the media
    assert digest["video"]["key"].startswith("file:")


def test_schema_copy_matches_the_contract():
    from tests.support.recap import SCHEMA_PATH, SHARED_SCHEMA

    if not SHARED_SCHEMA.exists():
        pytest.skip(f"no shared contract at {SHARED_SCHEMA} to compare with")
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(SHARED_SCHEMA.read_text())


def test_log_level_is_the_setting(env, capsys, caplog, monkeypatch, media_server):
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)  # main() sets the process's level; put it back after
    url = media_server.url("site/bees.html")
    assert run(capsys, "summarize", url, "--json")[0] == 0
    assert run(capsys, "summarize", url, "--json")[0] == 0
    assert "served from the store" not in caplog.text  # an INFO line, under the default WARNING

    monkeypatch.setenv("RECAP_LOG_LEVEL", "info")
    assert run(capsys, "summarize", url, "--json")[0] == 0
    assert "served from the store" in caplog.text

    monkeypatch.setenv("RECAP_LOG_LEVEL", "loud")
    code, out, err = run(capsys, "summarize", url)
    assert code == 2 and "log_level" in err and out == ""


def test_a_local_file_over_the_duration_limit_is_refused_before_transcribing(env, capsys, monkeypatch):
    monkeypatch.setenv("RECAP_MAX_DURATION_MINUTES", "0.5")
    code, out, err = run(capsys, "summarize", str(FIXTURES / "media" / "lighthouses.opus"))  # 1:10 long
    assert code == 2 and "RECAP_MAX_DURATION_MINUTES" in err and out == ""
    assert "Transcribing" not in err


def test_migrate_brings_the_database_up_to_date_and_refuses_workers_mode_on_sqlite(env, capsys, monkeypatch):
    from sqlalchemy import create_engine, text

    from bot.store import HEAD

    code, out, err = run(capsys, "migrate")
    assert code == 0 and HEAD in out, err
    with create_engine(f"sqlite:///{env / 'cli.sqlite3'}").connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    monkeypatch.setenv("RECAP_JOBS", "workers")
    code, out, err = run(capsys, "migrate")
    assert code == 1 and "needs PostgreSQL" in err
