"""The job store on PostgreSQL, for several processes on several machines (issue 7).

The logic is :class:`~storyreel.pipeline.store._sql.SqlJobStore`'s, as for SQLite; what differs
is how writes are made safe together:

- SQLite serialises every write behind one file lock (``BEGIN IMMEDIATE``). Here each write
  transaction first takes a transaction-scoped advisory lock on its job, so writes to one job
  are serialised (read-check-write sequences such as ``begin_paid`` or the event counter cannot
  interleave) while different jobs proceed in parallel.
- The shared migrations say ``REAL`` and ``INTEGER``, which PostgreSQL reads as 4-byte types:
  a Unix time in ``real`` keeps about a minute of precision, which would break leases. They are
  read as ``DOUBLE PRECISION`` and ``BIGINT`` here.
- Migrations run under a global advisory lock, so workers starting at once migrate once.

psycopg 3 (async) with a small connection pool (psycopg_pool), opened lazily on first use in the
event loop that uses it. psycopg is optional (extra ``distributed``): it is imported on first use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from storyreel.errors import ConfigError, JobError, ServiceUnavailableError
from storyreel.pipeline.store._sql import SqlJobStore
from storyreel.pipeline.store._sql_base import Body, Clock, Db, Row

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")


@contextmanager
def _reachable() -> Iterator[None]:
    """The store's boundary: a database that cannot be reached just now (a restart, a network
    blip, a full pool) is storyreel's transient error; workers deliver the unit again later."""
    try:
        yield
    except Exception as exc:
        import psycopg
        import psycopg_pool

        if isinstance(exc, psycopg.OperationalError | psycopg_pool.PoolTimeout):
            raise ServiceUnavailableError(
                f"PostgreSQL cannot be reached now ({type(exc).__name__})"
            ) from exc
        raise


# Arbitrary constant naming the migration lock among the database's advisory locks.
_MIGRATION_LOCK = 0x5707_4EE1
POOL_MAX_SIZE = 8
# How long to wait for the database on first use (it may be starting with the workers).
OPEN_TIMEOUT = 15.0


def postgres_statement(statement: str) -> str:
    """A shared migration statement in PostgreSQL's types (8-byte floats and integers)."""
    statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
    return re.sub(r"\bINTEGER\b", "BIGINT", statement)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and reprs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class _Connection(Db):
    """psycopg behind the :class:`Db` interface. The shared SQL's ``?`` placeholders become
    psycopg's ``%s`` (that SQL has no ``?`` or ``%`` of its own)."""

    def __init__(self, conn: AsyncConnection[Row]) -> None:
        self._conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return (await self._conn.execute(sql.replace("?", "%s"), args)).rowcount

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        return await (await self._conn.execute(sql.replace("?", "%s"), args)).fetchone()

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return await (await self._conn.execute(sql.replace("?", "%s"), args)).fetchall()


class PostgresJobStore(SqlJobStore):
    """:class:`~storyreel.pipeline.store.JobStore` on a PostgreSQL database.

    ``url`` is a libpq URL (``postgresql://user@host:5432/db``; a ``?options=-csearch_path%3DX``
    parameter puts the tables in schema X). Opens (and migrates) lazily on first use; ``async
    with`` or :meth:`aclose` closes it.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Clock = time.time,
        max_size: int = POOL_MAX_SIZE,
        open_timeout: float = OPEN_TIMEOUT,
    ) -> None:
        super().__init__(clock=clock, where=f"the job store at {redact_url(url)}")
        self.url = url
        self._max_size = max_size
        self._open_timeout = open_timeout
        self._pool: AsyncConnectionPool[AsyncConnection[Row]] | None = None

    def __repr__(self) -> str:
        return f"PostgresJobStore({redact_url(self.url)!r})"

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _read(self, body: Body[T]) -> T:
        with _reachable():
            pool = await self._open()
            async with pool.connection() as conn:
                return await body(_Connection(conn))

    async def _write(self, job_id: str, body: Body[T]) -> T:
        with _reachable():
            pool = await self._open()
            async with pool.connection() as conn, conn.transaction():
                # The job's write lock, released at commit or rollback.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (job_id,)
                )
                return await body(_Connection(conn))

    def _ddl(self, statement: str) -> str:
        return postgres_statement(statement)

    async def _open(self) -> AsyncConnectionPool[AsyncConnection[Row]]:
        if self._pool is not None:
            return self._pool
        try:
            from psycopg import AsyncConnection
            from psycopg.rows import dict_row
            from psycopg_pool import AsyncConnectionPool
        except ImportError:
            raise ConfigError(
                "a postgresql:// STORYREEL_DATABASE_URL needs the psycopg driver",
                field="STORYREEL_DATABASE_URL",
                fix="pip install 'storyreel[distributed]'",
            ) from None
        pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self._max_size,
            open=False,
            connection_class=AsyncConnection[Row],
            kwargs={"row_factory": dict_row, "autocommit": True},
        )
        try:
            await pool.open(wait=True, timeout=self._open_timeout)
            async with pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                await self._migrate(_Connection(conn))
        except BaseException as error:
            await pool.close()
            if isinstance(error, Exception) and not isinstance(error, JobError):
                raise JobError(f"cannot use {self._where}: {error}") from error
            raise
        if self._pool is not None:  # another task opened it meanwhile
            await pool.close()
            return self._pool
        self._pool = pool
        return pool
