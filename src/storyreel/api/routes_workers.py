"""``/workers``: the workers alive, the queue's depth and the jobs in flight (what ``storyreel
workers`` shows). In-process (no broker) it answers too, with the service's own jobs, so the page
need not know the mode beforehand."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, HTTPException, status

from storyreel.api.deps import Authorized, Manager
from storyreel.api.errors import ERROR_RESPONSES
from storyreel.api.schemas import (
    JobInFlightOut,
    Problem,
    QueueDepthOut,
    WorkerOut,
    WorkersOut,
)
from storyreel.distributed.health import (
    BrokerUnreachableError,
    JobInFlight,
    jobs_in_flight,
    snapshot,
)
from storyreel.errors import JobError
from storyreel.pipeline.store import Job

router = APIRouter(
    prefix="/workers",
    tags=["workers"],
    dependencies=[Authorized],
    responses={401: ERROR_RESPONSES[401]},
)


def _job_out(job: JobInFlight) -> JobInFlightOut:
    return JobInFlightOut(
        id=job.id,
        status=job.status,
        url=f"/jobs/{job.id}",
        steps_done=job.steps_done,
        steps_total=job.steps_total,
    )


@router.get(
    "",
    response_model=WorkersOut,
    summary="Workers, queue depth, jobs in flight",
    responses={503: {"model": Problem, "description": "The broker (Redis) is unreachable."}},
)
async def list_workers(manager: Manager) -> WorkersOut:
    """With ``STORYREEL_BROKER_URL``: the workers alive (their heartbeats), the queue's depth
    and the queued and running jobs of the shared store. In-process: the jobs this service
    runs (or holds waiting for a slot), no workers and no queue."""
    store = manager.store
    if not manager.remote:
        here: list[Job] = []
        for job_id in manager.jobs_here():
            try:
                here.append(await store.get_job(job_id))
            except JobError:  # deleted meanwhile
                continue
        # Running first, as in remote mode.
        here.sort(key=lambda job: job.status != "running")
        jobs = await jobs_in_flight(store, here)
        return WorkersOut(mode="in-process", workers=[], jobs=[_job_out(j) for j in jobs])
    try:
        seen = await snapshot(manager.settings, store)
    except BrokerUnreachableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None
    return WorkersOut(
        mode="remote",
        workers=[WorkerOut.model_validate(asdict(w)) for w in seen.workers],
        queue=QueueDepthOut.model_validate(asdict(seen.depth)),
        jobs=[_job_out(j) for j in seen.jobs],
    )
