"""In-process jobs (no broker, the default): each runs :meth:`JobRunner.run` in an asyncio task,
``max_jobs`` at a time; the others wait for a slot. Cancel stops the task; shutdown stops them
all but leaves their jobs ``queued``, so the next start resumes them. What they do reaches their
readers live (:mod:`storyreel.api.live`), and MiniMax's callbacks wake their waiting fetches
(:mod:`storyreel.api.webhooks`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from storyreel.api.jobs_backend import cancel_in_store
from storyreel.api.live import END, LiveEvent, LiveFeed
from storyreel.api.webhooks import Webhooks
from storyreel.config import Settings
from storyreel.pipeline.jobs import JobRunner
from storyreel.pipeline.store import JobStore

log = logging.getLogger(__name__)

# With webhooks on, polling is only the fallback for a lost callback: it may be slower.
WEBHOOK_POLL_SLOWDOWN = 3.0


class LocalJobs:
    """The :class:`~storyreel.api.jobs_backend.JobBackend` that runs jobs in this process.

    ``runner`` is the service's own (its price table is loaded once and shared by every run).
    """

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        runner: JobRunner,
        webhooks: Webhooks,
        *,
        max_jobs: int,
    ) -> None:
        self.settings = settings
        self.store = store
        self.runner = runner
        self.webhooks = webhooks
        self._slots = asyncio.Semaphore(max_jobs)
        self._feed = LiveFeed()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._user_cancelled: set[str] = set()
        self._closing = False

    async def submit(self, job_id: str) -> None:
        self._schedule(job_id)

    async def resume(self, job_ids: list[str]) -> list[str]:
        for job_id in job_ids:
            self._schedule(job_id)
        if job_ids:
            log.info("resuming %d unfinished job(s)", len(job_ids))
        return job_ids

    async def cancel(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is None:
            await cancel_in_store(self.store, job_id)
            return
        self._user_cancelled.add(job_id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def is_active(self, job_id: str) -> bool:
        return job_id in self._tasks

    def jobs_here(self) -> list[str]:
        return list(self._tasks)

    def follow(self, job_id: str, *, after: int) -> AsyncIterator[LiveEvent]:
        return self._feed.follow(
            self.store, job_id, after=after, running=lambda: job_id in self._tasks
        )

    async def aclose(self) -> None:
        self._closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _schedule(self, job_id: str) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(job_id), name=f"job:{job_id}")
        self._tasks[job_id] = task

    def _runner_for(self, job_id: str) -> JobRunner:
        settings = self.settings
        provider_kwargs: dict[str, Any] = {}
        if self.webhooks.on:
            minimax = settings.minimax
            slower = minimax.model_copy(
                update={"poll_interval": minimax.poll_interval * WEBHOOK_POLL_SLOWDOWN}
            )
            settings = settings.model_copy(update={"minimax": slower})
            provider_kwargs = {
                "callback_url": self.webhooks.callback_url(job_id),
                "wakes": self.webhooks.wakes,
            }
        return JobRunner(
            settings,
            self.store,
            provider_kwargs=provider_kwargs,
            prices=self.runner.prices,
            on_event_stored=self._feed.on_stored,
        )

    async def _run(self, job_id: str) -> None:
        try:
            async with self._slots:
                await self._runner_for(job_id).run(job_id, events=self._feed.sink(job_id))
        except asyncio.CancelledError:
            if self._closing and job_id not in self._user_cancelled:
                # Shutdown, not the user's choice: the next start picks the job up again.
                await self.store.set_status(job_id, "queued")
            else:
                await self.store.set_status(job_id, "cancelled", error="cancelled")
            raise
        except Exception as error:  # the runner recorded it on the job; the service goes on
            log.info("job %s failed: %s", job_id, error)
        finally:
            self._tasks.pop(job_id, None)
            self._user_cancelled.discard(job_id)
            self._feed.publish(job_id, END)


__all__ = ["WEBHOOK_POLL_SLOWDOWN", "LocalJobs"]
