"""The seam between the job store's SQL and a database, and what every SQL store shares.

A backend (``_sqlite``, ``_postgres``) only says how to reach its database: it runs a *body*
either as a read or inside a write transaction that no other write to the same job can
interleave with (so read-check-write sequences such as ``begin_paid`` or the event counter are
safe), and hands the body a :class:`Db`. A body awaits nothing but its ``Db``: SQLite runs it to
the end in one worker thread. Statements use ``?`` placeholders and portable syntax
(``ON CONFLICT``, ``CAST``); a backend translates what its driver needs.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from storyreel.errors import JobError
from storyreel.pipeline.store._schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
Row = dict[str, Any]


class Db(Protocol):
    """The connection a body is given: all the logic asks of a database."""

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None: ...

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...


Body = Callable[[Db], Coroutine[Any, Any, T]]


async def _nothing(db: Db) -> None:
    return None


class SqlBase(ABC):
    """Connecting, closing and migrating: what the store's query groups (jobs, steps, events)
    build on. Opens (and migrates) lazily on first use; ``async with`` or :meth:`aclose` closes
    it."""

    def __init__(self, *, clock: Clock, where: str) -> None:
        self._clock = clock
        self._where = where  # names the database in messages, without secrets

    async def __aenter__(self) -> Self:
        await self._read(_nothing)  # connect and migrate now rather than on first use
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- what a backend provides ---

    @abstractmethod
    async def aclose(self) -> None: ...

    @abstractmethod
    async def _read(self, body: Body[T]) -> T:
        """Run ``body`` outside any explicit transaction (each statement stands alone)."""

    @abstractmethod
    async def _write(self, job_id: str, body: Body[T]) -> T:
        """Run ``body`` in one transaction that other writes to ``job_id`` wait for."""

    def _ddl(self, statement: str) -> str:
        """A migration statement as this database needs it."""
        return statement

    # --- shared plumbing ---

    async def _migrate(self, db: Db) -> bool:
        """Bring the schema up to :data:`SCHEMA_VERSION`; True when it changed. The backend runs
        this in a transaction that keeps processes starting at once from migrating twice."""
        await db.execute(
            self._ddl("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        )
        row = await db.one("SELECT MAX(version) AS v FROM schema_version")
        current = int(row["v"] or 0) if row else 0
        if current > SCHEMA_VERSION:
            raise JobError(
                f"{self._where} has schema version {current}, newer than this storyreel "
                f"({SCHEMA_VERSION}); upgrade storyreel"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                await db.execute(self._ddl(statement))
            await db.execute("DELETE FROM schema_version")
            await db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            log.debug("migrated %s to schema version %d", self, version)
        return current < SCHEMA_VERSION
