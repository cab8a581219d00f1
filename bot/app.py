"""The composition root: the one place that turns settings into concrete implementations."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from summarizer.errors import NotConfigured
from summarizer.extractive import ExtractiveWriter
from summarizer.pipeline import Summarizer
from summarizer.transcriber import CaptionsOnlyTranscriber, Transcriber, WhisperTranscriber
from summarizer.writer import Writer

from .service import RecapService
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from summarizer.fetcher import YtDlpFetcher
    from summarizer.netguard import AddressPolicy

    from .assistant import Assistant
    from .chat import Chat
    from .chatstore import ChatStore
    from .services import Services
    from .workers import Worker

    ChatLogins = list[Callable[[], Awaitable[None]]]
    from .installations import Installations, OAuthStates
    from .secretbox import SecretBox


def build_assistant(settings: Settings, service: RecapService | None = None) -> Assistant:
    """The chat-neutral bot; adapters add their `Chat` to it."""
    # Imported here: the command line's summarize/ask never pay for the chat machinery.
    from .assistant import Assistant
    from .chatstore import ChatStore
    from .core import Core, ProcessCore, ThreadCore
    from .jobstore import JobStore
    from .limits import Limits, LimitSettings
    from .retention import keep_tidy
    from .runner import InProcessRunner, Runner

    service = service or build_service(settings)
    store = ChatStore(service.store)
    limits = Limits(
        LimitSettings(
            per_user_per_hour=settings.limit_per_user_per_hour,
            per_channel_per_hour=settings.limit_per_channel_per_hour,
            digests_per_workspace_per_day=settings.digests_per_workspace_per_day,
        ),
        store,
    )

    runner: Runner
    if settings.jobs == "workers":  # this process only records and defers; `recap worker`s run the jobs
        from .workers import QueueRunner, ensure_schema, queue_app

        ensure_schema(service.store.engine)
        runner = QueueRunner(JobStore(service.store), queue_app(settings.database_url))
    else:
        runner = InProcessRunner(JobStore(service.store), settings.instance, settings.job_concurrency)
    services = build_services(settings, service, store)
    core: Core = ThreadCore(services)
    if settings.jobs == "embedded" and settings.job_isolation == "process":
        core = ProcessCore(settings, store, settings.job_concurrency)  # the front end's loop stays free for acks
    # Workers sweep old data themselves; embedded front ends do it for their database.
    housekeeping = None if settings.jobs == "workers" else (lambda: keep_tidy(service.store, settings))
    return Assistant(
        services, store, runner, limits, core, max_links=settings.max_links_per_message, housekeeping=housekeeping
    )


def build_services(settings: Settings, service: RecapService, store: ChatStore) -> Services:
    """The default service and the channels' variants of it, wherever jobs run (front end, child, worker)."""
    from .services import Services

    return Services(service, store, partial(build_variant, settings, service))


def build_variant(settings: Settings, service: RecapService, writer: str | None, language: str | None) -> RecapService:
    """Another writer or language for a channel: the same fetcher and whisper model."""
    chosen = settings.model_copy(
        update={"writer": writer or settings.writer, "language": language or settings.language}
    )
    w = build_writer(chosen)
    return RecapService(service.store, w.name, lambda: service.summarizer.with_writer(w), language=chosen.language)


def build_secret_box(settings: Settings) -> SecretBox:
    """Multi-workspace installs keep each workspace's bot token in the database: never without a key."""
    from .secretbox import HOW_TO_MAKE_ONE, SETTING, SecretBox

    if settings.secret_key is None:
        raise NotConfigured(
            f"Slack OAuth (SLACK_CLIENT_ID) keeps each workspace's bot token in the database, "
            f"encrypted: set {SETTING} to a Fernet key; make one with: {HOW_TO_MAKE_ONE}"
        )
    return SecretBox(settings.secret_key.get_secret_value())


def build_installations(assistant: Assistant, box: SecretBox) -> tuple[Installations, OAuthStates]:
    """Sealed installations and OAuth states, in the same database (and engine) as everything else."""
    from .installations import Installations, OAuthStates, warn_of_plaintext_tables

    store = assistant.service.store
    warn_of_plaintext_tables(store)
    return Installations(store, box), OAuthStates(store)


def build_service(settings: Settings, transcribe_here: bool = True) -> RecapService:
    writer = build_writer(settings)
    return RecapService(
        Store.open(settings.database_url),
        writer.name,
        lambda: build_summarizer(settings, writer, transcribe_here),
        language=settings.language,
    )


def build_summarizer(settings: Settings, writer: Writer, transcribe_here: bool = True) -> Summarizer:
    return Summarizer(
        fetcher=build_fetcher(settings),
        transcriber=build_transcriber(settings),
        writer=writer,
        transcribe_here=transcribe_here,
    )


