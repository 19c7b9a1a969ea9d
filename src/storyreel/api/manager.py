"""The service's job manager: what the routes call to create, follow and cancel jobs.

The job store holds every job; a backend runs them, chosen once from the settings:
in-process by default (:mod:`storyreel.api.jobs_local`), or on the workers when
``STORYREEL_BROKER_URL`` is set (:mod:`storyreel.api.jobs_remote`). MiniMax's callbacks are
handled apart (:mod:`storyreel.api.webhooks`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from storyreel.api.jobs_backend import JobBackend
from storyreel.api.jobs_local import LocalJobs
from storyreel.api.jobs_remote import QueueUnavailableError, WorkerJobs
from storyreel.api.live import LiveEvent
from storyreel.api.webhooks import Webhooks, WebhookTokens
from storyreel.config import Settings
from storyreel.distributed import distributed_enabled
from storyreel.minimax import AsyncMiniMax
from storyreel.pipeline.follow import POLL_SECONDS
from storyreel.pipeline.jobs import JobOptions, JobRunner
from storyreel.pipeline.store import Job, JobStore
from storyreel.providers.hooks import WakeRegistry

DEFAULT_MAX_JOBS = 2
# Restart reads unfinished jobs this many at a time (all of them, however many).
RESUME_PAGE = 500


@dataclass
class JobManager:
    """Runs the service's jobs. Build, ``await start()``, and ``await aclose()`` at shutdown."""

    settings: Settings
    store: JobStore
    max_jobs: int = DEFAULT_MAX_JOBS
    minimax: AsyncMiniMax | None = None  # confirms webhook notifications
    wakes: WakeRegistry = field(default_factory=WakeRegistry)
    # Remote mode: how often an event stream reads the store for a job running on a worker.
    poll_seconds: float = POLL_SECONDS
    # Held while an edit checks the job's state and applies (api/edits.py): two edits at once
    # must not both save their own copy of the plan.
    edit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.runner = JobRunner(self.settings, self.store)
        # The one place the mode is read: everything else asks the backend.
        self.remote = remote = distributed_enabled(self.settings)
        self.webhooks = Webhooks(
            self.settings, self.store, self.minimax, self.wakes, fetches_here=not remote
        )
        self.backend: JobBackend = (
            WorkerJobs(self.settings, self.store, self.webhooks, poll_seconds=self.poll_seconds)
            if remote
            else LocalJobs(
                self.settings, self.store, self.runner, self.webhooks, max_jobs=self.max_jobs
            )
        )

    @property
    def webhooks_on(self) -> bool:
        """Whether clips are sent with a callback URL (in-process, with a public URL)."""
        return self.webhooks.on

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> list[str]:
        """Resume the service's unfinished jobs (queued or running when it last stopped); in
        remote mode, send to the workers those the queue has lost. The ids resumed or sent."""
        jobs_root = (self.settings.data_dir / "jobs").resolve()
        unfinished = [
            job.id
            async for job in self._unfinished_jobs()
            # Jobs of `storyreel make --out DIR` belong to the CLI (it may be running now).
            if job.output_dir.is_relative_to(jobs_root)
        ]
        return await self.backend.resume(unfinished)

    async def _unfinished_jobs(self) -> AsyncIterator[Job]:
        """Every running or queued job, page by page (all are read before any is started, so a
        job changing status while we page cannot shift the pages)."""
        for status in ("running", "queued"):
            offset = 0
            while True:
                page = await self.store.list_jobs(status=status, limit=RESUME_PAGE, offset=offset)
                for job in page:
                    yield job
                if len(page) < RESUME_PAGE:
                    break
                offset += RESUME_PAGE

    async def aclose(self) -> None:
        """Stop every job running here; each is left ``queued`` so the next start resumes it."""
        await self.backend.aclose()
        await self.webhooks.aclose()

    # -- jobs -------------------------------------------------------------------------------

    async def submit(self, story: str, options: JobOptions) -> Job:
        """Create the job and start it (remote mode: :class:`QueueUnavailableError` when the
        workers cannot be reached; the job is then marked failed)."""
        job = await self.runner.create(story, options)
        await self.backend.submit(job.id)
        return job

    async def is_active(self, job_id: str) -> bool:
        """Whether the job is running (or waiting for its turn) somewhere: in this process, or
        in remote mode on the workers, as the shared store says."""
        return await self.backend.is_active(job_id)

    def jobs_here(self) -> list[str]:
        """Ids of the jobs this process runs or holds waiting for a slot (none in remote mode)."""
        return self.backend.jobs_here()

    async def cancel(self, job_id: str) -> Job:
        """Stop the job. Finished work stays; ``storyreel resume`` can finish it later.

        Remote mode: the job is marked cancelled in the store; a unit of work already running
        on a worker finishes (see :meth:`WorkerJobs.cancel`)."""
        await self.backend.cancel(job_id)
        return await self.store.get_job(job_id)

    async def stream(self, job_id: str, *, after: int = 0) -> AsyncIterator[LiveEvent]:
        """The job's stored events after ``after``, then live ones, then one ``end`` event
        carrying the final status. Ends at once for a job that is not running.

        Remote mode: the stored events as the workers store them, polled every
        ``poll_seconds`` until the job has finished."""
        async for item in self.backend.follow(job_id, after=after):
            yield item
        job = await self.store.get_job(job_id)
        yield LiveEvent("end", {"status": job.status, "error": job.error})


__all__ = [
    "DEFAULT_MAX_JOBS",
    "JobManager",
    "LiveEvent",
    "QueueUnavailableError",
    "WebhookTokens",
]
