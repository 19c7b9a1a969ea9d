"""Real Redis and PostgreSQL on this machine, each test run isolated from the next.

- ``pg_url``: a fresh database (``storyreel_test_<random>``) on ``STORYREEL_TEST_PG``
  (default ``postgresql://postgres@127.0.0.1:5432/postgres``), dropped at the end of the session.
- ``redis_url``: ``STORYREEL_TEST_REDIS`` (default ``redis://127.0.0.1:6379/13``) with a unique
  key namespace per test; its keys are deleted afterwards.

Either service missing: the tests that need it are skipped, saying which and why.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("STORYREEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("STORYREEL_TEST_REDIS", "redis://127.0.0.1:6379/13")


def _skip(what: str, error: BaseException) -> None:
    pytest.skip(f"{what} is not reachable ({type(error).__name__}: {error}); start it to run")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (extra: distributed)")
    name = f"storyreel_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        _skip(f"PostgreSQL at {PG_ADMIN_URL}", error)
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _redis_up() -> str:
    redis = pytest.importorskip("redis", reason="redis is not installed (extra: distributed)")
    client = redis.Redis.from_url(REDIS_BASE_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        _skip(f"Redis at {REDIS_BASE_URL}", error)
    finally:
        client.close()
    return REDIS_BASE_URL


@pytest.fixture
def redis_namespace(_redis_up: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    import redis

    namespace = f"storyreel-test-{secrets.token_hex(4)}"
    yield namespace
    client = redis.Redis.from_url(_redis_up)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_url(_redis_up: str) -> str:
    return _redis_up
