"""The units of work: ``plan_job`` -> ``render_segment`` x N -> ``assemble_job``.

Each is idempotent. Every step inside goes through the job store's ledger under this worker's
lease, so a message delivered twice, or taken over from a worker killed mid-step, reuses what is
done, resumes a submitted video by its recorded task id, and never pays for a step twice. The
last segment to finish enqueues the assembly; if two finish together both do, and the second
assembly finds the video made.

Failures: a passing one (network, 5xx, rate limit, database restart) raises, and dramatiq
delivers the message again later (``STORYREEL_WORKER_MAX_RETRIES`` times); anything else, or
the last retry, marks the job failed with its message, and the rest of its messages do nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from storyreel.distributed.broker import QUEUE, StoryreelBroker, get_broker
from storyreel.distributed.runtime import Runtime, runtime
from storyreel.distributed.settings import WorkerSettings
from storyreel.errors import StoryreelError
from storyreel.pipeline import lifecycle
from storyreel.pipeline.cost import Budget
from storyreel.pipeline.lifecycle import KEEP_CANCEL
from storyreel.pipeline.store import FINISHED_STATUSES, Job

if TYPE_CHECKING:
    from dramatiq import Broker

log = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Worth delivering again later: the same request may well succeed then. Every boundary
    (providers, the store, the broker) has translated its errors into storyreel's tree, so the
    outcome says it; a lost answer ("unknown") is never repeated on our own."""
    if isinstance(error, StoryreelError):
        return error.outcome == "transient"
    return isinstance(error, ConnectionError | TimeoutError)


def _retries_left(worker: WorkerSettings) -> bool:
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    done = int(message.options.get("retries", 0)) if message is not None else 0
    return done < worker.worker_max_retries


async def _guarded(
    rt: Runtime, job_id: str, what: str, work: Callable[[Job], Awaitable[None]]
) -> None:
    """Run ``work`` on a live job; record a lasting failure on the job instead of retrying."""
    job = await rt.store.get_job(job_id)
    if job.status in FINISHED_STATUSES:
        log.info("%s of job %s: the job is %s; nothing to do", what, job_id, job.status)
        return
    rt.health.busy(job_id, what)
    try:
        await work(job)
    except Exception as error:
        if is_transient(error) and _retries_left(rt.worker):
            log.warning("%s of job %s failed for now (%s); it will be retried", what, job_id, error)
            raise
        log.error("%s of job %s failed: %s", what, job_id, error)
        sink = rt.runner.event_sink(job_id)
        await lifecycle.fail(rt.store, job_id, error, sink, where=what)
        await sink.flush()
    finally:
        rt.health.idle(job_id, what)


async def plan_job(job_id: str) -> None:
    """Plan the job (once), then hand each segment to the queue."""
    rt = await runtime()

    async def work(job: Job) -> None:
        sink = rt.runner.event_sink(job.id)
        options = rt.options(job)
        async with rt.runner.providers_for(options) as providers:
            started = await lifecycle.begin(
                rt.store,
                job.id,
                sink,
                providers=providers.describe(),
                out_dir=job.output_dir,
                unless=KEEP_CANCEL,
            )
            if not started:
                log.info("planning of job %s: cancelled meanwhile; nothing to do", job.id)
                return
            # Free calls first: a retired model or a dead key fails the job with nothing paid.
            await rt.runner.preflight(providers, options)
            # The estimate was shown when the job was submitted; the budget still binds here.
            left = await rt.runner.estimate(job, providers)
            Budget(options.budget).check_estimate(left, spent=(await rt.store.spend(job.id)).total)
            job_work = rt.work(job, providers, sink)
            plan = await job_work.ensure_plan()
            job_work.pipeline.begin(plan)
        await sink.flush()
        for i in range(len(plan.segments)):
            rt.actors["render_segment"].send(job.id, i)

    await _guarded(rt, job_id, "planning", work)


