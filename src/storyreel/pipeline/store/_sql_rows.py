"""Rows to models, and the lookups every query group starts from (a job or step that must exist).

A row keeps money as integer micro-dollars, paths and JSON as text; the models get Decimal
dollars, :class:`~pathlib.Path` and dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from storyreel.errors import JobError
from storyreel.pipeline.cost import from_micros
from storyreel.pipeline.store._models import Event, Job, Step
from storyreel.pipeline.store._sql_base import Db, Row
from storyreel.plan import Plan

# The SUM casts: PostgreSQL sums BIGINTs into NUMERIC (a Decimal); micro-dollars are integers.
STEP_COLUMNS = """steps.*, (SELECT CAST(SUM(usd_micros) AS BIGINT) FROM spend
    WHERE spend.job_id = steps.job_id AND spend.step_key = steps.key) AS cost_actual_micros"""
JOB_COLUMNS = """jobs.*, COALESCE((SELECT CAST(SUM(usd_micros) AS BIGINT) FROM spend
    WHERE spend.job_id = jobs.id), 0) AS spent_micros"""


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, default=_json_default)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def _usd(micros: int | None) -> Decimal | None:
    return None if micros is None else from_micros(micros)


def normal_dir(path: Path) -> str:
    return str(path.expanduser().resolve())


def to_job(row: Row) -> Job:
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


def to_step(row: Row) -> Step:
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


def to_event(row: Row) -> Event:
    return Event(row["job_id"], row["seq"], row["type"], json.loads(row["payload"]), row["at"])


async def require_job(db: Db, job_id: str) -> None:
    if await db.one("SELECT 1 AS one FROM jobs WHERE id = ?", (job_id,)) is None:
        raise JobError(f"no job {job_id!r}")


async def fetch_job(db: Db, job_id: str) -> Job:
    row = await db.one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    if row is None:
        raise JobError(f"no job {job_id!r}")
    return to_job(row)


async def fetch_step(db: Db, job_id: str, key: str) -> Step | None:
    row = await db.one(
        f"SELECT {STEP_COLUMNS} FROM steps WHERE job_id = ? AND key = ?", (job_id, key)
    )
    return None if row is None else to_step(row)


async def require_step(db: Db, job_id: str, key: str) -> Step:
    step = await fetch_step(db, job_id, key)
    if step is None:
        await require_job(db, job_id)
        raise JobError(f"job {job_id}: step {key!r} was never started")
    return step
