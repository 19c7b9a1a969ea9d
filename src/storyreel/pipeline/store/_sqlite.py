"""The embedded job store: one SQLite file in the data directory, shared safely by the processes
of one machine (WAL, a busy timeout, and short ``BEGIN IMMEDIATE`` write transactions).

sqlite3 blocks, so every call runs in a worker thread; one connection per store, used by one
thread at a time under a lock. The logic is :class:`~storyreel.pipeline.store._sql.SqlJobStore`'s.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random

from storyreel.pipeline.store._schema import SCHEMA_VERSION
from storyreel.pipeline.store._sql import SqlJobStore
from storyreel.pipeline.store._sql_base import Body, Clock, Db, Row

T = TypeVar("T")

# Several processes (CLI, service, workers) may write at once; each write is short, so waiting
# this long for the lock only happens when something is badly stuck.
BUSY_TIMEOUT_MS = 15_000


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _dict_row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


def _run_to_end(step: Coroutine[Any, Any, T]) -> T:
    """Run a body to its end here, in the worker thread. Its awaits are all :class:`_Connection`
    calls, which finish on the spot, so it never suspends: the first ``send`` completes it."""
    try:
        step.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    step.close()
    raise RuntimeError("a SQLite store body awaited something other than its connection")


class _Connection(Db):
    """sqlite3 behind the :class:`Db` interface (it reads ``?`` placeholders as written)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, args).rowcount

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, args).fetchone()
        return row

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, args).fetchall()


class SQLiteJobStore(SqlJobStore):
    """:class:`~storyreel.pipeline.store.JobStore` on one SQLite file.

    Opens (and migrates) lazily on first use; ``async with`` or :meth:`aclose` closes it.
    """

    def __init__(self, path: Path, *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock, where=str(path))
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteJobStore({str(self.path)!r})"

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    async def _read(self, body: Body[T]) -> T:
        return await asyncio.to_thread(self._call, body, False)

    async def _write(self, job_id: str, body: Body[T]) -> T:
        # The file has one write lock, whatever the job.
        return await asyncio.to_thread(self._call, body, True)

    def _call(self, body: Body[T], write: bool) -> T:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            if write:
                return self._transaction(self._conn, body)
            return _run_to_end(body(_Connection(self._conn)))

    @staticmethod
    def _transaction(conn: sqlite3.Connection, body: Body[T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = _run_to_end(body(_Connection(conn)))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE themselves so
        # they take the write lock up front (waiting under busy_timeout) instead of failing on
        # a read-to-write upgrade.
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            self._configure(conn)
            self._transaction(conn, self._migrate_file)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _configure(conn: sqlite3.Connection) -> None:
        conn.row_factory = _dict_row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Switching a new file to WAL needs an exclusive lock and ignores busy_timeout, so when
        # several processes create the store at once the losers wait and try again. (This runs
        # in a worker thread, where a blocking sleep is fine.)
        for attempt in Retrying(
            retry=retry_if_exception(_locked),
            stop=stop_after_delay(BUSY_TIMEOUT_MS / 1000),
            wait=wait_random(0.005, 0.05),
            reraise=True,
        ):
            with attempt:
                conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an intent must survive a power cut too, or a paid call could be sent twice.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")

    async def _migrate_file(self, db: Db) -> None:
        if await self._migrate(db):  # the file's header says the version too, for sqlite3 users
            await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
