"""The job store's interface. SQLite implements it for one machine and PostgreSQL for many, both
through the shared ``_sql.SqlJobStore``; nothing here names a database."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from storyreel.pipeline.store._models import Event, Intent, Job, JobStatus, Spend, Step
from storyreel.plan import Plan


@runtime_checkable
class JobStore(Protocol):
    """Durable jobs and steps. Every write is one short transaction, so any process may die
    between two calls and the next one finds a consistent record.

    Errors: :class:`~storyreel.errors.JobError` for an unknown job or a transition the step's
    state does not allow (e.g. ``begin_paid`` on a step whose paid call may still be running).
    """

    # --- jobs ---
    async def create_job(
        self, story: str, options: Mapping[str, Any], output_dir: Path, *, job_id: str | None = None
    ) -> Job: ...

    async def get_job(self, job_id: str) -> Job: ...

    async def find_job_by_output_dir(self, output_dir: Path) -> Job | None:
        """The latest job writing into ``output_dir`` (``make --out DIR`` resumes it)."""
        ...

    async def list_jobs(
        self, *, status: JobStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[Job]:
        """Newest first, each with its spend."""
        ...

    async def set_status(
        self,
        job_id: str,
        status: JobStatus,
        *,
        error: str | None = None,
        video_path: Path | None = None,
        unless: Collection[JobStatus] = (),
    ) -> bool:
        """Set the job's status; returns False (and writes nothing) when its status is one of
        ``unless``. Workers write with ``unless={"cancelled"}``: a cancel made by the service
        while a unit of work was running stands."""
        ...

    async def set_plan(self, job_id: str, plan: Plan | None) -> None: ...

    async def set_options(self, job_id: str, options: Mapping[str, Any]) -> None: ...

    async def delete_job(self, job_id: str) -> None:
        """Forget the job: its row, steps, spend and events, in one transaction (its files are
        the caller's). JobError for an unknown job."""
        ...

    # --- steps ---
    async def get_step(self, job_id: str, key: str) -> Step | None: ...

    async def list_steps(self, job_id: str) -> list[Step]: ...

    async def start_step(
        self, job_id: str, key: str, inputs_hash: str, *, provider: str | None = None
    ) -> Step:
        """Mark an unpaid step (mux, assemble, offline work) running."""
        ...

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
        """Record the intent of a paid call, durably, BEFORE sending it. Refuses (JobError) when a
        paid call for the same inputs is submitted or of unknown outcome, unless ``repeat``."""
        ...

    async def record_submitted(
        self, job_id: str, key: str, provider_ref: str, *, attempt: int | None = None
    ) -> None:
        """Record the provider's id (task_id, file_id, voice_id) the moment it comes back."""
        ...

    async def complete(
        self,
        job_id: str,
        key: str,
        *,
        path: Path | None,
        sha256: str | None,
        cost_usd: Decimal | None = None,
        attempt: int | None = None,
    ) -> Step: ...

    async def fail(
        self,
        job_id: str,
        key: str,
        error: str,
        *,
        cost_usd: Decimal | None = None,
        attempt: int | None = None,
    ) -> None:
        """The provider said no for good. A transient download error is not a failure: leave the
        step submitted so the next run resumes it."""
        ...

    # --- spend ---
    async def spend(self, job_id: str) -> Spend: ...

    # --- several workers ---
    async def claim_step(self, job_id: str, key: str, worker_id: str, lease_seconds: float) -> bool:
        """Take (or renew) the step's lease; True when ``worker_id`` now holds it. A lease that
        has run out may be taken by anyone."""
        ...

    async def release_step(self, job_id: str, key: str, worker_id: str) -> None: ...

    # --- events ---
    async def append_event(self, job_id: str, type: str, payload: Mapping[str, Any]) -> Event: ...

    async def events(self, job_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        """Events with ``seq > after``, oldest first."""
        ...

    async def aclose(self) -> None: ...
