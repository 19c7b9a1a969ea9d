"""The job store on PostgreSQL, for several processes on several machines (issue 7).

Same interface, schema and rules as :class:`~storyreel.pipeline.store.SQLiteJobStore`; what
differs is how writes are made safe together:

- SQLite serialises every write behind one file lock (``BEGIN IMMEDIATE``). Here each write
  transaction first takes a transaction-scoped advisory lock on its job, so writes to one job
  are serialised (read-check-write sequences such as ``begin_paid`` or the event counter cannot
  interleave) while different jobs proceed in parallel.
- The shared migrations say ``REAL`` and ``INTEGER``, which PostgreSQL reads as 4-byte types:
  a Unix time in ``real`` keeps about a minute of precision, which would break leases. They are
  read as ``DOUBLE PRECISION`` and ``BIGINT`` here.
- Migrations run under a global advisory lock, so workers starting at once migrate once.

psycopg 3 (async) with a small connection pool (psycopg_pool), opened lazily on first use in the
event loop that uses it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from storyreel.errors import ConfigError, JobError
from storyreel.pipeline.cost import from_micros, to_micros
from storyreel.pipeline.plan import Plan
from storyreel.pipeline.store._models import (
    JOB_STATUSES,
    Event,
    Intent,
    Job,
    JobStatus,
    Spend,
    Step,
    new_job_id,
    parse_step_key,
)
from storyreel.pipeline.store._schema import MIGRATIONS, SCHEMA_VERSION
from storyreel.pipeline.store._sqlite import _dumps, _job, _normal_dir, _step

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]

# Arbitrary constant naming the migration lock among the database's advisory locks.
_MIGRATION_LOCK = 0x5707_4EE1
POOL_MAX_SIZE = 8
# How long to wait for the database on first use (it may be starting with the workers).
OPEN_TIMEOUT = 15.0

_STEP_COLUMNS = """steps.*, (SELECT SUM(usd_micros)::BIGINT FROM spend
    WHERE spend.job_id = steps.job_id AND spend.step_key = steps.key) AS cost_actual_micros"""
_JOB_COLUMNS = """jobs.*, COALESCE((SELECT SUM(usd_micros)::BIGINT FROM spend
    WHERE spend.job_id = jobs.id), 0) AS spent_micros"""


def postgres_statement(statement: str) -> str:
    """A shared migration statement in PostgreSQL's types (8-byte floats and integers)."""
    statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
    return re.sub(r"\bINTEGER\b", "BIGINT", statement)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and reprs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _row(row: Mapping[str, Any]) -> Any:
    # The SQLite row readers only index by column name, which a dict row does too.
    return row