def build_worker(settings: Settings, queues: list[str] | None) -> tuple[Worker, list[str], ChatLogins]:
    """A `recap worker`: the platforms with credentials here, plus transcription unless `queues`
    names what to take (`--queue transcribe` on a GPU machine)."""
    from .chatstore import ChatStore
    from .core import ThreadCore
    from .jobs import JobHandlers
    from .jobstore import JobStore
    from .workers import TRANSCRIBE_QUEUE, Worker, conninfo, ensure_schema, queue_app

    conninfo(settings.database_url)  # PostgreSQL, or a clear refusal before anything starts
    chats, logins = build_rest_chats(settings)
    queues = queues or [*chats, TRANSCRIBE_QUEUE]
    if unserved := [q for q in queues if q not in chats and q != TRANSCRIBE_QUEUE]:
        raise NotConfigured(
            f"this worker has no credentials for {', '.join(unserved)}: set its token "
            "(SLACK_BOT_TOKEN, DISCORD_TOKEN) or leave that queue to other workers"
        )
    here = TRANSCRIBE_QUEUE in queues
    service = build_service(settings, transcribe_here=here)
    ensure_schema(service.store.engine)
    store, jobs = ChatStore(service.store), JobStore(service.store)
    services = build_services(settings, service, store)
    handlers = JobHandlers(chats, store, jobs, ThreadCore(services))
    worker = Worker(handlers, jobs, queue_app(settings.database_url), transcribes=here)
    return worker, queues, logins


def build_rest_chats(settings: Settings) -> tuple[dict[str, Chat], ChatLogins]:
    """Chats that post through the platforms' REST APIs alone (no Socket Mode, no gateway), for
    workers; and what must run in the event loop before they can post."""
    chats: dict[str, Chat] = {}
    logins: ChatLogins = []
    if settings.slack_bot_token:
        from adapters.slack.chat import token_chat

        chats["slack"] = token_chat(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    elif settings.slack_client_id and settings.slack_client_secret:  # installed through OAuth: each workspace's token
        from adapters.slack.tokens import installed_chat

        from .installations import Installations
        from .store import Store, open_engine

        installations = Installations(Store(open_engine(settings.database_url)), build_secret_box(settings))
        secret = settings.slack_client_secret.get_secret_value()
        chats["slack"] = installed_chat(installations, settings.slack_client_id, secret, settings.slack_api_url)
    if settings.discord_token:
        from adapters.discord.rest import rest_chat

        chat, login = rest_chat(settings.discord_token.get_secret_value(), settings.discord_api_url)
        chats["discord"], logins = chat, [*logins, login]
    return chats, logins


def build_fetcher(settings: Settings) -> YtDlpFetcher:
    from summarizer.fetcher import FetchSettings, YtDlpFetcher  # yt-dlp is slow to import; see RecapService

    return YtDlpFetcher(
        FetchSettings(
            max_duration_s=settings.max_duration_minutes * 60,
            max_filesize_mb=settings.max_filesize_mb,
            cookies_file=settings.cookies_file,
            proxy=settings.proxy,
            policy=address_policy(settings),
        )
    )


def address_policy(settings: Settings) -> AddressPolicy:
    from summarizer.netguard import AddressPolicy

    return AddressPolicy(allow_private=settings.allow_private_networks)


def build_transcriber(settings: Settings) -> Transcriber:
    if settings.transcriber == "captions-only":
        return CaptionsOnlyTranscriber()
    return WhisperTranscriber(
        model=settings.whisper_model,
        device=settings.whisper_device,
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        download=settings.whisper_download,
        batch=settings.whisper_batch,
        workers=settings.whisper_workers,
    )


def build_writer(settings: Settings) -> Writer:
    key = settings.anthropic_api_key
    if settings.writer == "extractive" or (settings.writer == "auto" and not key):
        return ExtractiveWriter()
    if settings.writer == "openai":
        return build_openai_writer(settings)
    if not key:
        raise NotConfigured("RECAP_WRITER=claude needs ANTHROPIC_API_KEY.")
    import anthropic

    from summarizer.claude import ClaudeWriter
    from summarizer.fallback import FallbackWriter

    client = anthropic.Anthropic(
        api_key=key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        timeout=settings.claude_timeout_s,
        max_retries=settings.claude_max_retries,
    )
    claude = ClaudeWriter(
        client,
        model=settings.claude_model,
        max_tokens=settings.claude_max_tokens,
        budget_tokens=settings.claude_budget_tokens,
        concurrency=settings.claude_concurrency,
        language=settings.language,
        max_transcript_tokens=settings.claude_max_transcript_tokens,
    )
    return FallbackWriter(claude, ExtractiveWriter()) if settings.writer_fallback == "extractive" else claude


def build_openai_writer(settings: Settings) -> Writer:
    """A self-hosted model behind an OpenAI-compatible API (Ollama, vLLM, llama.cpp, LM Studio)."""
    missing = [
        name
        for name, value in (
            ("RECAP_OPENAI_BASE_URL", settings.openai_base_url),
            ("RECAP_OPENAI_MODEL", settings.openai_model),
        )
        if not value
    ]
    if missing:
        raise NotConfigured(
            f"RECAP_WRITER=openai needs {' and '.join(missing)}: the server's OpenAI API "
            "(e.g. http://localhost:11434/v1 for Ollama) and the model it serves."
        )
    import openai

    from summarizer.fallback import FallbackWriter
    from summarizer.openai_writer import OpenAIWriter

    key = settings.openai_api_key
    client = openai.OpenAI(
        # The SDK insists on a key; servers that need none ignore this one.
        api_key=key.get_secret_value() if key else "unused",
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
    )
    writer = OpenAIWriter(
        client,
        model=str(settings.openai_model),
        max_tokens=settings.openai_max_tokens,
        budget_tokens=settings.openai_budget_tokens,
        concurrency=settings.openai_concurrency,
        language=settings.language,
        max_transcript_tokens=settings.openai_max_transcript_tokens,
        stream=settings.openai_stream,
        timeout_s=settings.openai_timeout_s,
        deadline_s=settings.openai_deadline_s,
    )
    return FallbackWriter(writer, ExtractiveWriter()) if settings.writer_fallback == "extractive" else writer
