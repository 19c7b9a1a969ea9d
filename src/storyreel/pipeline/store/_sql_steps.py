"""The job store's step writes: the paid-call lifecycle and the workers' leases, in the shared SQL.

Every write re-reads the step inside its transaction (see :mod:`._sql_base`), so the checks that
keep a paid call from being paid twice see what the write will change.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from storyreel.errors import JobError
from storyreel.pipeline.cost import to_micros
from storyreel.pipeline.store._models import Intent, Step, parse_step_key
from storyreel.pipeline.store._sql_base import Db, SqlBase
from storyreel.pipeline.store._sql_rows import (
    STEP_COLUMNS,
    fetch_step,
    require_job,
    require_step,
    to_step,
)

# What begin_paid and start_step both clear: the outcome of the step's previous attempt.
_RESTART = (
    "state = 'running', inputs_hash = ?, provider = ?, provider_ref = NULL, artefact_path = NULL,"
    " artefact_sha256 = NULL, error = NULL, submitted_at = NULL, finished_at = NULL"
)


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


class SqlSteps(SqlBase):
    """Starting, paying for, submitting, completing and failing steps; leasing them to workers."""

    async def _ensure_step(self, db: Db, job_id: str, key: str) -> None:
        kind, segment = parse_step_key(key)
        await require_job(db, job_id)
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

    # --- steps ---

    async def get_step(self, job_id: str, key: str) -> Step | None:
        return await self._read(lambda db: fetch_step(db, job_id, key))

    async def list_steps(self, job_id: str) -> list[Step]:
        async def select(db: Db) -> list[Step]:
            await require_job(db, job_id)
            rows = await db.all(
                f"SELECT {STEP_COLUMNS} FROM steps WHERE job_id = ? ORDER BY kind, segment, key",
                (job_id,),
            )
            return [to_step(row) for row in rows]

        return await self._read(select)

    async def start_step(
        self, job_id: str, key: str, inputs_hash: str, *, provider: str | None = None
    ) -> Step:
        async def start(db: Db) -> Step:
            await self._ensure_step(db, job_id, key)
            _refuse_double_payment(await fetch_step(db, job_id, key), inputs_hash)
            await db.execute(
                f"UPDATE steps SET {_RESTART}, intent_at = NULL, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (inputs_hash, provider, self._clock(), job_id, key),
            )
            return await require_step(db, job_id, key)

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
                _refuse_double_payment(await fetch_step(db, job_id, key), inputs_hash)
            now = self._clock()
            await db.execute(
                f"UPDATE steps SET {_RESTART}, attempts = attempts + 1, cost_estimate_micros = ?,"
                " intent_at = ?, updated_at = ? WHERE job_id = ? AND key = ?",
                (inputs_hash, provider, estimate, now, now, job_id, key),
            )
            step = await require_step(db, job_id, key)
            return Intent(job_id, key, inputs_hash, provider, step.attempts, now)

        return await self._write(job_id, begin)

    async def record_submitted(
        self, job_id: str, key: str, provider_ref: str, *, attempt: int | None = None
    ) -> None:
        async def submitted(db: Db) -> None:
            step = await require_step(db, job_id, key)
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
            step = await require_step(db, job_id, key)
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
            return await require_step(db, job_id, key)

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
            step = await require_step(db, job_id, key)
            _check_attempt(step, attempt)
            now = self._clock()
            await db.execute(
                "UPDATE steps SET state = 'failed', error = ?, finished_at = ?, updated_at = ?"
                " WHERE job_id = ? AND key = ?",
                (error, now, now, job_id, key),
            )
            await self._record_spend(db, step, cost_usd)

        await self._write(job_id, failed)

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
