"""Several processes starting at once on a new database (replicas, a worker beside a front end): one
creates the schema, the others wait for it and find it at HEAD; none fails."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.store import HEAD, Store

PROCESSES = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """A database nobody has opened yet: on PostgreSQL one of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_url").rsplit("/", 1)[0]
    name = f"recap_race_{uuid.uuid4().hex[:10]}"
    admin = create_engine(request.getfixturevalue("postgres_url"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{server}/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _open_at_once(url: str, barrier) -> None:
    barrier.wait()
    Store.open(url).engine.dispose()  # raises, so the process exits non-zero, if the migration fails


def test_processes_opening_a_new_database_at_once_all_succeed(fresh_url):
    ctx = multiprocessing.get_context("spawn")  # fork would copy this process's threads and connections
    barrier = ctx.Barrier(PROCESSES)
    processes = [ctx.Process(target=_open_at_once, args=(fresh_url, barrier)) for _ in range(PROCESSES)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    engine = create_engine(fresh_url)
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
        assert {"videos", "jobs", "usage"} <= set(inspect(c).get_table_names())
    engine.dispose()
