"""Following a job that runs in another process (workers, or another machine): its events come
from the job store, read every ``poll`` seconds, since nothing can call back across processes.

``storyreel make --remote`` draws its progress bars from this, and the HTTP service its event
stream when jobs run on workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from storyreel.pipeline.store import FINISHED_STATUSES, Event, JobStore

POLL_SECONDS = 0.5


async def follow_events(
    store: JobStore,
    job_id: str,
    *,
    after: int = 0,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[Event]:
    """The job's stored events after ``after``, as they are stored, until it has finished."""
    seen = after
    while True:
        # The status first: once it reads finished, the events read next include the last one.
        status = (await store.get_job(job_id)).status
        for event in await store.events(job_id, after=seen):
            seen = event.seq
            yield event
        if status in FINISHED_STATUSES:
            return
        await sleep(poll)


__all__ = ["POLL_SECONDS", "follow_events"]
