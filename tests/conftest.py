from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mediaserver import MediaServer


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No RECAP_* or Anthropic variable and no .env file of the developer's leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("RECAP_", "ANTHROPIC_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)
    # In-process tests run the core in threads: a pool of child processes per test would cost seconds
    # and memory each. The tests of process isolation ask for it by name.
    monkeypatch.setenv("RECAP_JOB_ISOLATION", "thread")
    # Processes a test starts serve no health port unless the test asks: two on 8080 would collide.
    monkeypatch.setenv("RECAP_HEALTH_PORT", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def media_server_session() -> Iterator[MediaServer]:
    """One server for the whole run, serving tests/fixtures."""
    with MediaServer() as server:
        yield server


@pytest.fixture
def media_server(media_server_session: MediaServer) -> Iterator[MediaServer]:
    """The shared server, with no recorded requests and no extra routes at the start of a test."""
    media_server_session.reset()
    yield media_server_session
    media_server_session.reset()


from tests.support.databases import database_url, postgres_url, store  # noqa: E402,F401  (shared fixtures)
from tests.support.processes import processes  # noqa: E402,F401
