"""What runs the service's jobs, seen from :class:`~storyreel.api.manager.JobManager`.

Two backends, chosen once from the settings: :class:`~storyreel.api.jobs_local.LocalJobs` runs
jobs in this process; :class:`~storyreel.api.jobs_remote.WorkerJobs` hands them to the workers
(``STORYREEL_BROKER_URL`` set). Either way the job store holds the truth about a job; a backend
only decides where it runs and how its progress reaches a reader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from storyreel.api.live import LiveEvent
from storyreel.pipeline.store import FINISHED_STATUSES, JobStore


class JobBackend(Protocol):
    """Runs jobs already created in the store."""

    async def submit(self, job_id: str) -> None:
        """Start the new job (or queue it for its turn)."""

    async def resume(self, job_ids: list[str]) -> list[str]:
        """At startup, the service's unfinished jobs: start again those that need it; the ids
        started."""

    async def cancel(self, job_id: str) -> None:
        """Stop the job; what it finished stays."""

    async def is_active(self, job_id: str) -> bool:
        """Whether the job is running, or waiting for its turn, wherever this backend runs it."""

    def jobs_here(self) -> list[str]:
        """The jobs running (or waiting for a slot) in this process."""

    def follow(self, job_id: str, *, after: int) -> AsyncIterator[LiveEvent]:
        """The job's events after ``after``, as they come, until it stops running."""

    async def aclose(self) -> None:
        """At shutdown: leave every job resumable."""


async def cancel_in_store(store: JobStore, job_id: str) -> None:
    """Mark the job cancelled unless it has finished: for a job no task of this process runs
    (it waits in the queue, or runs on the workers, which check before each unit of work)."""
    job = await store.get_job(job_id)
    if job.status not in FINISHED_STATUSES:
        await store.set_status(job_id, "cancelled", error="cancelled")


__all__ = ["JobBackend", "cancel_in_store"]
