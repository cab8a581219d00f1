"""Every knob recap has, read from the environment (prefix RECAP_) or a .env file, in one place.

Only the composition root (`bot.app`) reads these; everything below it receives plain values.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = Path(user_data_dir("recap", appauthor=False))
    return f"sqlite:///{folder / 'recap.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECAP_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    # Seals secrets kept in the database (the tokens of workspaces installed through OAuth): a Fernet
    # key, or several separated by commas while rotating (the first seals, all open).
    secret_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "RECAP_ANTHROPIC_API_KEY")
    )
    # auto: Claude when an API key is set, else the offline extractive writer. openai: a model the
    # team runs itself behind an OpenAI-compatible API (Ollama, vLLM, llama.cpp, LM Studio).
    writer: Literal["auto", "extractive", "claude", "openai"] = "auto"
    # When the model writer fails (outage, quota), write with the offline writer instead of failing. Off by
    # default: a silently different digest is a surprise nobody asked for.
    writer_fallback: Literal["none", "extractive"] = "none"
    claude_model: str = "claude-haiku-5-5"
    claude_max_tokens: int = 8000
    # Transcripts longer than this many tokens are summarised in chunks, then merged.
    claude_budget_tokens: int = 50_000
    # The most transcript tokens one digest sends Claude, over all its chunks, so that one link
    # cannot cost a fortune; past it the digest covers the first part of the video and says so.
    claude_max_transcript_tokens: int = Field(default=400_000, ge=1)
    claude_concurrency: int = 4
    claude_timeout_s: float = 120
    claude_max_retries: int = 4
    anthropic_base_url: str | None = None
    # RECAP_WRITER=openai: the server's OpenAI API (http://localhost:11434/v1 for Ollama) and the model
    # it serves. Self-hosted servers mostly need no key; a placeholder is sent where none is set.
    openai_base_url: str | None = None
    openai_model: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "RECAP_OPENAI_API_KEY")
    )
    openai_max_tokens: int = Field(default=4000, ge=1)
    # Local models have short contexts (Ollama's default is a few thousand tokens unless num_ctx is
    # raised): longer transcripts are noted in chunks of this many tokens, then merged.
    openai_budget_tokens: int = Field(default=8000, ge=100)
    openai_max_transcript_tokens: int = Field(default=400_000, ge=1)
    openai_concurrency: int = Field(default=2, ge=1)
    # Streamed replies: the timeout bounds silences only, the deadline the whole reply.
    openai_stream: bool = True
    openai_timeout_s: float = Field(default=300, gt=0)
    openai_deadline_s: float = Field(default=900, gt=0)
    openai_max_retries: int = Field(default=2, ge=0)
    # Language of digests and answers; unset: the video's own language.
    language: str | None = None
    # captions-only never downloads or transcribes audio (front ends of a scale-out deployment).
    transcriber: Literal["whisper", "captions-only"] = "whisper"
    whisper_model: str = "tiny.en"
    whisper_device: str = "auto"
    whisper_compute_type: str = "int8"
    whisper_threads: int = 0
    # Try to download a whisper model that is not in the local cache before falling back to tiny.en.
    whisper_download: bool = True
    # Voice-activity chunks whisper decodes at once; 0 or 1: one at a time, with faster-whisper's
    # sequential decoder. Unset: 8 (summarizer.transcriber.default_batch).
    whisper_batch: int | None = Field(default=None, ge=0, le=64)
    # Windows of audio transcribed at once, each on its share of RECAP_WHISPER_THREADS. Unset: two
    # on a CPU with two cores or more, one on a GPU (summarizer.transcriber.default_workers).
    whisper_workers: int | None = Field(default=None, ge=1, le=64)

    max_duration_minutes: float = 240
    max_filesize_mb: float = 1024
    cookies_file: Path | None = None
    proxy: str | None = None
    allow_private_networks: bool = False

    # embedded: chat front ends run their jobs themselves (SQLite or PostgreSQL). workers: front ends
    # only record and defer; `recap worker` processes run the jobs on procrastinate (PostgreSQL).
    jobs: Literal["embedded", "workers"] = "embedded"
    # Embedded mode: where a chat front end runs the core's blocking work. process: child processes
    # (its event loop stays free to acknowledge events in time); thread: in the front end itself.
    job_isolation: Literal["process", "thread"] = "process"
    # A worker whose heartbeat is older than this is taken for dead and its jobs go to others.
    stall_seconds: float = Field(default=30, gt=0)
    # On SIGTERM, running jobs get this long to finish; the rest are handed back, never lost.
    shutdown_grace_seconds: float = Field(default=30, ge=0)
    # Chat: jobs at once in this process, and the limits that keep one channel from taking all.
    job_concurrency: int = 2
    # This process's name among those sharing the database. Jobs are owned as "<instance>/<platform>":
    # keep it stable across restarts of one deployment so a restart takes its own jobs back at once.
    instance: str = Field(default_factory=socket.gethostname, min_length=1, max_length=200)
    # Links taken from one message or command; more is spam, and each costs a download.
    max_links_per_message: int = Field(default=3, ge=1, le=20)
    limit_per_user_per_hour: int = 10
    limit_per_channel_per_hour: int = 30
    digests_per_workspace_per_day: int = 200

    # Slack, named as Slack names them. A bot token for one workspace, or client id and secret for
    # installing into many (OAuth); the app-level token turns on Socket Mode.
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_client_id: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET"))
    slack_api_url: str | None = None

    # Discord: the bot token, one guild to sync commands to while developing, and where REST and
    # the gateway live (a rate-limit proxy, a gateway proxy, or a test's fake Discord).
    discord_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    discord_guild: int | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    # Read every message (a privileged intent, enabled in the developer portal). Without it recap
    # works through slash commands, the context menu, mentions and DMs.
    discord_message_content: bool = True

    # /healthz, /readyz and Prometheus /metrics of `recap discord`, `recap worker` and `recap slack` in
    # Socket Mode, on this port (0: not served). `recap slack --port N` (HTTP mode) serves them on N.
    health_port: int = Field(default=8080, ge=0, le=65535)

    # What goes to stderr: DEBUG, INFO, WARNING or ERROR (`--debug` on the command line wins).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"] = "WARNING"
    # text: timestamped lines; json: one JSON object a line (time, level, logger, message, and the
    # job, event, video and workspace it concerns), for a log collector.
    log_format: Literal["text", "json"] = "text"

    # Videos, transcripts, digests, threads and conversations older than this many days are deleted
    # (0: kept for ever). Delivery claims and finished jobs go after a few days whatever this says.
    retention_days: float = Field(default=90, ge=0)
