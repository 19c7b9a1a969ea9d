"""Many machines: jobs run on worker processes through dramatiq and Redis (issue 7).

With ``STORYREEL_BROKER_URL=redis://...`` the service and ``storyreel make --remote`` enqueue a
job with :func:`submit_job`; ``storyreel worker`` processes (on any machine reaching the same
Redis, job store and data directory) plan it, render its segments in parallel and assemble it.
Without a broker nothing here is imported and everything runs in-process, as before.

The ``distributed`` extra brings what this needs: ``pip install 'storyreel[distributed]'``.
"""

from __future__ import annotations

import asyncio

from storyreel.config import Settings


def distributed_enabled(settings: Settings) -> bool:
    """Whether jobs go to workers (a broker is configured) instead of running in-process."""
    return bool(settings.broker_url)


def _send(job_id: str, settings: Settings) -> str:
    from storyreel.distributed.actors import broker_with_actors
    from storyreel.distributed.runtime import ACTORS

    broker_with_actors(settings.broker_url)
    message = ACTORS["plan_job"].send(job_id)
    return str(message.message_id)


async def submit_job(job_id: str, settings: Settings) -> str:
    """Enqueue ``job_id`` (already created in the shared job store) for the workers; returns
    the broker's message id. Its progress shows in the store's events, as for a local run.

    Sending it twice is harmless: the workers reuse what is done.
    """
    return await asyncio.to_thread(_send, job_id, settings)


__all__ = ["distributed_enabled", "submit_job"]
