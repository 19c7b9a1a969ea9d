"""The embedded job store: one SQLite file in the data directory, shared safely by the processes
of one machine (WAL, a busy timeout, and short ``BEGIN IMMEDIATE`` write transactions).

sqlite3 blocks, so every call runs in a worker thread; one connection per store, used by one
thread at a time under a lock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random

from storyreel.errors import JobError
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

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]

# Several processes (CLI, service, workers) may write at once; each write is short, so waiting
# this long for the lock only happens when something is badly stuck.
BUSY_TIMEOUT_MS = 15_000

_STEP_COLUMNS = """steps.*, (SELECT SUM(usd_micros) FROM spend
    WHERE spend.job_id = steps.job_id AND spend.step_key = steps.key) AS cost_actual_micros"""
_JOB_COLUMNS = """jobs.*, COALESCE((SELECT SUM(usd_micros) FROM spend
    WHERE spend.job_id = jobs.id), 0) AS spent_micros"""


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


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


def _job(row: sqlite3.Row) -> Job:
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


def _step(row: sqlite3.Row) -> Step:
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


def _normal_dir(path: Path) -> str:
    return str(path.expanduser().resolve())


class SQLiteJobStore:
    """:class:`~storyreel.pipeline.store.JobStore` on one SQLite file.

    Opens (and migrates) lazily on first use; ``async with`` or :meth:`aclose` closes it.
    """

    def __init__(self, path: Path, *, clock: Clock = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteJobStore({str(self.path)!r})"

    async def __aenter__(self) -> Self:
        await self._run(lambda _conn: None)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- plumbing ---

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
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _configure(conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
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

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                raise JobError(
                    f"{self.path} has schema version {current}, newer than this storyreel "
                    f"({SCHEMA_VERSION}); upgrade storyreel"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                conn.execute(f"PRAGMA user_version = {version}")
                log.debug("migrated %s to schema version %d", self.path, version)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            return fn(self._conn)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._call, fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def transaction(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self._run(transaction)

    @staticmethod
    def _require_job(conn: sqlite3.Connection, job_id: str) -> None:
        if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is None:
            raise JobError(f"no job {job_id!r}")

    @staticmethod
    def _fetch_step(conn: sqlite3.Connection, job_id: str, key: str) -> Step | None:
        row = conn.execute(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = ? AND key = ?", (job_id, key)
        ).fetchone()
        return None if row is None else _step(row)

    def _require_step(self, conn: sqlite3.Connection, job_id: str, key: str) -> Step:
        step = self._fetch_step(conn, job_id, key)
        if step is None:
            self._require_job(conn, job_id)
            raise JobError(f"job {job_id}: step {key!r} was never started")
        return step

    def _ensure_step(self, conn: sqlite3.Connection, job_id: str, key: str) -> None:
        kind, segment = parse_step_key(key)
        self._require_job(conn, job_id)
        now = self._clock()
        conn.execute(
            "INSERT INTO steps (job_id, key, kind, segment, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (job_id, key) DO NOTHING",
            (job_id, key, kind, segment, now, now),
        )

    @staticmethod
    def _check_attempt(step: Step, attempt: int | None) -> None:
        if attempt is not None and attempt != step.attempts:
            raise JobError(
                f"job {step.job_id}: step {step.key} attempt {attempt} was superseded by attempt "
                f"{step.attempts}"
            )

    def _record_spend(self, conn: sqlite3.Connection, step: Step, cost_usd: Decimal | None) -> None:
        if cost_usd is None:
            return
        conn.execute(
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

        def insert(conn: sqlite3.Connection) -> Job:
            now = self._clock()
            try:
                conn.execute(
                    "INSERT INTO jobs (id, status, story, options, output_dir, created_at,"
                    " updated_at) VALUES (?, 'queued', ?, ?, ?, ?, ?)",
                    (new_id, story, options_json, _normal_dir(output_dir), now, now),
                )
            except sqlite3.IntegrityError:
                raise JobError(f"job {new_id!r} already exists") from None
            return self._get_job(conn, new_id)

        return await self._write(insert)

    @staticmethod
    def _get_job(conn: sqlite3.Connection, job_id: str) -> Job:
        row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"no job {job_id!r}")
        return _job(row)

    async def get_job(self, job_id: str) -> Job:
        return await self._run(lambda conn: self._get_job(conn, job_id))

    async def find_job_by_output_dir(self, output_dir: Path) -> Job | None:
        def find(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE output_dir = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (_normal_dir(output_dir),),
            ).fetchone()
            return None if row is None else _job(row)

        return await self._run(find)

    async def list_jobs(self, *, status: JobStatus | None = None, limit: int = 100) -> list[Job]:
        def select(conn: sqlite3.Connection) -> list[Job]:
            where, args = ("WHERE status = ?", (status,)) if status else ("", ())
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs {where}"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            return [_job(row) for row in rows]

        return await self._run(select)

    async def _update_job(self, job_id: str, sets: Mapping[str, Any]) -> None:
        columns = ", ".join(f"{name} = ?" for name in sets)

        def update(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                f"UPDATE jobs SET {columns}, updated_at = ? WHERE id = ?",
                (*sets.values(), self._clock(), job_id),
            )
            if cursor.rowcount == 0:
                raise JobError(f"no job {job_id!r}")

        await self._write(update)

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
        def select(conn: sqlite3.Connection) -> list[Step]:
            self._require_job(conn, job_id)
            rows = conn.execute(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = ? ORDER BY kind, segment, key",
                (job_id,),
            ).fetchall()
            return [_step(row) for row in rows]

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
        def start(conn: sqlite3.Connection) -> Step:
            self._ensure_step(conn, job_id, key)
            self._refuse_double_payment(self._fetch_step(conn, job_id, key), inputs_hash)
            now = self._clock()
            conn.execute(
                "UPDATE steps SET state = 'running', inputs_hash = ?, provider = ?,"
                " provider_ref = NULL, artefact_path = NULL, artefact_sha256 = NULL, error = NULL,"
                " intent_at = NULL, submitted_at = NULL, finished_at = NULL, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (inputs_hash, provider, now, job_id, key),
            )
            return self._require_step(conn, job_id, key)

        return await self._write(start)

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
        def begin(conn: sqlite3.Connection) -> Intent:
            self._ensure_step(conn, job_id, key)
            if not repeat:
                self._refuse_double_payment(self._fetch_step(conn, job_id, key), inputs_hash)
            now = self._clock()
            conn.execute(
                "UPDATE steps SET state = 'running', inputs_hash = ?, provider = ?,"
                " provider_ref = NULL, artefact_path = NULL, artefact_sha256 = NULL, error = NULL,"
                " attempts = attempts + 1, cost_estimate_micros = ?, intent_at = ?,"
                " submitted_at = NULL, finished_at = NULL, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
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
            step = self._require_step(conn, job_id, key)
            return Intent(job_id, key, inputs_hash, provider, step.attempts, now)

        return await self._write(begin)

    async def record_submitted(
        self, job_id: str, key: str, provider_ref: str, *, attempt: int | None = None
    ) -> None:
        def submitted(conn: sqlite3.Connection) -> None:
            step = self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            if step.state == "submitted" and step.provider_ref == provider_ref:
                return  # said twice: nothing changes
            if step.state != "running" or step.intent_at is None:
                raise JobError(
                    f"job {job_id}: {key} is {step.state}; record_submitted needs a begin_paid"
                )
            conn.execute(
                "UPDATE steps SET state = 'submitted', provider_ref = ?, submitted_at = ?,"
                " updated_at = ? WHERE job_id = ? AND key = ?",
                (provider_ref, self._clock(), self._clock(), job_id, key),
            )

        await self._write(submitted)

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
        def done(conn: sqlite3.Connection) -> Step:
            step = self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            if step.state == "done" and step.artefact_sha256 == sha256:
                self._record_spend(conn, step, cost_usd)
                return self._require_step(conn, job_id, key)
            if step.state not in ("running", "submitted"):
                raise JobError(
                    f"job {job_id}: {key} is {step.state}; only a started step completes"
                )
            now = self._clock()
            conn.execute(
                "UPDATE steps SET state = 'done', artefact_path = ?, artefact_sha256 = ?,"
                " error = NULL, finished_at = ?, updated_at = ? WHERE job_id = ? AND key = ?",
                (None if path is None else str(path), sha256, now, now, job_id, key),
            )
            self._record_spend(conn, step, cost_usd)
            return self._require_step(conn, job_id, key)

        return await self._write(done)

    async def fail(
        self,
        job_id: str,
        key: str,
        error: str,
        *,
        cost_usd: Decimal | None = None,
        attempt: int | None = None,
    ) -> None:
        def failed(conn: sqlite3.Connection) -> None:
            step = self._require_step(conn, job_id, key)
            self._check_attempt(step, attempt)
            now = self._clock()
            conn.execute(
                "UPDATE steps SET state = 'failed', error = ?, finished_at = ?, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (error, now, now, job_id, key),
            )
            self._record_spend(conn, step, cost_usd)

        await self._write(failed)

    # --- spend ---

    async def spend(self, job_id: str) -> Spend:
        def select(conn: sqlite3.Connection) -> Spend:
            self._require_job(conn, job_id)
            rows = conn.execute(
                "SELECT step_key, kind, segment, SUM(usd_micros) AS micros FROM spend"
                " WHERE job_id = ? GROUP BY step_key, kind, segment",
                (job_id,),
            ).fetchall()
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
        def claim(conn: sqlite3.Connection) -> bool:
            self._ensure_step(conn, job_id, key)
            now = self._clock()
            # One UPDATE decides: under the write lock only one contender can match the WHERE.
            cursor = conn.execute(
                "UPDATE steps SET lease_owner = ?, lease_until = ?, updated_at = ?"
                " WHERE job_id = ? AND key = ?"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
                (worker_id, now + lease_seconds, now, job_id, key, worker_id, now),
            )
            return cursor.rowcount == 1

        return await self._write(claim)

    async def release_step(self, job_id: str, key: str, worker_id: str) -> None:
        def release(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE steps SET lease_owner = NULL, lease_until = NULL"
                " WHERE job_id = ? AND key = ? AND lease_owner = ?",
                (job_id, key, worker_id),
            )

        await self._write(release)

    # --- events ---

    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event:
        body = _dumps(payload)

        def append(conn: sqlite3.Connection) -> Event:
            self._require_job(conn, job_id)
            row = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = ?", (job_id,)
            ).fetchone()
            seq, now = int(row[0]), self._clock()
            conn.execute(
                "INSERT INTO events (job_id, seq, type, payload, at) VALUES (?, ?, ?, ?, ?)",
                (job_id, seq, type, body, now),
            )
            return Event(job_id, seq, type, json.loads(body), now)

        return await self._write(append)

    async def events(self, job_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        def select(conn: sqlite3.Connection) -> list[Event]:
            rows = conn.execute(
                "SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (job_id, after, -1 if limit is None else limit),
            ).fetchall()
            return [
                Event(r["job_id"], r["seq"], r["type"], json.loads(r["payload"]), r["at"])
                for r in rows
            ]

        return await self._run(select)
