"""The PostgreSQL job store passes the same assertions as the SQLite one, plus its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import ConfigError, JobError
from storyreel.pipeline.store import SCHEMA_VERSION, JobStore, open_store
from storyreel.pipeline.store._postgres import PostgresJobStore, postgres_statement, redact_url
from storyreel.pipeline.store._sql import SqlJobStore

# The shared behaviour, collected here again with the three backend fixtures below on PostgreSQL.
from tests.pipeline.test_store import Clock, NewStore, RawSql, TestStoreBehaviour, clock  # noqa: F401

pytestmark = pytest.mark.services


@pytest.fixture
def new_store(pg_url: str, clock: Clock) -> NewStore:  # noqa: F811
    return lambda: PostgresJobStore(pg_url, clock=clock)


@pytest.fixture
def raw_sql(pg_url: str) -> RawSql:
    import psycopg

    def run(statement: str) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(statement)

    return run


@pytest.fixture
async def store(new_store: NewStore, raw_sql: RawSql) -> AsyncIterator[SqlJobStore]:
    async with new_store() as opened:  # migrates the session's database if it is new
        # One database per session: each test starts from empty tables.
        raw_sql("TRUNCATE jobs, steps, spend, events")
        yield opened


async def test_open_store_picks_postgres_from_the_url(pg_url: str, tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path, database_url=pg_url))
    assert isinstance(store, PostgresJobStore) and isinstance(store, JobStore)
    await store.aclose()
    with pytest.raises(ConfigError):
        open_store(Settings(data_dir=tmp_path, database_url="mysql://x"))


async def test_schema_is_versioned_and_migrated_once(pg_url: str) -> None:
    import psycopg

    # Several processes' stores opening at once migrate once, under the advisory lock.
    stores = [PostgresJobStore(pg_url) for _ in range(4)]
    await asyncio.gather(*(s.list_jobs() for s in stores))
    for s in stores:
        await s.aclose()
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        rows = await (await conn.execute("SELECT version FROM schema_version")).fetchall()
        kinds = await (
            await conn.execute(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'steps' AND column_name = 'lease_until'"
            )
        ).fetchall()
    assert rows == [(SCHEMA_VERSION,)]
    assert kinds == [("double precision",)]  # not real: leases need sub-second times
    assert "DOUBLE PRECISION" in postgres_statement("at REAL NOT NULL")


async def test_concurrent_claims_and_events_have_one_winner(pg_url: str, tmp_path: Path) -> None:
    stores = [PostgresJobStore(pg_url) for _ in range(3)]
    try:
        job = await stores[0].create_job("s", {}, tmp_path)
        claims = await asyncio.gather(
            *(
                s.claim_step(job.id, f"video:{i}", f"w{n}", 60)
                for i in range(20)
                for n, s in enumerate(stores)
            )
        )
        assert sum(claims) == 20  # each step exactly one owner
        events = await asyncio.gather(
            *(s.append_event(job.id, "x", {"n": n}) for n, s in enumerate(stores * 10))
        )
        assert sorted(e.seq for e in events) == list(range(1, 31))
        with pytest.raises(JobError, match="already exists"):
            await stores[1].create_job("s", {}, tmp_path, job_id=job.id)
    finally:
        for s in stores:
            await s.aclose()


def test_the_password_never_shows() -> None:
    url = "postgresql://app:s3cret@db.internal:5432/storyreel"
    assert "s3cret" not in redact_url(url)
    assert "s3cret" not in repr(PostgresJobStore(url))


async def test_an_unreachable_database_is_one_clear_error() -> None:
    store = PostgresJobStore("postgresql://nobody:pw@127.0.0.1:1/none", open_timeout=0.5)
    with pytest.raises(JobError, match="cannot use the job store") as caught:
        await store.list_jobs()
    assert "pw" not in str(caught.value).replace("postgresql://nobody:***", "")
