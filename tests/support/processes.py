"""recap as real processes for the tests that start it: its command line, environment and log, the
environments of its front ends against the fakes, and waits bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import WSMsgType, web

from tests.support import fake_discord as fd
from tests.support import fake_slack as fs

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-signing-secret"
START_S = 60  # imports and migrations of a fresh process, on a slow machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(check: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `check` until it is true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.05)


class Recap:
    """One `recap` process: its command line, environment and log (stderr, kept in a file)."""

    def __init__(self, tmp_path: Path, args: list[str], env: dict[str, str], name: str):
        self.args, self.env = args, {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.cwd = tmp_path  # no .env of the developer's is read from here
        self.log_path = tmp_path / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Recap:
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "adapters.cli.commands",
                *self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )  # a group of its own: the core's child processes go with it
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def signal(self, sig: int) -> None:
        """To recap alone, as Kubernetes and `docker stop` send SIGTERM to the container's first process."""
        assert self.proc is not None and self.running(), f"recap is not running:\n{self.log}"
        self.proc.send_signal(sig)

    def kill_all(self) -> None:
        """SIGKILL recap and the core's child processes, as when a container or machine goes away."""
        assert self.proc is not None and self.running(), f"recap is not running:\n{self.log}"
        os.killpg(self.proc.pid, signal.SIGKILL)

    async def exit_status(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"recap did not exit within {timeout}s:\n{self.log}") from None

    async def stop(self) -> None:
        """Whatever a test left running is killed, children too, never left behind."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()


def slack_env(
    slack: fs.FakeSlack, db: Path, instance: str = "test-host", grace: float = 120, isolation: str = "thread"
) -> dict[str, str]:
    return {
        "RECAP_JOB_ISOLATION": isolation,  # "process", the default, runs the core in child processes
        "SLACK_BOT_TOKEN": fs.BOT_TOKEN,
        "RECAP_SLACK_API_URL": slack.api_url,
        "RECAP_DATABASE_URL": f"sqlite:///{db}",
        "RECAP_ALLOW_PRIVATE_NETWORKS": "true",  # the media server is on 127.0.0.1
        # Jobs are owned as "<instance>/slack": a restart under the same name takes its own back at once.
        "RECAP_INSTANCE": instance,
        "RECAP_SHUTDOWN_GRACE_SECONDS": str(grace),
        "RECAP_LOG_LEVEL": "INFO",
    }


class SocketModeEnd:
    """Slack's side of Socket Mode, as much as these tests need: a websocket that says hello, sends
    event envelopes and records the acknowledgements."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: list[str] = []
        self.closed = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> SocketModeEnd:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/link/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": fs.APP_ID}})
        async for message in ws:
            if message.type == WSMsgType.TEXT and "envelope_id" in (data := json.loads(message.data)):
                self.acks.append(data["envelope_id"])
        self.closed += 1
        return ws

    async def send(self, payload: fs.Payload) -> str:
        envelope_id = str(uuid.uuid4())
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
                "accepts_response_payload": False,
                "payload": json.loads(payload[0]),
            }
        )
        return envelope_id


def discord_env(fake: fd.FakeDiscord, tmp_path: Path, grace: float = 120) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": fd.BOT_TOKEN,
        "RECAP_DISCORD_API_URL": fake.rest_url,
        "RECAP_DISCORD_GATEWAY_URL": fake.gateway_url,
        "RECAP_DISCORD_GUILD": str(fd.GUILD_ID),
        "RECAP_DATABASE_URL": f"sqlite:///{tmp_path / 'recap.sqlite3'}",
        "RECAP_ALLOW_PRIVATE_NETWORKS": "true",
        "RECAP_INSTANCE": "test-host",
        "RECAP_SHUTDOWN_GRACE_SECONDS": str(grace),
        "RECAP_LOG_LEVEL": "INFO",
    }


async def connected(fake: fd.FakeDiscord, recap: Recap, connections: int = 1) -> None:
    """Until the bot identified and registered its commands: set up, its jobs resumed."""
    await until(
        lambda: (
            (
                fake.connections >= connections
                and fake.identify
                and fake.requests_to("PUT", rf"/applications/\d+/guilds/{fd.GUILD_ID}/commands", ok=True)
            )
            or not recap.running()
        ),
        START_S,
        "recap discord to connect",
    )
    assert recap.running(), f"recap discord exited:\n{recap.log}"


@pytest.fixture
async def processes() -> AsyncIterator[list[Recap]]:
    """The recap processes a test starts; each is killed with its process group at the end."""
    started: list[Recap] = []
    yield started
    for recap in started:
        await recap.stop()
