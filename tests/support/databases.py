"""Real databases for tests: a SQLite file per test, and a PostgreSQL database per test session.

PostgreSQL is the one on 127.0.0.1:5432 (trust auth) that the machine and CI run; set
RECAP_TEST_POSTGRES_URL to use another, or to "off" to skip those cases on a machine without one.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.store import Store

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url():
    admin_url = os.environ.get("RECAP_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    if admin_url == "off":
        pytest.skip("RECAP_TEST_POSTGRES_URL=off")
    name = f"recap_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'recap.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:  # every test starts from an empty database
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def store(database_url):
    s = Store.open(database_url)
    yield s
    s.engine.dispose()
