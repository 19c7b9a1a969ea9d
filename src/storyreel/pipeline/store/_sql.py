"""The job store's logic, written once in SQL that SQLite and PostgreSQL both read.

:class:`SqlJobStore` holds every :class:`~storyreel.pipeline.store.JobStore` method. A backend
(``_sqlite``, ``_postgres``) only says how to reach its database: it runs a *body* either as a
read or inside a write transaction that no other write to the same job can interleave with
(so read-check-write sequences such as ``begin_paid`` or the event counter are safe), and
hands the body a :class:`Db`. A body awaits nothing but its ``Db``: SQLite runs it to the end
in one worker thread. Statements here use ``?`` placeholders and portable syntax
(``ON CONFLICT``, ``CAST``); a backend translates what its driver needs.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from storyreel.errors import JobError
from storyreel.pipeline.cost import from_micros, to_micros
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
from storyreel.plan import Plan

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

# The SUM casts: PostgreSQL sums BIGINTs into NUMERIC (a Decimal); micro-dollars are integers.
_STEP_COLUMNS = """steps.*, (SELECT CAST(SUM(usd_micros) AS BIGINT) FROM spend
    WHERE spend.job_id = steps.job_id AND spend.step_key = steps.key) AS cost_actual_micros"""
_JOB_COLUMNS = """jobs.*, COALESCE((SELECT CAST(SUM(usd_micros) AS BIGINT) FROM spend
    WHERE spend.job_id = jobs.id), 0) AS spent_micros"""
# What begin_paid and start_step both clear: the outcome of the step's previous attempt.
_RESTART = (
    "state = 'running', inputs_hash = ?, provider = ?, provider_ref = NULL, artefact_path = NULL,"
    " artefact_sha256 = NULL, error = NULL, submitted_at = NULL, finished_at = NULL"
)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, default=_json_default)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def _usd(micros: int | None) -> Decimal | None:
    return None if micros is None else from_micros(micros)


def _normal_dir(path: Path) -> str:
    return str(path.expanduser().resolve())


def _job(row: Row) -> Job:
    return Job(
        id=row["id"],
        status=row["status"],
        story=row["story"],
        options=json.loads(row["options"]),
        output_dir=Path(row["output_dir"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        plan=None if row["plan"] is None else Plan.model_validate_json(row["plan"]),
        error=row["error"],
        video_path=_path(row["video_path"]),
        spent_usd=from_micros(row["spent_micros"]),
    )


def _step(row: Row) -> Step:
    return Step(
        job_id=row["job_id"],
        key=row["key"],
        kind=row["kind"],
        segment=row["segment"],
        state=row["state"],
        inputs_hash=row["inputs_hash"],
        provider=row["provider"],
        provider_ref=row["provider_ref"],
        artefact_path=_path(row["artefact_path"]),
        artefact_sha256=row["artefact_sha256"],
        attempts=row["attempts"],
        error=row["error"],
        cost_estimate_usd=_usd(row["cost_estimate_micros"]),
        cost_actual_usd=_usd(row["cost_actual_micros"]),
        intent_at=row["intent_at"],
        submitted_at=row["submitted_at"],
        finished_at=row["finished_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
    )


def _event(row: Row) -> Event:
    return Event(row["job_id"], row["seq"], row["type"], json.loads(row["payload"]), row["at"])


async def _require_job(db: Db, job_id: str) -> None:
    if await db.one("SELECT 1 AS one FROM jobs WHERE id = ?", (job_id,)) is None:
        raise JobError(f"no job {job_id!r}")


async def _get_job(db: Db, job_id: str) -> Job:
    row = await db.one(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    if row is None:
        raise JobError(f"no job {job_id!r}")
    return _job(row)


async def _fetch_step(db: Db, job_id: str, key: str) -> Step | None:
    row = await db.one(
        f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = ? AND key = ?", (job_id, key)
    )
    return None if row is None else _step(row)


async def _require_step(db: Db, job_id: str, key: str) -> Step:
    step = await _fetch_step(db, job_id, key)
    if step is None:
        await _require_job(db, job_id)
        raise JobError(f"job {job_id}: step {key!r} was never started")
    return step


async def _nothing(db: Db) -> None:
    return None


def _check_attempt(step: Step, attempt: int | None) -> None:
    if attempt is not None and attempt != step.attempts:
        raise JobError(
            f"job {step.job_id}: step {step.key} attempt {attempt} was superseded by attempt "
            f"{step.attempts}"
        )


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


class SqlJobStore(ABC):
    """:class:`~storyreel.pipeline.store.JobStore` on a SQL database; subclasses connect.

    Opens (and migrates) lazily on first use; ``async with`` or :meth:`aclose` closes it.
    """

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

    async def _ensure_step(self, db: Db, job_id: str, key: str) -> None:
        kind, segment = parse_step_key(key)
        await _require_job(db, job_id)
        now = self._clock()
        await db.execute(
            "INSERT INTO steps (job_id, key, kind, segment, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (job_id, key) DO NOTHING",
            (job_id, key, kind, segment, now, now),
        )

    async def _record_spend(self, db: Db, step: Step, cost_usd: Decimal | None) -> None:
        if cost_usd is None:
            return
        await db.execute(
            "INSERT INTO spend (job_id, step_key, attempt, kind, segment, provider, usd_micros,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
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

        async def insert(db: Db) -> Job:
            now = self._clock()
            inserted = await db.execute(
                "INSERT INTO jobs (id, status, story, options, output_dir, created_at,"
                " updated_at) VALUES (?, 'queued', ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (new_id, story, options_json, _normal_dir(output_dir), now, now),
            )
            if not inserted:
                raise JobError(f"job {new_id!r} already exists")
            return await _get_job(db, new_id)

        return await self._write(new_id, insert)

    async def get_job(self, job_id: str) -> Job:
        return await self._read(lambda db: _get_job(db, job_id))

    async def find_job_by_output_dir(self, output_dir: Path) -> Job | None:
        async def find(db: Db) -> Job | None:
            row = await db.one(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE output_dir = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (_normal_dir(output_dir),),
            )
            return None if row is None else _job(row)

        return await self._read(find)

    async def list_jobs(
        self, *, status: JobStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Job]:
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())

        async def select(db: Db) -> list[Job]:
            rows = await db.all(
                f"SELECT {_JOB_COLUMNS} FROM jobs {where}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            )
            return [_job(row) for row in rows]

        return await self._read(select)

    async def _update_job(
        self, job_id: str, sets: Mapping[str, Any], *, unless: Collection[JobStatus] = ()
    ) -> bool:
        columns = ", ".join(f"{name} = ?" for name in sets)
        guard = f" AND status NOT IN ({', '.join('?' for _ in unless)})" if unless else ""

        async def update(db: Db) -> bool:
            updated = await db.execute(
                f"UPDATE jobs SET {columns}, updated_at = ? WHERE id = ?{guard}",
                (*sets.values(), self._clock(), job_id, *unless),
            )
            if not updated:
                await _require_job(db, job_id)  # no such job, or its status is in ``unless``
            return bool(updated)

        return await self._write(job_id, update)

    async def set_status(
        self,
        job_id: str,
        status: JobStatus,
        *,
        error: str | None = None,
        video_path: Path | None = None,
        unless: Collection[JobStatus] = (),
    ) -> bool:
        if status not in JOB_STATUSES:
            raise JobError(f"unknown job status {status!r}")
        sets: dict[str, Any] = {"status": status, "error": error}
        if video_path is not None:
            sets["video_path"] = str(video_path)
        return await self._update_job(job_id, sets, unless=unless)

    async def set_plan(self, job_id: str, plan: Plan | None) -> None:
        await self._update_job(job_id, {"plan": None if plan is None else plan.model_dump_json()})

    async def set_options(self, job_id: str, options: Mapping[str, Any]) -> None:
        await self._update_job(job_id, {"options": _dumps(options)})

    # --- steps ---

    async def get_step(self, job_id: str, key: str) -> Step | None:
        return await self._read(lambda db: _fetch_step(db, job_id, key))

    async def list_steps(self, job_id: str) -> list[Step]:
        async def select(db: Db) -> list[Step]:
            await _require_job(db, job_id)
            rows = await db.all(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = ? ORDER BY kind, segment, key",
                (job_id,),
            )
            return [_step(row) for row in rows]

        return await self._read(select)

    async def start_step(
        self, job_id: str, key: str, inputs_hash: str, *, provider: str | None = None
    ) -> Step:
        async def start(db: Db) -> Step:
            await self._ensure_step(db, job_id, key)
            _refuse_double_payment(await _fetch_step(db, job_id, key), inputs_hash)
            await db.execute(
                f"UPDATE steps SET {_RESTART}, intent_at = NULL, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (inputs_hash, provider, self._clock(), job_id, key),
            )
            return await _require_step(db, job_id, key)

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
        estimate = None if estimate_usd is None else to_micros(estimate_usd)

        async def begin(db: Db) -> Intent:
            await self._ensure_step(db, job_id, key)
            if not repeat:
                _refuse_double_payment(await _fetch_step(db, job_id, key), inputs_hash)
            now = self._clock()
            await db.execute(
                f"UPDATE steps SET {_RESTART}, attempts = attempts + 1, cost_estimate_micros = ?,"
                " intent_at = ?, updated_at = ? WHERE job_id = ? AND key = ?",
                (inputs_hash, provider, estimate, now, now, job_id, key),
            )
            step = await _require_step(db, job_id, key)
            return Intent(job_id, key, inputs_hash, provider, step.attempts, now)

        return await self._write(job_id, begin)

    async def record_submitted(
        self, job_id: str, key: str, provider_ref: str, *, attempt: int | None = None
    ) -> None:
        async def submitted(db: Db) -> None:
            step = await _require_step(db, job_id, key)
            _check_attempt(step, attempt)
            if step.state == "submitted" and step.provider_ref == provider_ref:
                return  # said twice: nothing changes
            if step.state != "running" or step.intent_at is None:
                raise JobError(
                    f"job {job_id}: {key} is {step.state}; record_submitted needs a begin_paid"
                )
            now = self._clock()
            await db.execute(
                "UPDATE steps SET state = 'submitted', provider_ref = ?, submitted_at = ?,"
                " updated_at = ? WHERE job_id = ? AND key = ?",
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
        async def done(db: Db) -> Step:
            step = await _require_step(db, job_id, key)
            _check_attempt(step, attempt)
            if not (step.state == "done" and step.artefact_sha256 == sha256):  # else: said twice
                if step.state not in ("running", "submitted"):
                    raise JobError(
                        f"job {job_id}: {key} is {step.state}; only a started step completes"
                    )
                now = self._clock()
                await db.execute(
                    "UPDATE steps SET state = 'done', artefact_path = ?, artefact_sha256 = ?,"
                    " error = NULL, finished_at = ?, updated_at = ? WHERE job_id = ? AND key = ?",
                    (None if path is None else str(path), sha256, now, now, job_id, key),
                )
            await self._record_spend(db, step, cost_usd)
            return await _require_step(db, job_id, key)

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
        async def failed(db: Db) -> None:
            step = await _require_step(db, job_id, key)
            _check_attempt(step, attempt)
            now = self._clock()
            await db.execute(
                "UPDATE steps SET state = 'failed', error = ?, finished_at = ?, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (error, now, now, job_id, key),
            )
            await self._record_spend(db, step, cost_usd)

        await self._write(job_id, failed)

    # --- spend ---

    async def spend(self, job_id: str) -> Spend:
        async def select(db: Db) -> list[Row]:
            await _require_job(db, job_id)
            return await db.all(
                "SELECT step_key, kind, segment, CAST(SUM(usd_micros) AS BIGINT) AS micros"
                " FROM spend WHERE job_id = ? GROUP BY step_key, kind, segment",
                (job_id,),
            )

        by_stage: dict[str, int] = {}
        by_segment: dict[int | None, int] = {}
        by_step: dict[str, int] = {}
        for row in await self._read(select):
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

    # --- several workers ---

    async def claim_step(self, job_id: str, key: str, worker_id: str, lease_seconds: float) -> bool:
        async def claim(db: Db) -> bool:
            await self._ensure_step(db, job_id, key)
            now = self._clock()
            # One UPDATE decides: under the job's write lock only one contender matches the WHERE.
            claimed = await db.execute(
                "UPDATE steps SET lease_owner = ?, lease_until = ?, updated_at = ?"
                " WHERE job_id = ? AND key = ?"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
                (worker_id, now + lease_seconds, now, job_id, key, worker_id, now),
            )
            return claimed == 1

        return await self._write(job_id, claim)

    async def release_step(self, job_id: str, key: str, worker_id: str) -> None:
        async def release(db: Db) -> None:
            await db.execute(
                "UPDATE steps SET lease_owner = NULL, lease_until = NULL"
                " WHERE job_id = ? AND key = ? AND lease_owner = ?",
                (job_id, key, worker_id),
            )

        await self._write(job_id, release)

    # --- events ---

    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event:
        body = _dumps(payload)

        async def append(db: Db) -> Event:
            await _require_job(db, job_id)
            row = await db.one(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM events WHERE job_id = ?", (job_id,)
            )
            seq, now = int(row["seq"]) if row else 1, self._clock()
            await db.execute(
                "INSERT INTO events (job_id, seq, type, payload, at) VALUES (?, ?, ?, ?, ?)",
                (job_id, seq, type, body, now),
            )
            return Event(job_id, seq, type, json.loads(body), now)

        return await self._write(job_id, append)

    async def events(self, job_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        sql = "SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq"
        args: tuple[Any, ...] = (job_id, after)
        if limit is not None:
            sql, args = f"{sql} LIMIT ?", (*args, limit)

        async def select(db: Db) -> list[Event]:
            return [_event(row) for row in await db.all(sql, args)]

        return await self._read(select)
