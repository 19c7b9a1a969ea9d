"""Jobs on the workers (``STORYREEL_BROKER_URL`` set): they go to the broker and nothing runs
here (:mod:`storyreel.distributed`). The job store is shared, so a job's progress reaches its
readers as the store's events, polled (:mod:`storyreel.pipeline.follow`); cancelling marks the
job cancelled in the store, and the workers take no more of its units of work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from storyreel.api.jobs_backend import cancel_in_store
from storyreel.api.live import LiveEvent
from storyreel.api.webhooks import Webhooks
from storyreel.config import Settings
from storyreel.distributed import submit_job
from storyreel.errors import JobError
from storyreel.pipeline.follow import follow_events
from storyreel.pipeline.store import FINISHED_STATUSES, JobStore

log = logging.getLogger(__name__)


class QueueUnavailableError(JobError):
    """Remote mode: the job could not be handed to the workers (the broker is unreachable)."""


class WorkerJobs:
    """The :class:`~storyreel.api.jobs_backend.JobBackend` that hands jobs to the workers.

    ``poll_seconds``: how often an event stream reads the store for a job running on a worker.
    """

    def __init__(
        self, settings: Settings, store: JobStore, webhooks: Webhooks, *, poll_seconds: float
    ) -> None:
        self.settings = settings
        self.store = store
        self.webhooks = webhooks
        self.poll_seconds = poll_seconds

    async def submit(self, job_id: str) -> None:
        try:
            await submit_job(job_id, self.settings)
        except Exception as error:
            reason = f"could not queue the job for the workers ({type(error).__name__}: {error})"
            # Failed, not queued: nobody would ever take it. (Had the message gone out after
            # all, the workers skip a failed job.)
            await self.store.set_status(job_id, "failed", error=reason)
            raise QueueUnavailableError(reason) from None

    async def resume(self, job_ids: list[str]) -> list[str]:
        """The workers own unfinished jobs, and dramatiq hands a dead worker's messages to
        another, so nothing is resumed here. Only a job with no message left in the queue
        (waiting, in flight or awaiting a retry) is sent again: the service stopped between
        creating and sending it, it was left unfinished by an in-process run before the broker
        was configured, or Redis lost its data. Sending every unfinished job again would be
        safe too (the workers reuse what is done), but each would re-send all its segments, and
        every duplicate holds a worker thread waiting on its twin's lease."""
        # Clips such an in-process run submitted may still call back.
        self.webhooks.answer_for(job_ids)
        if not job_ids:
            return []
        from storyreel.distributed.health import jobs_in_queue

        try:
            held = await asyncio.to_thread(jobs_in_queue, self.settings)
        except Exception as error:  # the service still serves what it has; sending would fail
            log.warning(
                "could not read the queue (%s: %s): %d unfinished job(s) not checked",
                type(error).__name__,
                error,
                len(job_ids),
            )
            return []
        sent = []
        for job_id in (job_id for job_id in job_ids if job_id not in held):
            try:
                await submit_job(job_id, self.settings)
            except Exception as error:  # left for the next start; the service starts anyway
                log.warning("could not send lost job %s again: %s", job_id, error)
            else:
                sent.append(job_id)
        if sent:
            log.info("sent %d unfinished job(s) the queue had lost to the workers", len(sent))
        return sent

    async def cancel(self, job_id: str) -> None:
        """Each unit of work checks the job's status before it starts (see
        :mod:`storyreel.distributed.actors`). A unit already running finishes (a clip already
        paid for is still fetched and muxed); what it enqueues next finds the job cancelled and
        does nothing."""
        await cancel_in_store(self.store, job_id)

    async def is_active(self, job_id: str) -> bool:
        """As the shared store says."""
        return (await self.store.get_job(job_id)).status not in FINISHED_STATUSES

    def jobs_here(self) -> list[str]:
        return []

    async def follow(self, job_id: str, *, after: int) -> AsyncIterator[LiveEvent]:
        """The stored events as the workers store them (progress ticks too, thinned), read every
        ``poll_seconds`` until the job has finished: ``on_event_stored`` only fires in the
        process that stores the event."""
        async for stored in follow_events(self.store, job_id, after=after, poll=self.poll_seconds):
            yield LiveEvent.stored(stored)

    async def aclose(self) -> None:
        """Nothing runs here: the jobs go on on the workers."""


__all__ = ["QueueUnavailableError", "WorkerJobs"]
