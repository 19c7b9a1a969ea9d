"""The job store's job rows and their spend, in the shared SQL (see :mod:`._sql_base`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from storyreel.errors import JobError
from storyreel.pipeline.cost import from_micros
from storyreel.pipeline.store._models import JOB_STATUSES, Job, JobStatus, Spend, new_job_id
from storyreel.pipeline.store._sql_base import Db, Row, SqlBase
from storyreel.pipeline.store._sql_rows import (
    JOB_COLUMNS,
    dumps,
    fetch_job,
    normal_dir,
    require_job,
    to_job,
)
from storyreel.plan import Plan


class SqlJobs(SqlBase):
    """Creating, finding, listing and updating jobs; what each has spent."""

    async def create_job(
        self, story: str, options: Mapping[str, Any], output_dir: Path, *, job_id: str | None = None
    ) -> Job:
        new_id = job_id or new_job_id()
        options_json = dumps(options)

        async def insert(db: Db) -> Job:
            now = self._clock()
            inserted = await db.execute(
                "INSERT INTO jobs (id, status, story, options, output_dir, created_at,"
                " updated_at) VALUES (?, 'queued', ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (new_id, story, options_json, normal_dir(output_dir), now, now),
            )
            if not inserted:
                raise JobError(f"job {new_id!r} already exists")
            return await fetch_job(db, new_id)

        return await self._write(new_id, insert)

    async def get_job(self, job_id: str) -> Job:
        return await self._read(lambda db: fetch_job(db, job_id))

    async def find_job_by_output_dir(self, output_dir: Path) -> Job | None:
        async def find(db: Db) -> Job | None:
            row = await db.one(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE output_dir = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (normal_dir(output_dir),),
            )
            return None if row is None else to_job(row)

        return await self._read(find)

    async def list_jobs(
        self, *, status: JobStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Job]:
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())

        async def select(db: Db) -> list[Job]:
            rows = await db.all(
                f"SELECT {JOB_COLUMNS} FROM jobs {where}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            )
            return [to_job(row) for row in rows]

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
                await require_job(db, job_id)  # no such job, or its status is in ``unless``
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
        await self._update_job(job_id, {"options": dumps(options)})

    async def delete_job(self, job_id: str) -> None:
        async def delete(db: Db) -> None:
            await require_job(db, job_id)
            # Children first, by name: the schema's ON DELETE CASCADE needs SQLite's
            # foreign_keys pragma, which a connection opened elsewhere may not have set.
            for table in ("events", "spend", "steps"):
                await db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
            await db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

        await self._write(job_id, delete)

    async def spend(self, job_id: str) -> Spend:
        async def select(db: Db) -> list[Row]:
            await require_job(db, job_id)
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
