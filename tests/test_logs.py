"""The log an operator collects: timestamped, JSON on request, with ids; never a secret or a transcript."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import logs
from bot.settings import Settings
from tests.support.claude_script import respond
from tests.support.fake_anthropic import FakeAnthropic, forced_tool, tool_use
from tests.support.recap import TALKS

ROOT = Path(__file__).resolve().parents[1]
PLANTED = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-PlantedKey0123456789abcdefghijklmnopqrstuvwxyz-AAAA",
    "SLACK_BOT_TOKEN": "xoxb-1111111111-2222222222222-PlantedSlackBotToken0123",
    "SLACK_APP_TOKEN": "xapp-1-A0PLANTED-3333333333-plantedappleveltoken0123456789",
    "SLACK_SIGNING_SECRET": "planted-signing-secret-0123456789abcdef",
    "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GPlant.PlantedDiscordTokenPlantedDiscordTok",
    "RECAP_SECRET_KEY": Fernet.generate_key().decode(),
}


def claude(body: dict):
    """Digests as the scripted Claude writes them; answers quoting the line about the queen."""
    if forced_tool(body) == "answer_question":
        quote = "The queen can lay up to two thousand eggs in a single day."
        return tool_use(
            "answer_question",
            {"answer": "Two thousand a day.", "grounded": True, "citations": [{"start": "[0:32]", "quote": quote}]},
        )
    return respond(body)


def recap(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli.commands", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        timeout=180,
    )


def test_json_logs_of_real_commands_hold_no_secret_and_no_transcript(tmp_path, media_server):
    """`recap summarize` and `recap ask` at DEBUG with Claude (the SDK sends the whole transcript, and
    its debug log would print it), secrets planted in the environment: every log line is JSON, and
    nothing on stderr is a secret or a line of the talk."""
    url = media_server.url("site/bees.html")
    with FakeAnthropic(api_key=PLANTED["ANTHROPIC_API_KEY"], responder=claude) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAP_", "ANTHROPIC_", "SLACK_", "DISCORD_"))}
        env |= PLANTED | {
            "RECAP_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
            "RECAP_ALLOW_PRIVATE_NETWORKS": "true",
            "RECAP_ANTHROPIC_BASE_URL": fake.base_url,
            "RECAP_LOG_FORMAT": "json",
            "RECAP_LOG_LEVEL": "DEBUG",
        }
        runs = [
            recap(["summarize", url, "--json"], env, tmp_path),
            recap(["ask", url, "How many eggs can the queen lay?"], env, tmp_path),
        ]
        assert len(fake.requests) == 2  # Claude was asked, with the planted key, twice
    entries = []
    for done in runs:
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
        entries += [json.loads(line) for line in lines]  # every log line is one JSON object
        leaked = [name for name, value in PLANTED.items() if value in done.stderr]
        assert leaked == []
        spoken = [s["text"] for s in TALKS["bees"]["sentences"] if s["text"] in done.stderr]
        assert spoken == []
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) for e in entries)
    levels = {(e["level"], e["logger"].split(".")[0]) for e in entries}
    assert ("DEBUG", "summarizer") in levels  # recap's own debug lines are there (yt-dlp's progress)
    assert not any(e["level"] == "DEBUG" and e["logger"].startswith(("anthropic", "httpcore")) for e in entries)
    assert any(e["message"].startswith("transcript of") and "served from the store" in e["message"] for e in entries)


def record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("bot.jobs", logging.WARNING, __file__, 1, msg, args, None)
    if exc is not None:
        rec.exc_info = (type(exc), exc, exc.__traceback__)
    rec.__dict__.update(extra)
    return rec


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-1234567890123-abcdefABCDEF1234",
        "xoxp-1234-5678-abcdef",
        "xapp-1-A012345-1234567890-abcdef0123456789",
        "sk-ant-api03-abcdefghijklmnop_QRSTUV-wxyz",
        "MTA5ODc2NTQzMjEwOTg3NjU0.GAbCdE.abcdefghijklmnopqrstuvwxyz012345",
        "Bearer abcdefghijklmnopqrstuvwxyz.0123",
    ],
)
def test_tokens_are_redacted_wherever_they_appear(secret):
    redactor = logs.Redactor()
    try:
        raise RuntimeError(f"the API said no to {secret}")
    except RuntimeError as exc:
        rec = record("posting with %s failed", secret, exc=exc, workspace=f"T1 {secret}")
    assert redactor.filter(rec)
    line = logs.JsonFormatter().format(rec)
    assert secret not in line and secret.split()[-1] not in line
    entry = json.loads(line)
    assert entry["message"] == f"posting with {logs.REDACTED} failed"
    assert "RuntimeError: the API said no to [redacted]" in entry["exception"]


def test_the_settings_secrets_and_a_database_password_are_redacted():
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings(
        _env_file=None,
        secret_key=f"{key_a},{key_b}",
        slack_client_secret="0123456789abcdef0123456789abcdef",
        database_url="postgresql+psycopg://recap:hunter2hunter2@db:5432/recap",
    )
    redactor = logs.Redactor(logs.secrets_of(settings))
    text = redactor.redact(f"keys {key_b} {key_a}, client 0123456789abcdef0123456789abcdef, {settings.database_url}")
    assert text == "keys [redacted] [redacted], client [redacted], postgresql+psycopg://recap:[redacted]@db:5432/recap"


def test_ordinary_lines_are_left_alone():
    plain = (
        "digest job 12 of youtube:dQw4w9WgXcQ in slack:T024BE7LD: https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s "
        "bot.runner summarizer.fetcher.YtDlpFetcher 2025-01-31T12:00:00"
    )
    assert logs.Redactor().redact(plain) == plain


def test_the_libraries_debug_lines_are_dropped_and_ours_kept():
    only = logs.OwnDebugOnly()
    assert not only.filter(
        logging.LogRecord("anthropic._base_client", logging.DEBUG, "", 1, "Request options", (), None)
    )
    assert only.filter(logging.LogRecord("httpx", logging.INFO, "", 1, "HTTP Request", (), None))
    assert only.filter(logging.LogRecord("summarizer.fetcher", logging.DEBUG, "", 1, "yt-dlp", (), None))


def test_text_lines_are_timestamped_and_carry_the_ids(monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    stream = io.StringIO()
    handler = logs.configure("INFO", "text", stream=stream)
    try:
        logging.getLogger("bot.runner").info(
            "digest job %d done",
            7,
            extra=logs.job_fields(
                7, "digest", {"url": "https://youtu.be/dQw4w9WgXcQ", "place": {"workspace": "T1", "platform": "slack"}}
            ),
        )
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d INFO bot\.runner: digest job 7 done "
        r"job=7 kind=digest video=youtube:dQw4w9WgXcQ workspace=T1 platform=slack",
        line,
    ), line


def test_json_lines_carry_the_ids_as_fields(monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    stream = io.StringIO()
    handler = logs.configure("DEBUG", "json", stream=stream)
    try:
        logging.getLogger("bot.assistant").debug("event taken", extra={"event": "Ev01", "workspace": "T1"})
    finally:
        logging.getLogger().removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "Ev01" and entry["workspace"] == "T1" and entry["level"] == "DEBUG"
    assert entry["logger"] == "bot.assistant" and entry["message"] == "event taken"


def test_configuring_again_replaces_the_handler_it_set(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)
    before = [h for h in root.handlers if not getattr(h, "recap", False)]  # a main() of another test set one
    first = logs.configure("INFO")
    second = logs.configure("INFO", "json")
    try:
        assert first not in root.handlers and second in root.handlers
        assert [h for h in root.handlers if h is not second] == before
    finally:
        root.removeHandler(second)


async def test_a_chat_jobs_lines_name_the_job_event_video_and_workspace(tmp_path, media_server, monkeypatch):
    """The JSON log of a link pasted in a chat, through the real assistant and runner."""
    from adapters.links import slack_links
    from bot.app import build_assistant
    from bot.chat import Incoming, Place
    from summarizer.links import video_key
    from tests.support.memory_chat import MemoryChat

    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    stream = io.StringIO()
    handler = logs.configure("DEBUG", "json", stream=stream)
    try:
        assistant = build_assistant(
            Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}", allow_private_networks=True)
        )
        assistant.add_chat("memory", MemoryChat())
        url = media_server.url("site/bees.html")
        place = Place("memory", "W1", "C1")
        await assistant.on_message(
            Incoming(
                place=place, message_id="100.1", user="U1", text=url, links=tuple(slack_links(url)), event_id="Ev9"
            )
        )
        await assistant.runner.drain()
    finally:
        logging.getLogger().removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    about = {e["message"]: e for e in entries if e["logger"].startswith("bot.")}
    taken = about["message with 1 link(s), addressed to recap: False"]
    assert (taken["event"], taken["workspace"], taken["platform"]) == ("Ev9", "W1", "memory")
    job = {"job": 1, "kind": "digest", "video": video_key(url), "workspace": "W1", "platform": "memory"}
    for line in ("digest job 1 accepted", "digest job 1 started", "digest job 1 done"):
        assert {k: about[line].get(k) for k in job} == job, about[line]
    spoken = [s["text"] for s in TALKS["bees"]["sentences"] if s["text"] in stream.getvalue()]
    assert spoken == []