async def render_segment(job_id: str, index: int) -> None:
    """Everything of one segment up to its ``segment.mp4``; the last one enqueues assembly."""
    rt = await runtime()

    async def work(job: Job) -> None:
        sink = rt.runner.event_sink(job.id)
        async with rt.runner.providers_for(rt.options(job)) as providers:
            job_work = rt.work(job, providers, sink)
            plan = await job_work.ensure_plan()
            try:
                await job_work.pipeline.render_segment(plan, index)
            finally:
                await job_work.pipeline.drop_frames()
        await sink.flush()
        if await segments_done(rt, job.id, len(plan.segments)):
            rt.actors["assemble_job"].send(job.id)

    await _guarded(rt, job_id, f"segment {index + 1}", work)


async def segments_done(rt: Runtime, job_id: str, segments: int) -> bool:
    done = {s.key for s in await rt.store.list_steps(job_id) if s.state == "done"}
    return all(f"mux:{i}" in done for i in range(segments))


@asynccontextmanager
async def job_lock(rt: Runtime, job_id: str, name: str) -> AsyncIterator[None]:
    """A job-wide lock in Redis, renewed while held; waits while another worker holds it.

    Assembly writes files beside the final video (storyboard, manifest) outside any ledger
    step; two deliveries of ``assemble_job`` must not write them at once. A holder that dies
    stops renewing, so the lock lapses and the waiter takes over."""
    if rt.redis is None:
        yield
        return
    ttl = rt.worker.worker_lease_seconds
    lock = rt.redis.lock(
        f"{rt.worker.redis_namespace}:lock:{name}:{job_id}", timeout=ttl, sleep=0.2
    )
    await lock.acquire(blocking=True)

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            await lock.extend(ttl, replace_ttl=True)

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()
        await asyncio.gather(renewer, return_exceptions=True)
        with contextlib.suppress(Exception):  # lapsed: nothing to release
            await lock.release()


async def assemble_job(job_id: str) -> None:
    """Join the segments (read back from the shared output folder) into the final video."""
    rt = await runtime()

    async def work(job: Job) -> None:
        async with job_lock(rt, job.id, "assemble"):
            if (await rt.store.get_job(job.id)).status == "succeeded":
                return  # a duplicate that waited its turn
            await assemble(job)

    async def assemble(job: Job) -> None:
        sink = rt.runner.event_sink(job.id)
        async with rt.runner.providers_for(rt.options(job)) as providers:
            job_work = rt.work(job, providers, sink)
            plan = await job_work.ensure_plan()
            result = await job_work.pipeline.assemble(plan)
        # The same end as in one process: spend into the manifest, status, JobSucceeded.
        if not await lifecycle.succeed(rt.store, job.id, plan, result, sink):
            log.info("job %s was cancelled while it was assembled; it stays cancelled", job.id)
        await sink.flush()

    await _guarded(rt, job_id, "assembly", work)


def declare_actors(broker: Broker, worker: WorkerSettings) -> dict[str, Any]:
    """Declare the three actors on ``broker`` (names are the wire format: keep them)."""
    import dramatiq

    def retry_when(retries: int, error: BaseException) -> bool:
        return retries < worker.worker_max_retries and is_transient(error)

    actors: dict[str, Any] = {}
    for fn in (plan_job, render_segment, assemble_job):
        declare = dramatiq.actor(
            broker=broker,
            queue_name=QUEUE,
            actor_name=fn.__name__,
            time_limit=int(worker.worker_time_limit * 1000),
            retry_when=retry_when,
        )
        actors[fn.__name__] = declare(fn)
    from storyreel.distributed import runtime as runtime_module

    runtime_module.ACTORS.update(actors)
    return actors


_declared: set[int] = set()
_declared_lock = threading.Lock()


def broker_with_actors(url: str | None, worker: WorkerSettings | None = None) -> StoryreelBroker:
    """The process's broker for ``url`` with storyreel's actors declared on it (once)."""
    worker = worker or WorkerSettings()
    broker = get_broker(url, worker)
    with _declared_lock:
        if id(broker) not in _declared:
            declare_actors(broker, worker)
            _declared.add(id(broker))
    return broker