class PostgresJobStore:
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
        self.url = url
        self._clock = clock
        self._max_size = max_size
        self._open_timeout = open_timeout
        self._pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] | None = None

    def __repr__(self) -> str:
        return f"PostgresJobStore({redact_url(self.url)!r})"

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    # --- plumbing ---

    async def _open(self) -> AsyncConnectionPool[AsyncConnection[dict[str, Any]]]:
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
        pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self._max_size,
            open=False,
            connection_class=AsyncConnection[dict[str, Any]],
            kwargs={"row_factory": dict_row, "autocommit": True},
        )
        try:
            await pool.open(wait=True, timeout=self._open_timeout)
            async with pool.connection() as conn:
                await self._migrate(conn)
        except BaseException as error:
            await pool.close()
            if isinstance(error, Exception) and not isinstance(error, JobError):
                raise JobError(
                    f"cannot use the job store at {redact_url(self.url)}: {error}"
                ) from error
            raise
        if self._pool is not None:  # another task opened it meanwhile
            await pool.close()
            return self._pool
        self._pool = pool
        return pool

    async def _migrate(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
            )
            row = await (
                await conn.execute("SELECT MAX(version) AS v FROM schema_version")
            ).fetchone()
            current = int(row["v"] or 0) if row else 0
            if current > SCHEMA_VERSION:
                raise JobError(
                    f"the job store at {redact_url(self.url)} has schema version {current}, newer"
                    f" than this storyreel ({SCHEMA_VERSION}); upgrade storyreel"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    await conn.execute(postgres_statement(statement))
                await conn.execute("DELETE FROM schema_version")
                await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
                log.debug("migrated %s to schema version %d", self, version)

    async def _run(self, fn: Callable[[AsyncConnection[dict[str, Any]]], Awaitable[T]]) -> T:
        pool = await self._open()
        async with pool.connection() as conn:
            return await fn(conn)

    async def _write(
        self, job_id: str, fn: Callable[[AsyncConnection[dict[str, Any]]], Awaitable[T]]
    ) -> T:
        """One transaction holding the job's write lock (released at commit or rollback)."""

        async def transaction(conn: AsyncConnection[dict[str, Any]]) -> T:
            async with conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (job_id,)
                )
                return await fn(conn)

        return await self._run(transaction)

    @staticmethod
    async def _one(
        conn: AsyncConnection[dict[str, Any]], sql: str, args: tuple[Any, ...]
    ) -> dict[str, Any] | None:
        return await (await conn.execute(sql, args)).fetchone()

    @staticmethod
    async def _all(
        conn: AsyncConnection[dict[str, Any]], sql: str, args: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        return await (await conn.execute(sql, args)).fetchall()

    async def _require_job(self, conn: AsyncConnection[dict[str, Any]], job_id: str) -> None:
        if await self._one(conn, "SELECT 1 AS one FROM jobs WHERE id = %s", (job_id,)) is None:
            raise JobError(f"no job {job_id!r}")

    async def _fetch_step(
        self, conn: AsyncConnection[dict[str, Any]], job_id: str, key: str
    ) -> Step | None:
        row = await self._one(
            conn,
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = %s AND key = %s",
            (job_id, key),
        )
        return None if row is None else _step(_row(row))

    async def _require_step(
        self, conn: AsyncConnection[dict[str, Any]], job_id: str, key: str
    ) -> Step:
        step = await self._fetch_step(conn, job_id, key)
        if step is None:
            await self._require_job(conn, job_id)
            raise JobError(f"job {job_id}: step {key!r} was never started")
        return step

    async def _ensure_step(
        self, conn: AsyncConnection[dict[str, Any]], job_id: str, key: str
    ) -> None:
        kind, segment = parse_step_key(key)
        await self._require_job(conn, job_id)
        now = self._clock()
        await conn.execute(
            "INSERT INTO steps (job_id, key, kind, segment, state, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, 'pending', %s, %s) ON CONFLICT (job_id, key) DO NOTHING",
            (job_id, key, kind, segment, now, now),
        )

    @staticmethod
    def _check_attempt(step: Step, attempt: int | None) -> None:
        if attempt is not None and attempt != step.attempts:
            raise JobError(
                f"job {step.job_id}: step {step.key} attempt {attempt} was superseded by attempt "
                f"{step.attempts}"
            )

    async def _record_spend(
        self, conn: AsyncConnection[dict[str, Any]], step: Step, cost_usd: Decimal | None
    ) -> None:
        if cost_usd is None:
            return
        await conn.execute(
            "INSERT INTO spend (job_id, step_key, attempt, kind, segment, provider, usd_micros,"
            " recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (job_id, step_key, attempt)"
            " DO UPDATE SET usd_micros = excluded.usd_micros, recorded_at = excluded.recorded_at",
            (
                step.job_id,
                step.key,
                step.attempts,
                step.kind,
                step.segment,
                step.provider,
                to_micros(cost_usd),
                self._clock(),
            ),
        )

    # --- jobs ---

    async def create_job(
        self, story: str, options: Mapping[str, Any], output_dir: Path, *, job_id: str | None = None
    ) -> Job:
        new_id = job_id or new_job_id()
        options_json = _dumps(options)

        async def insert(conn: AsyncConnection[dict[str, Any]]) -> Job:
            now = self._clock()
            cursor = await conn.execute(
                "INSERT INTO jobs (id, status, story, options, output_dir, created_at,"
                " updated_at) VALUES (%s, 'queued', %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING",
                (new_id, story, options_json, _normal_dir(output_dir), now, now),
            )
            if cursor.rowcount == 0:
                raise JobError(f"job {new_id!r} already exists")
            return await self._get_job(conn, new_id)

        return await self._write(new_id, insert)

    async def _get_job(self, conn: AsyncConnection[dict[str, Any]], job_id: str) -> Job:
        row = await self._one(conn, f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,))
        if row is None:
            raise JobError(f"no job {job_id!r}")
        return _job(_row(row))

    async def get_job(self, job_id: str) -> Job:
        return await self._run(lambda conn: self._get_job(conn, job_id))

    async def find_job_by_output_dir(self, output_dir: Path) -> Job | None:
        async def find(conn: AsyncConnection[dict[str, Any]]) -> Job | None:
            row = await self._one(
                conn,
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE output_dir = %s"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (_normal_dir(output_dir),),
            )
            return None if row is None else _job(_row(row))

        return await self._run(find)

    async def list_jobs(self, *, status: JobStatus | None = None, limit: int = 100) -> list[Job]:
        async def select(conn: AsyncConnection[dict[str, Any]]) -> list[Job]:
            where, args = ("WHERE status = %s", (status,)) if status else ("", ())
            rows = await self._all(
                conn,
                f"SELECT {_JOB_COLUMNS} FROM jobs {where}"
                " ORDER BY created_at DESC, id DESC LIMIT %s",
                (*args, limit),
            )
            return [_job(_row(row)) for row in rows]

        return await self._run(select)

    async def _update_job(self, job_id: str, sets: Mapping[str, Any]) -> None:
        columns = ", ".join(f"{name} = %s" for name in sets)

        async def update(conn: AsyncConnection[dict[str, Any]]) -> None:
            cursor = await conn.execute(
                f"UPDATE jobs SET {columns}, updated_at = %s WHERE id = %s",
                (*sets.values(), self._clock(), job_id),
            )
            if cursor.rowcount == 0:
                raise JobError(f"no job {job_id!r}")

        await self._write(job_id, update)

    async def set_status(
        self,
        job_id: str,
        status: JobStatus,
        *,
        error: str | None = None,
        video_path: Path | None = None,
    ) -> None:
        if status not in JOB_STATUSES:
            raise JobError(f"unknown job status {status!r}")
        sets: dict[str, Any] = {"status": status, "error": error}
        if video_path is not None:
            sets["video_path"] = str(video_path)
        await self._update_job(job_id, sets)

    async def set_plan(self, job_id: str, plan: Plan | None) -> None:
        await self._update_job(job_id, {"plan": None if plan is None else plan.model_dump_json()})

    async def set_options(self, job_id: str, options: Mapping[str, Any]) -> None:
        await self._update_job(job_id, {"options": _dumps(options)})

    # --- steps ---

    async def get_step(self, job_id: str, key: str) -> Step | None:
        return await self._run(lambda conn: self._fetch_step(conn, job_id, key))

    async def list_steps(self, job_id: str) -> list[Step]:
        async def select(conn: AsyncConnection[dict[str, Any]]) -> list[Step]:
            await self._require_job(conn, job_id)
            rows = await self._all(
                conn,
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = %s ORDER BY kind, segment, key",
                (job_id,),
            )
            return [_step(_row(row)) for row in rows]

        return await self._run(select)

    @staticmethod
    def _refuse_double_payment(step: Step | None, inputs_hash: str) -> None:
        if step is None or step.inputs_hash != inputs_hash:
            return  # new inputs: whatever was paid before made something else
        if step.state == "submitted":
            raise JobError(
                f"job {step.job_id}: {step.key} was already submitted as {step.provider_ref!r};"
                " resume it instead of paying again"
            )
        if step.unknown_outcome:
            raise JobError(
                f"job {step.job_id}: {step.key} was sent but its outcome is unknown; pass"
                " repeat=True only once the user accepted paying again"
            )

    async def start_step(
        self, job_id: str, key: str, inputs_hash: str, *, provider: str | None = None
    ) -> Step:
        async def start(conn: AsyncConnection[dict[str, Any]]) -> Step:
            await self._ensure_step(conn, job_id, key)
            self._refuse_double_payment(await self._fetch_step(conn, job_id, key), inputs_hash)
            await conn.execute(
                "UPDATE steps SET state = 'running', inputs_hash = %s, provider = %s,"
                " provider_ref = NULL, artefact_path = NULL, artefact_sha256 = NULL,"
                " error = NULL, intent_at = NULL, submitted_at = NULL, finished_at = NULL,"
                " updated_at = %s WHERE job_id = %s AND key = %s",
                (inputs_hash, provider, self._clock(), job_id, key),
            )
            return await self._require_step(conn, job_id, key)

        return await self._write(job_id, start)

    async def begin_paid(
        self,
        job_id: str,
        key: str,
        inputs_hash: str,
        provider: str,
        *,
        estimate_usd: Decimal | None = None,
        repeat: bool = False,
    ) -> Intent:
        async def begin(conn: AsyncConnection[dict[str, Any]]) -> Intent:
            await self._ensure_step(conn, job_id, key)
            if not repeat:
                self._refuse_double_payment(await self._fetch_step(conn, job_id, key), inputs_hash)
            now = self._clock()
            await conn.execute(
                "UPDATE steps SET state = 'running', inputs_hash = %s, provider = %s,"
                " provider_ref = NULL, artefact_path = NULL, artefact_sha256 = NULL,"
                " error = NULL, attempts = attempts + 1, cost_estimate_micros = %s,"
                " intent_at = %s, submitted_at = NULL, finished_at = NULL, updated_at = %s"
                " WHERE job_id = %s AND key = %s",
                (
                    inputs_hash,
                    provider,
                    None if estimate_usd is None else to_micros(estimate_usd),
                    now,
                    now,
                    job_id,
                    key,
                ),
            )
            step = await self._require_step(conn, job_id, key)
            return Intent(job_id, key, inputs_hash, provider, step.attempts, now)

        return await self._write(job_id, begin)

    async def record_submitted(
        self, job_id: str, key: str, provider_ref: str, *, attempt: int | None = None
    ) -> None:
        async def submitted(conn: AsyncConnection[dict[str, Any]]) -> None:
            step = await self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            if step.state == "submitted" and step.provider_ref == provider_ref:
                return  # said twice: nothing changes
            if step.state != "running" or step.intent_at is None:
                raise JobError(
                    f"job {job_id}: {key} is {step.state}; record_submitted needs a begin_paid"
                )
            now = self._clock()
            await conn.execute(
                "UPDATE steps SET state = 'submitted', provider_ref = %s, submitted_at = %s,"
                " updated_at = %s WHERE job_id = %s AND key = %s",
                (provider_ref, now, now, job_id, key),
            )

        await self._write(job_id, submitted)

    async def complete(
        self,
        job_id: str,
        key: str,
        *,
        path: Path | None,
        sha256: str | None,
        cost_usd: Decimal | None = None,
        attempt: int | None = None,
    ) -> Step:
        async def done(conn: AsyncConnection[dict[str, Any]]) -> Step:
            step = await self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            if step.state == "done" and step.artefact_sha256 == sha256:
                await self._record_spend(conn, step, cost_usd)
                return await self._require_step(conn, job_id, key)
            if step.state not in ("running", "submitted"):
                raise JobError(
                    f"job {job_id}: {key} is {step.state}; only a started step completes"
                )
            now = self._clock()
            await conn.execute(
                "UPDATE steps SET state = 'done', artefact_path = %s, artefact_sha256 = %s,"
                " error = NULL, finished_at = %s, updated_at = %s"
                " WHERE job_id = %s AND key = %s",
                (None if path is None else str(path), sha256, now, now, job_id, key),
            )
            await self._record_spend(conn, step, cost_usd)
            return await self._require_step(conn, job_id, key)

        return await self._write(job_id, done)

    async def fail(
        self,
        job_id: str,
        key: str,
        error: str,
        *,
        cost_usd: Decimal | None = None,
        attempt: int | None = None,
    ) -> None:
        async def failed(conn: AsyncConnection[dict[str, Any]]) -> None:
            step = await self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            now = self._clock()
            await conn.execute(
                "UPDATE steps SET state = 'failed', error = %s, finished_at = %s,"
                " updated_at = %s WHERE job_id = %s AND key = %s",
                (error, now, now, job_id, key),
            )
            await self._record_spend(conn, step, cost_usd)

        await self._write(job_id, failed)

    # --- spend ---

    async def spend(self, job_id: str) -> Spend:
        async def select(conn: AsyncConnection[dict[str, Any]]) -> Spend:
            await self._require_job(conn, job_id)
            rows = await self._all(
                conn,
                "SELECT step_key, kind, segment, SUM(usd_micros)::BIGINT AS micros FROM spend"
                " WHERE job_id = %s GROUP BY step_key, kind, segment",
                (job_id,),
            )
            by_stage: dict[str, int] = {}
            by_segment: dict[int | None, int] = {}
            by_step: dict[str, int] = {}
            for row in rows:
                micros = int(row["micros"])
                by_step[row["step_key"]] = micros
                by_stage[row["kind"]] = by_stage.get(row["kind"], 0) + micros
                by_segment[row["segment"]] = by_segment.get(row["segment"], 0) + micros
            return Spend(
                total=from_micros(sum(by_step.values())),
                by_stage={k: from_micros(v) for k, v in by_stage.items()},
                by_segment={k: from_micros(v) for k, v in by_segment.items()},
                by_step={k: from_micros(v) for k, v in by_step.items()},
            )

        return await self._run(select)

    # --- several workers ---

    async def claim_step(self, job_id: str, key: str, worker_id: str, lease_seconds: float) -> bool:
        async def claim(conn: AsyncConnection[dict[str, Any]]) -> bool:
            await self._ensure_step(conn, job_id, key)
            now = self._clock()
            cursor = await conn.execute(
                "UPDATE steps SET lease_owner = %s, lease_until = %s, updated_at = %s"
                " WHERE job_id = %s AND key = %s"
                " AND (lease_owner IS NULL OR lease_owner = %s OR lease_until < %s)",
                (worker_id, now + lease_seconds, now, job_id, key, worker_id, now),
            )
            return cursor.rowcount == 1

        return await self._write(job_id, claim)

    async def release_step(self, job_id: str, key: str, worker_id: str) -> None:
        async def release(conn: AsyncConnection[dict[str, Any]]) -> None:
            await conn.execute(
                "UPDATE steps SET lease_owner = NULL, lease_until = NULL"
                " WHERE job_id = %s AND key = %s AND lease_owner = %s",
                (job_id, key, worker_id),
            )

        await self._write(job_id, release)

    # --- events ---

    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event:
        body = _dumps(payload)

        async def append(conn: AsyncConnection[dict[str, Any]]) -> Event:
            await self._require_job(conn, job_id)
            row = await self._one(
                conn,
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM events WHERE job_id = %s",
                (job_id,),
            )
            seq, now = int(cast(dict[str, Any], row)["seq"]), self._clock()
            await conn.execute(
                "INSERT INTO events (job_id, seq, type, payload, at) VALUES (%s, %s, %s, %s, %s)",
                (job_id, seq, type, body, now),
            )
            return Event(job_id, seq, type, json.loads(body), now)

        return await self._write(job_id, append)

    async def events(self, job_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        async def select(conn: AsyncConnection[dict[str, Any]]) -> list[Event]:
            rows = await self._all(
                conn,
                "SELECT * FROM events WHERE job_id = %s AND seq > %s ORDER BY seq LIMIT %s",
                (job_id, after, limit),
            )
            return [
                Event(r["job_id"], r["seq"], r["type"], json.loads(r["payload"]), r["at"])
                for r in rows
            ]

        return await self._run(select)
