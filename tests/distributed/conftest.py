"""Real Redis and PostgreSQL on this machine, each test run isolated from the next.

- ``pg_url``: a fresh database (``storyreel_test_<random>``) on ``STORYREEL_TEST_PG``
  (default ``postgresql://postgres@127.0.0.1:5432/postgres``), dropped at the end of the session.
- ``redis_url``: ``STORYREEL_TEST_REDIS`` (default ``redis://127.0.0.1:6379/13``) with a unique
  key namespace per test; its keys are deleted afterwards.

Either service missing: the tests that need it are skipped, saying which and why.

On top of them, for tests of the whole installation:

- ``distributed_env``: the environment a test, its workers and its service share (broker,
  namespace, a freshly emptied PostgreSQL schema, the fake APIs, quick timings).
- ``start_workers``: ``start_workers(2, threads=1)`` starts ``storyreel worker`` processes with
  the environment of the moment; they are stopped (SIGTERM) at the end of the test.
- ``service_url``: the HTTP service (``create_app(Settings())``) under uvicorn on
  ``127.0.0.1:<free port>`` in a thread, lifespan on; yields its base URL.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyreel.api.app import create_app
from storyreel.config import Settings
from tests.api.helpers import LiveServer
from tests.distributed.helpers import StartWorkers
from tests.fakes.fake_minimax import FakeMiniMax
from tests.fakes.fake_openai import FakeOpenAI

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


@pytest.fixture
def distributed_env(
    pg_url: str,
    redis_url: str,
    redis_namespace: str,
    fake_minimax: FakeMiniMax,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Set (and return) the environment of the test, its workers and its service: one broker
    namespace, one emptied PostgreSQL database (the first to open it migrates it), one data
    directory, the fake APIs, and quick heartbeats, leases and polls."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS events, spend, steps, jobs, schema_version")
    for name, value in {
        "STORYREEL_BROKER_URL": redis_url,
        "STORYREEL_REDIS_NAMESPACE": redis_namespace,
        "STORYREEL_DATABASE_URL": pg_url,
        "STORYREEL_WORKER_HEARTBEAT_TIMEOUT": "3",
        "STORYREEL_WORKER_LEASE_SECONDS": "6",
        "MINIMAX_POLL_INTERVAL": "0.2",
    }.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


@pytest.fixture
def start_workers(tmp_path: Path) -> Iterator[StartWorkers]:
    """``start_workers(count, threads=3)``: ``storyreel worker`` processes with the environment
    as it is when called (request the fixtures that set it first). Each one's stderr goes to
    ``tmp_path/worker<n>.log``. All are stopped with SIGTERM (then killed) at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(count: int, *, threads: int = 3) -> list[subprocess.Popen[bytes]]:
        procs = []
        for _ in range(count):
            with (tmp_path / f"worker{len(started)}.log").open("wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "storyreel.cli", "worker", "--threads", str(threads)],
                    env=dict(os.environ),
                    stdout=subprocess.DEVNULL,
                    stderr=log,  # the child holds its own copy
                )
            started.append(proc)
            procs.append(proc)
        return procs

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def service_url() -> Iterator[str]:
    """The HTTP service, ``create_app(Settings())``, on a real local socket; its base URL.

    Settings are read from the environment when the fixture starts: name this fixture after
    the ones that set it (``distributed_env``, or your own), since pytest sets fixtures up in
    the order a test names them. Stopped (lifespan shutdown) at the end of the test."""
    server = LiveServer()
    try:
        server.start(create_app(Settings()))
        yield server.url
    finally:
        server.stop()
