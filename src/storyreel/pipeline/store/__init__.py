"""The durable job store: jobs, steps, paid-call write-ahead, spend, leases and events.

Use the :class:`JobStore` interface; :class:`SQLiteJobStore` is the embedded default, in the
data directory (:func:`default_store_path`). :func:`decide_step` turns a step's record into what
to do on (re)start: run, reuse, resume, or ask (unknown outcome).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from storyreel.pipeline.store._decide import (
    SYNCHRONOUS_KINDS,
    StepAction,
    StepDecision,
    decide_step,
    may_repeat_unknown,
)
from storyreel.pipeline.store._models import (
    FINISHED_STATUSES,
    JOB_STATUSES,
    PAID_KINDS,
    STEP_KINDS,
    STEP_STATES,
    Event,
    Intent,
    Job,
    JobStatus,
    Spend,
    Step,
    StepKind,
    StepState,
    new_job_id,
    parse_step_key,
    step_key,
)
from storyreel.pipeline.store._protocol import JobStore
from storyreel.pipeline.store._schema import SCHEMA_VERSION
from storyreel.pipeline.store._sqlite import SQLiteJobStore

if TYPE_CHECKING:
    from storyreel.config import Settings

DB_NAME = "storyreel.db"


def default_store_path(settings: Settings) -> Path:
    return settings.data_dir / DB_NAME


def open_store(settings: Settings) -> JobStore:
    """The store the settings name: PostgreSQL when ``STORYREEL_DATABASE_URL`` is a
    ``postgresql://`` URL (several machines), else SQLite in the data directory."""
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        from storyreel.pipeline.store._postgres import PostgresJobStore

        return PostgresJobStore(url)
    if url:
        from storyreel.errors import ConfigError

        raise ConfigError(
            "STORYREEL_DATABASE_URL must be a postgresql:// URL",
            field="STORYREEL_DATABASE_URL",
            fix="unset it to use the embedded SQLite store",
        )
    return SQLiteJobStore(default_store_path(settings))


__all__ = [
    "DB_NAME",
    "FINISHED_STATUSES",
    "JOB_STATUSES",
    "PAID_KINDS",
    "SCHEMA_VERSION",
    "STEP_KINDS",
    "STEP_STATES",
    "SYNCHRONOUS_KINDS",
    "Event",
    "Intent",
    "Job",
    "JobStatus",
    "JobStore",
    "SQLiteJobStore",
    "Spend",
    "Step",
    "StepAction",
    "StepDecision",
    "StepKind",
    "StepState",
    "decide_step",
    "default_store_path",
    "may_repeat_unknown",
    "new_job_id",
    "open_store",
    "parse_step_key",
    "step_key",
]
